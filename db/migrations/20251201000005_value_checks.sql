-- +goose Up
-- Closed value sets and counters.
--
-- Closed sets (users.account_type, users.personal_account_type,
-- transactions.status) are checked by triggers, not CHECK constraints:
-- DefiFundr's databases hold values outside every set (its code stored
-- unvalidated strings and '' for "not chosen"), and a CHECK constraint,
-- even NOT VALID, would refuse every later UPDATE of such a row, including
-- one that does not touch the column. The trigger refuses a new value
-- outside the set (INSERT, or an UPDATE that changes the column) with
-- SQLSTATE 23514 naming the set as its constraint, and leaves stored values
-- alone; the service reads them as the enum's _UNSPECIFIED value plus the
-- stored text (see common.proto). The sets are DefiFundr's own (see
-- README "Taking over a DefiFundr database"); rows outside them are
-- reported as a NOTICE with their count and ids.
--
-- Counters: attempts_made >= 0 and max_attempts > 0 hold for everything
-- DefiFundr wrote (0-3 attempts of 3 or 5). Added NOT VALID here (no scan,
-- a short lock); 20251201000011 validates them without blocking writes.

-- Constraints of this name were CHECK constraints in earlier builds.
ALTER TABLE users DROP CONSTRAINT IF EXISTS users_account_type_check;
ALTER TABLE users DROP CONSTRAINT IF EXISTS users_personal_account_type_check;
ALTER TABLE transactions DROP CONSTRAINT IF EXISTS transactions_status_check;

-- +goose StatementBegin
-- Trigger arguments: the column, the name reported as the constraint, then
-- the allowed values. NULL passes (NOT NULL is the column's business).
CREATE FUNCTION defifundr_check_value_set() RETURNS trigger
    LANGUAGE plpgsql AS $$
DECLARE
  new_value text := to_jsonb(NEW) ->> TG_ARGV[0];
BEGIN
  IF new_value IS NULL OR new_value = ANY (TG_ARGV[2:]) THEN
    RETURN NEW;
  END IF;
  IF TG_OP = 'UPDATE' AND new_value IS NOT DISTINCT FROM (to_jsonb(OLD) ->> TG_ARGV[0]) THEN
    RETURN NEW;  -- A stored value outside the set is kept as it is.
  END IF;
  RAISE EXCEPTION 'new row for relation "%" violates check constraint "%"', TG_TABLE_NAME, TG_ARGV[1]
    USING ERRCODE = 'check_violation', CONSTRAINT = TG_ARGV[1], TABLE = TG_TABLE_NAME,
          COLUMN = TG_ARGV[0], SCHEMA = TG_TABLE_SCHEMA;
END;
$$;
-- +goose StatementEnd

CREATE TRIGGER users_account_type_check BEFORE INSERT OR UPDATE OF account_type ON users
    FOR EACH ROW EXECUTE FUNCTION defifundr_check_value_set('account_type', 'users_account_type_check', 'business', 'personal');
CREATE TRIGGER users_personal_account_type_check BEFORE INSERT OR UPDATE OF personal_account_type ON users
    FOR EACH ROW EXECUTE FUNCTION defifundr_check_value_set('personal_account_type', 'users_personal_account_type_check', 'contractor', 'freelancer', 'employee', 'user', '');
CREATE TRIGGER transactions_status_check BEFORE INSERT OR UPDATE OF status ON transactions
    FOR EACH ROW EXECUTE FUNCTION defifundr_check_value_set('status', 'transactions_status_check', 'created', 'pending', 'not_found', 'failed', 'confirmed');

-- +goose StatementBegin
DO $$
DECLARE
  r record;
BEGIN
  FOR r IN
    SELECT 'users.account_type' AS col, 'users' AS tbl,
           $q$account_type NOT IN ('business', 'personal')$q$ AS cond
    UNION ALL
    SELECT 'users.personal_account_type', 'users',
           $q$personal_account_type NOT IN ('contractor', 'freelancer', 'employee', 'user', '')$q$
    UNION ALL
    SELECT 'transactions.status', 'transactions',
           $q$status NOT IN ('created', 'pending', 'not_found', 'failed', 'confirmed')$q$
  LOOP
    DECLARE
      n bigint;
      ids text;
    BEGIN
      EXECUTE format('SELECT (SELECT count(*) FROM %1$I WHERE %2$s), (SELECT string_agg(id::text, '', '') '
                     'FROM (SELECT id FROM %1$I WHERE %2$s ORDER BY id LIMIT 100) AS t)', r.tbl, r.cond)
        INTO n, ids;
      IF n > 0 THEN
        RAISE WARNING '%: % row(s) hold a value outside the set; kept, and served as _UNSPECIFIED plus the stored text (ids: %)',
          r.col, n, ids || CASE WHEN n > 100 THEN format(', ... (all: SELECT id FROM %I WHERE %s)', r.tbl, r.cond) ELSE '' END;
      END IF;
    END;
  END LOOP;
END;
$$;
-- +goose StatementEnd

ALTER TABLE otp_verifications ADD CONSTRAINT otp_verifications_attempts_made_check CHECK (attempts_made >= 0) NOT VALID;
ALTER TABLE otp_verifications ADD CONSTRAINT otp_verifications_max_attempts_check CHECK (max_attempts > 0) NOT VALID;

-- +goose Down
ALTER TABLE otp_verifications DROP CONSTRAINT otp_verifications_max_attempts_check;
ALTER TABLE otp_verifications DROP CONSTRAINT otp_verifications_attempts_made_check;
DROP TRIGGER transactions_status_check ON transactions;
DROP TRIGGER users_personal_account_type_check ON users;
DROP TRIGGER users_account_type_check ON users;
DROP FUNCTION defifundr_check_value_set();
