-- +goose Up
-- At most one pending (unverified) OTP per user and purpose. Verified rows may repeat.
ALTER TABLE otp_verifications DROP CONSTRAINT unique_unverified_otp;
CREATE UNIQUE INDEX otp_verifications_pending_key ON otp_verifications (user_id, purpose) WHERE NOT is_verified;

-- +goose Down
DROP INDEX otp_verifications_pending_key;
ALTER TABLE otp_verifications ADD CONSTRAINT unique_unverified_otp UNIQUE (user_id, purpose, is_verified);
