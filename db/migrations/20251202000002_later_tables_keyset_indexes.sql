-- +goose NO TRANSACTION
-- +goose Up
-- Keyset-pagination indexes of the later tables' lists, as 20251201000006
-- made them for the first six: wallets by (created_at, id), optionally per
-- user; security events by ("timestamp", id), optionally per user; the
-- waitlist by (signup_date, id), optionally per status.
-- Built and dropped CONCURRENTLY: the tables keep serving meanwhile.
CREATE INDEX CONCURRENTLY IF NOT EXISTS user_wallets_created_at_id_idx ON user_wallets (created_at, id);
CREATE INDEX CONCURRENTLY IF NOT EXISTS user_wallets_user_id_created_at_id_idx ON user_wallets (user_id, created_at, id);
CREATE INDEX CONCURRENTLY IF NOT EXISTS security_events_timestamp_id_idx ON security_events ("timestamp", id);
CREATE INDEX CONCURRENTLY IF NOT EXISTS security_events_user_id_timestamp_id_idx ON security_events (user_id, "timestamp", id);
CREATE INDEX CONCURRENTLY IF NOT EXISTS waitlist_signup_date_id_idx ON waitlist (signup_date, id);
CREATE INDEX CONCURRENTLY IF NOT EXISTS waitlist_status_signup_date_id_idx ON waitlist (status, signup_date, id);
-- Now covered by a composite with the same leading column.
DROP INDEX CONCURRENTLY IF EXISTS idx_security_events_user_id;
DROP INDEX CONCURRENTLY IF EXISTS idx_waitlist_signup_date;
DROP INDEX CONCURRENTLY IF EXISTS idx_waitlist_status;

-- +goose Down
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_waitlist_status ON waitlist (status);
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_waitlist_signup_date ON waitlist (signup_date);
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_security_events_user_id ON security_events (user_id);
DROP INDEX CONCURRENTLY IF EXISTS waitlist_status_signup_date_id_idx;
DROP INDEX CONCURRENTLY IF EXISTS waitlist_signup_date_id_idx;
DROP INDEX CONCURRENTLY IF EXISTS security_events_user_id_timestamp_id_idx;
DROP INDEX CONCURRENTLY IF EXISTS security_events_timestamp_id_idx;
DROP INDEX CONCURRENTLY IF EXISTS user_wallets_user_id_created_at_id_idx;
DROP INDEX CONCURRENTLY IF EXISTS user_wallets_created_at_id_idx;
