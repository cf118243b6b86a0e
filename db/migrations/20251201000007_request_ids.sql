-- +goose NO TRANSACTION
-- +goose Up
-- Idempotency keys (AIP-155): a Create retried with the same request_id
-- finds the row the first attempt wrote. Adding a nullable column changes
-- only the catalog; the unique indexes are built CONCURRENTLY.
ALTER TABLE sessions ADD COLUMN IF NOT EXISTS request_id uuid;
ALTER TABLE otp_verifications ADD COLUMN IF NOT EXISTS request_id uuid;
ALTER TABLE transactions ADD COLUMN IF NOT EXISTS request_id uuid;
CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS sessions_request_id_key ON sessions (request_id);
CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS otp_verifications_request_id_key ON otp_verifications (request_id);
CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS transactions_request_id_key ON transactions (request_id);

-- +goose Down
DROP INDEX CONCURRENTLY IF EXISTS transactions_request_id_key;
DROP INDEX CONCURRENTLY IF EXISTS otp_verifications_request_id_key;
DROP INDEX CONCURRENTLY IF EXISTS sessions_request_id_key;
ALTER TABLE transactions DROP COLUMN IF EXISTS request_id;
ALTER TABLE otp_verifications DROP COLUMN IF EXISTS request_id;
ALTER TABLE sessions DROP COLUMN IF EXISTS request_id;
