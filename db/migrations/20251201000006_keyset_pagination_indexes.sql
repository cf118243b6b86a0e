-- +goose NO TRANSACTION
-- +goose Up
-- Composite indexes serving lists ordered by (created_at, id), optionally filtered by a leading column.
-- Built and dropped CONCURRENTLY: the tables keep serving reads and writes meanwhile.
CREATE INDEX CONCURRENTLY IF NOT EXISTS users_created_at_id_idx ON users (created_at, id);
CREATE INDEX CONCURRENTLY IF NOT EXISTS users_account_type_created_at_id_idx ON users (account_type, created_at, id);
CREATE INDEX CONCURRENTLY IF NOT EXISTS sessions_created_at_id_idx ON sessions (created_at, id);
CREATE INDEX CONCURRENTLY IF NOT EXISTS sessions_user_id_created_at_id_idx ON sessions (user_id, created_at, id);
CREATE INDEX CONCURRENTLY IF NOT EXISTS kyc_created_at_id_idx ON kyc (created_at, id);
CREATE INDEX CONCURRENTLY IF NOT EXISTS kyc_user_id_created_at_id_idx ON kyc (user_id, created_at, id);
CREATE INDEX CONCURRENTLY IF NOT EXISTS user_device_tokens_first_registered_at_id_idx ON user_device_tokens (first_registered_at, id);
CREATE INDEX CONCURRENTLY IF NOT EXISTS user_device_tokens_user_id_first_registered_at_id_idx ON user_device_tokens (user_id, first_registered_at, id);
CREATE INDEX CONCURRENTLY IF NOT EXISTS user_device_tokens_platform_first_registered_at_id_idx ON user_device_tokens (platform, first_registered_at, id);
CREATE INDEX CONCURRENTLY IF NOT EXISTS otp_verifications_created_at_id_idx ON otp_verifications (created_at, id);
CREATE INDEX CONCURRENTLY IF NOT EXISTS otp_verifications_user_id_created_at_id_idx ON otp_verifications (user_id, created_at, id);
CREATE INDEX CONCURRENTLY IF NOT EXISTS transactions_created_at_id_idx ON transactions (created_at, id);
CREATE INDEX CONCURRENTLY IF NOT EXISTS transactions_user_id_created_at_id_idx ON transactions (user_id, created_at, id);
CREATE INDEX CONCURRENTLY IF NOT EXISTS transactions_status_created_at_id_idx ON transactions (status, created_at, id);
-- Single-column indexes now covered by a composite with the same leading column.
DROP INDEX CONCURRENTLY IF EXISTS idx_sessions_user_id;
DROP INDEX CONCURRENTLY IF EXISTS idx_kyc_user_id;
DROP INDEX CONCURRENTLY IF EXISTS idx_user_device_tokens_user_id;
DROP INDEX CONCURRENTLY IF EXISTS idx_user_device_tokens_platform;
DROP INDEX CONCURRENTLY IF EXISTS idx_otp_verifications_user_id;
DROP INDEX CONCURRENTLY IF EXISTS idx_otp_verifications_created_at;
DROP INDEX CONCURRENTLY IF EXISTS idx_transactions_user_id;

-- +goose Down
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_transactions_user_id ON transactions (user_id);
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_otp_verifications_created_at ON otp_verifications (created_at);
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_otp_verifications_user_id ON otp_verifications (user_id);
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_user_device_tokens_platform ON user_device_tokens (platform);
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_user_device_tokens_user_id ON user_device_tokens (user_id);
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_kyc_user_id ON kyc (user_id);
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_sessions_user_id ON sessions (user_id);
DROP INDEX CONCURRENTLY IF EXISTS transactions_status_created_at_id_idx;
DROP INDEX CONCURRENTLY IF EXISTS transactions_user_id_created_at_id_idx;
DROP INDEX CONCURRENTLY IF EXISTS transactions_created_at_id_idx;
DROP INDEX CONCURRENTLY IF EXISTS otp_verifications_user_id_created_at_id_idx;
DROP INDEX CONCURRENTLY IF EXISTS otp_verifications_created_at_id_idx;
DROP INDEX CONCURRENTLY IF EXISTS user_device_tokens_platform_first_registered_at_id_idx;
DROP INDEX CONCURRENTLY IF EXISTS user_device_tokens_user_id_first_registered_at_id_idx;
DROP INDEX CONCURRENTLY IF EXISTS user_device_tokens_first_registered_at_id_idx;
DROP INDEX CONCURRENTLY IF EXISTS kyc_user_id_created_at_id_idx;
DROP INDEX CONCURRENTLY IF EXISTS kyc_created_at_id_idx;
DROP INDEX CONCURRENTLY IF EXISTS sessions_user_id_created_at_id_idx;
DROP INDEX CONCURRENTLY IF EXISTS sessions_created_at_id_idx;
DROP INDEX CONCURRENTLY IF EXISTS users_account_type_created_at_id_idx;
DROP INDEX CONCURRENTLY IF EXISTS users_created_at_id_idx;
