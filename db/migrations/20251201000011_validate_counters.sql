-- +goose Up
-- Validates the constraints 20251201000005 added NOT VALID. VALIDATE
-- CONSTRAINT takes a SHARE UPDATE EXCLUSIVE lock: reads and writes go on
-- while it scans. Rows that break a constraint stop the migration before
-- anything changes, with, for every such constraint, the table, the
-- constraint, the count and the ids of those rows (never their values); see
-- README "Taking over a DefiFundr database" for what to do.

-- +goose StatementBegin
CREATE FUNCTION defifundr_validate_constraints(p_table text, p_constraints text[])
RETURNS void LANGUAGE plpgsql AS $$
DECLARE
  c text;
  def text;
  valid boolean;
  n bigint;
  ids text;
  problems text[] := '{}';
  pending text[] := '{}';
BEGIN
  FOREACH c IN ARRAY p_constraints LOOP
    SELECT pg_get_constraintdef(oid), convalidated INTO def, valid
      FROM pg_constraint WHERE conrelid = p_table::regclass AND conname = c;
    IF NOT FOUND THEN
      RAISE EXCEPTION 'table %: no constraint %', p_table, c;
    END IF;
    CONTINUE WHEN valid;
    pending := pending || c;
    -- def is 'CHECK (<expression>) NOT VALID'.
    def := regexp_replace(def, '^CHECK \((.*)\)( NOT VALID)?$', '\1');
    EXECUTE format('SELECT (SELECT count(*) FROM %1$I WHERE NOT (%2$s)), (SELECT string_agg(id::text, '', '') '
                   'FROM (SELECT id FROM %1$I WHERE NOT (%2$s) ORDER BY id LIMIT 100) AS t)', p_table, def)
      INTO n, ids;
    IF n > 0 THEN
      problems := problems || format('table %s: %s row(s) violate constraint %s (ids: %s%s)', p_table, n, c, ids,
                                     CASE WHEN n > 100 THEN ', ...' ELSE '' END);
    END IF;
  END LOOP;
  IF cardinality(problems) > 0 THEN
    RAISE EXCEPTION '%; nothing was changed. Correct or delete those rows, then run migrate up again.',
      array_to_string(problems, '; ')
      USING ERRCODE = 'check_violation', TABLE = p_table;
  END IF;
  FOREACH c IN ARRAY pending LOOP
    EXECUTE format('ALTER TABLE %I VALIDATE CONSTRAINT %I', p_table, c);
  END LOOP;
END;
$$;
-- +goose StatementEnd

SELECT defifundr_validate_constraints('otp_verifications',
    ARRAY['otp_verifications_attempts_made_check', 'otp_verifications_max_attempts_check']);

-- +goose Down
-- The constraints stay (20251201000005's Down drops them), NOT VALID again.
ALTER TABLE otp_verifications
    DROP CONSTRAINT otp_verifications_attempts_made_check,
    ADD CONSTRAINT otp_verifications_attempts_made_check CHECK (attempts_made >= 0) NOT VALID,
    DROP CONSTRAINT otp_verifications_max_attempts_check,
    ADD CONSTRAINT otp_verifications_max_attempts_check CHECK (max_attempts > 0) NOT VALID;
DROP FUNCTION defifundr_validate_constraints(text, text[]);
