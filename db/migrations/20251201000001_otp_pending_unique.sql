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
-- The old constraint allows one verified OTP per user and purpose; a user
-- who verified a second one since (which this migration made possible)
-- blocks its return. Fail before changing anything, naming those users.
-- +goose StatementBegin
DO $$
DECLARE
  keys text;
BEGIN
  SELECT string_agg(format('(user_id %s, purpose %s, is_verified %s)', user_id, purpose, is_verified), ', ')
    INTO keys
    FROM (SELECT user_id, purpose, is_verified FROM otp_verifications
          GROUP BY user_id, purpose, is_verified HAVING count(*) > 1
          ORDER BY user_id, purpose, is_verified LIMIT 10) AS repeated;
  IF keys IS NOT NULL THEN
    RAISE EXCEPTION 'cannot restore constraint unique_unverified_otp (one OTP per user, purpose and is_verified): more than one row for %; delete all but the newest of each (or keep this migration applied), then run the Down again', keys;
  END IF;
END
$$;
-- +goose StatementEnd

ALTER TABLE otp_verifications ADD CONSTRAINT unique_unverified_otp UNIQUE (user_id, purpose, is_verified);

DROP INDEX CONCURRENTLY IF EXISTS otp_verifications_pending_key;
