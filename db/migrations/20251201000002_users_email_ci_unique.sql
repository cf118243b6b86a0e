-- +goose NO TRANSACTION
-- +goose Up
-- E-mail uniqueness becomes case-insensitive: users_email_lower_key on
-- lower(email). DefiFundr's uniqueness was case-sensitive and its code never
-- lower-cased an e-mail, so its databases may hold e-mails equal but for
-- case ('Ada@x.io' and 'ada@x.io'). Nothing is merged or deleted: of each
-- such group the oldest row (created_at, id) keeps the e-mail, and the
-- others are marked email_case_duplicate = true (the migration reports
-- their count and ids in a NOTICE) and are exempt from the index. E-mail
-- lookups answer the row with exactly the e-mail asked for, else the
-- unmarked one; a marked row whose e-mail is changed
-- loses the mark. The index is built CONCURRENTLY (writes go on); the old
-- case-sensitive constraint goes only once the new index is in place.
ALTER TABLE users ADD COLUMN IF NOT EXISTS email_case_duplicate boolean NOT NULL DEFAULT false;

COMMENT ON COLUMN users.email_case_duplicate IS 'true: an older row has the same e-mail but for case (written before uniqueness was case-insensitive); exempt from users_email_lower_key';

-- +goose StatementBegin
DO $$
DECLARE
  n bigint;
  ids text;
BEGIN
  WITH ranked AS (
    SELECT id, row_number() OVER (PARTITION BY lower(email) ORDER BY created_at, id) AS rn
    FROM users
  )
  UPDATE users u SET email_case_duplicate = true
  FROM ranked r
  WHERE u.id = r.id AND r.rn > 1 AND NOT u.email_case_duplicate;
  GET DIAGNOSTICS n = ROW_COUNT;
  IF n > 0 THEN
    SELECT string_agg(id::text, ', ') INTO ids
      FROM (SELECT id FROM users WHERE email_case_duplicate ORDER BY id LIMIT 100) AS first;
    RAISE WARNING 'users: % row(s) share an e-mail but for case with an older row; marked email_case_duplicate (ids: %)', n,
      ids || CASE WHEN n > 100 THEN ', ... (all: SELECT id FROM users WHERE email_case_duplicate)' ELSE '' END;
  END IF;
END;
$$;
-- +goose StatementEnd

CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS users_email_lower_key ON users (lower(email)) WHERE NOT email_case_duplicate;

-- E-mail lookups of the marked rows (few or none).
CREATE INDEX CONCURRENTLY IF NOT EXISTS users_email_case_duplicate_idx ON users (lower(email)) WHERE email_case_duplicate;

ALTER TABLE users DROP CONSTRAINT IF EXISTS users_email_key;

-- Indexes duplicating a unique constraint.
DROP INDEX CONCURRENTLY IF EXISTS idx_users_email;

DROP INDEX CONCURRENTLY IF EXISTS idx_transactions_tx_hash;

DROP INDEX CONCURRENTLY IF EXISTS idx_user_device_tokens_device_token;

-- +goose Down
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_user_device_tokens_device_token ON user_device_tokens (device_token);

CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS idx_transactions_tx_hash ON transactions (tx_hash);

CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_users_email ON users (email);

-- No two rows can have the same e-mail exactly: users_email_lower_key and,
-- before it, users_email_key prevented that.
CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS users_email_key ON users (email);

-- +goose StatementBegin
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_constraint WHERE conname = 'users_email_key' AND conrelid = 'users'::regclass) THEN
    ALTER TABLE users ADD CONSTRAINT users_email_key UNIQUE USING INDEX users_email_key;
  END IF;
END;
$$;
-- +goose StatementEnd

DROP INDEX CONCURRENTLY IF EXISTS users_email_case_duplicate_idx;

DROP INDEX CONCURRENTLY IF EXISTS users_email_lower_key;

ALTER TABLE users DROP COLUMN IF EXISTS email_case_duplicate;
