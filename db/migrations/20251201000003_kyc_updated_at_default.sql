-- +goose Up
ALTER TABLE kyc ALTER COLUMN updated_at SET DEFAULT now();

-- +goose Down
ALTER TABLE kyc ALTER COLUMN updated_at SET DEFAULT '0001-01-01';
