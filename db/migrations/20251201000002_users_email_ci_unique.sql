-- +goose Up
-- E-mail uniqueness is case-insensitive. Also drop indexes duplicating a unique constraint.
ALTER TABLE users DROP CONSTRAINT users_email_key;
CREATE UNIQUE INDEX users_email_lower_key ON users (lower(email));
DROP INDEX idx_users_email;
DROP INDEX idx_transactions_tx_hash;
DROP INDEX idx_user_device_tokens_device_token;

-- +goose Down
CREATE INDEX idx_user_device_tokens_device_token ON user_device_tokens (device_token);
CREATE UNIQUE INDEX idx_transactions_tx_hash ON transactions (tx_hash);
CREATE INDEX idx_users_email ON users (email);
DROP INDEX users_email_lower_key;
ALTER TABLE users ADD CONSTRAINT users_email_key UNIQUE (email);
