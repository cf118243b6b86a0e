-- +goose Up
-- Idempotency keys (AIP-155): a Create retried with the same request_id
-- finds the row the first attempt wrote.
ALTER TABLE sessions ADD COLUMN request_id uuid;
ALTER TABLE otp_verifications ADD COLUMN request_id uuid;
ALTER TABLE transactions ADD COLUMN request_id uuid;
CREATE UNIQUE INDEX sessions_request_id_key ON sessions (request_id);
CREATE UNIQUE INDEX otp_verifications_request_id_key ON otp_verifications (request_id);
CREATE UNIQUE INDEX transactions_request_id_key ON transactions (request_id);

-- +goose Down
DROP INDEX transactions_request_id_key;
DROP INDEX otp_verifications_request_id_key;
DROP INDEX sessions_request_id_key;
ALTER TABLE transactions DROP COLUMN request_id;
ALTER TABLE otp_verifications DROP COLUMN request_id;
ALTER TABLE sessions DROP COLUMN request_id;
