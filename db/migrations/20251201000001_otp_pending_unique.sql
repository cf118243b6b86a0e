-- +goose NO TRANSACTION
-- +goose Up
-- At most one pending (unverified) OTP per user and purpose; verified rows
-- may repeat (DefiFundr's UNIQUE (user_id, purpose, is_verified) blocked a
-- user's second password reset forever). Every row DefiFundr's databases
-- hold satisfied the old constraint, so they satisfy this index. The index
-- is built CONCURRENTLY before the old constraint goes, so that uniqueness
-- never lapses and writes go on meanwhile.
CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS otp_verifications_pending_key ON otp_verifications (user_id, purpose) WHERE NOT is_verified;

ALTER TABLE otp_verifications DROP CONSTRAINT IF EXISTS unique_unverified_otp;

-- +goose Down
ALTER TABLE otp_verifications ADD CONSTRAINT unique_unverified_otp UNIQUE (user_id, purpose, is_verified);

DROP INDEX CONCURRENTLY IF EXISTS otp_verifications_pending_key;
