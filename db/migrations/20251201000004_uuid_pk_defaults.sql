-- +goose Up
-- Let the server omit primary keys on these tables.
ALTER TABLE sessions ALTER COLUMN id SET DEFAULT gen_random_uuid();
ALTER TABLE kyc ALTER COLUMN id SET DEFAULT gen_random_uuid();
ALTER TABLE user_device_tokens ALTER COLUMN id SET DEFAULT gen_random_uuid();

-- +goose Down
ALTER TABLE user_device_tokens ALTER COLUMN id DROP DEFAULT;
ALTER TABLE kyc ALTER COLUMN id DROP DEFAULT;
ALTER TABLE sessions ALTER COLUMN id DROP DEFAULT;
