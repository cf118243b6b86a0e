-- +goose Up
-- Validates the constraints 20251201000005 added NOT VALID. VALIDATE
-- CONSTRAINT takes a SHARE UPDATE EXCLUSIVE lock: reads and writes go on
-- while it scans. Rows that break a constraint stop the migration before
-- anything changes, with the table, the constraint, the count and the ids
-- of those rows (never their values); see README "Taking over a DefiFundr
-- database" for what to do.

-- +goose StatementBegin
CREATE FUNCTION defifundr_validate_constraint(p_table text, p_constraint text)
RETURNS void LANGUAGE plpgsql AS $$
DECLARE
  def text;
  valid boolean;
  n bigint;
  ids text;
BEGIN
  SELECT pg_get_constraintdef(oid), convalidated INTO def, valid
    FROM pg_constraint WHERE conrelid = p_table::regclass AND conname = p_constraint;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'table %: no constraint %', p_table, p_constraint;
  END IF;
  IF valid THEN
    RETURN;
  END IF;
  -- def is 'CHECK (<expression>) NOT VALID'.
  def := regexp_replace(def, '^CHECK \((.*)\)( NOT VALID)?$', '\1');
  EXECUTE format('SELECT count(*), string_agg(id::text, '', '' ORDER BY id) FROM (SELECT id FROM %I WHERE NOT (%s) ORDER BY id LIMIT 1000) AS bad',
                 p_table, def) INTO n, ids;
  IF n > 0 THEN
    RAISE EXCEPTION 'table %: % row(s) violate constraint % (ids: %); nothing was changed. Correct or delete those rows, then run migrate up again.',
      p_table, CASE WHEN n >= 1000 THEN 'at least 1000' ELSE n::text END, p_constraint, ids
      USING ERRCODE = 'check_violation', TABLE = p_table, CONSTRAINT = p_constraint;
  END IF;
  EXECUTE format('ALTER TABLE %I VALIDATE CONSTRAINT %I', p_table, p_constraint);
END;
$$;
-- +goose StatementEnd

SELECT defifundr_validate_constraint('otp_verifications', 'otp_verifications_attempts_made_check');
SELECT defifundr_validate_constraint('otp_verifications', 'otp_verifications_max_attempts_check');

-- +goose Down
-- The constraints stay (20251201000005's Down drops them), NOT VALID again.
ALTER TABLE otp_verifications
    DROP CONSTRAINT otp_verifications_attempts_made_check,
    ADD CONSTRAINT otp_verifications_attempts_made_check CHECK (attempts_made >= 0) NOT VALID,
    DROP CONSTRAINT otp_verifications_max_attempts_check,
    ADD CONSTRAINT otp_verifications_max_attempts_check CHECK (max_attempts > 0) NOT VALID;
DROP FUNCTION defifundr_validate_constraint(text, text);
