-- +goose Up
-- DefiFundr's databases come in two shapes: DefiFundr edited
-- 00002_create_users_table.sql and 00009_create_sessions_table.sql in place
-- after they were applied (users gained phone, address, company and
-- auth-provider columns; sessions gained last_used_at, other varchar
-- lengths and `timestamp without time zone`), and 20250502134941/
-- 20250502134956 created security_events and user_wallets with `timestamp`.
-- This migration reads the catalog and brings whichever shape it finds (the
-- seed-era one, the later one, or anything between) to one superset:
--   * every column either shape has, added where missing;
--   * sessions' strings as unbounded varchar (the widest either shape had);
--   * every `timestamp` column as `timestamptz`. Stored values are read in
--     the time zone named by the setting defifundr.legacy_timezone (the
--     migrate command's --legacy_timezone), UTC by default, which is what
--     DefiFundr's Go code wrote (pgx sends time.Time in UTC). Under UTC
--     PostgreSQL changes the type without rewriting the table.
--   * users.provider_id keeps NOT NULL and gets DEFAULT '' so that rows
--     written without it (by us) fit; sessions.last_used_at may be NULL
--     (rows from before the column existed have no such time) and defaults
--     to now().
-- Every change is recorded in defifundr_schema_convergence with what the
-- column was before, so that Down restores exactly the shape this database
-- had, whichever it was, and drops only what Up added.

CREATE TABLE defifundr_schema_convergence (
    version bigint NOT NULL,
    seq integer GENERATED ALWAYS AS IDENTITY,
    table_name name NOT NULL,
    object_kind text NOT NULL CHECK (object_kind IN ('column', 'index')),
    object_name name NOT NULL,
    existed boolean NOT NULL,
    data_type text,
    not_null boolean,
    default_expr text,
    time_zone text,
    PRIMARY KEY (version, seq),
    UNIQUE (version, object_kind, table_name, object_name)
);
COMMENT ON TABLE defifundr_schema_convergence IS
    'What the shape-converging migrations changed, so that their Down restores this database''s own earlier shape.';

-- +goose StatementBegin
-- Brings column p_table.p_column to type p_type (as format_type spells it),
-- nullability and default; adds it when missing (filling existing rows with
-- p_default when p_fill_existing, else leaving them NULL). Records the
-- column's earlier definition under p_version.
CREATE FUNCTION defifundr_converge_column(
    p_version bigint, p_table text, p_column text, p_type text,
    p_not_null boolean, p_default text, p_fill_existing boolean DEFAULT true)
RETURNS void LANGUAGE plpgsql AS $$
DECLARE
  cur record;
  tz text := COALESCE(NULLIF(current_setting('defifundr.legacy_timezone', true), ''), 'UTC');
BEGIN
  SELECT format_type(a.atttypid, a.atttypmod) AS data_type, a.attnotnull AS not_null,
         pg_get_expr(d.adbin, d.adrelid) AS default_expr
    INTO cur
    FROM pg_attribute a
    LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
   WHERE a.attrelid = p_table::regclass AND a.attname = p_column AND NOT a.attisdropped;
  IF NOT FOUND THEN
    INSERT INTO defifundr_schema_convergence (version, table_name, object_kind, object_name, existed)
    VALUES (p_version, p_table, 'column', p_column, false);
    IF p_default IS NOT NULL AND p_fill_existing THEN
      EXECUTE format('ALTER TABLE %I ADD COLUMN %I %s DEFAULT %s%s', p_table, p_column,
                     p_type, p_default, CASE WHEN p_not_null THEN ' NOT NULL' ELSE '' END);
    ELSE
      IF p_not_null THEN
        RAISE EXCEPTION 'defifundr_converge_column: %.% cannot be added NOT NULL without a value for existing rows', p_table, p_column;
      END IF;
      EXECUTE format('ALTER TABLE %I ADD COLUMN %I %s', p_table, p_column, p_type);
      IF p_default IS NOT NULL THEN
        EXECUTE format('ALTER TABLE %I ALTER COLUMN %I SET DEFAULT %s', p_table, p_column, p_default);
      END IF;
    END IF;
    RETURN;
  END IF;
  INSERT INTO defifundr_schema_convergence
      (version, table_name, object_kind, object_name, existed, data_type, not_null, default_expr, time_zone)
  VALUES (p_version, p_table, 'column', p_column, true, cur.data_type, cur.not_null, cur.default_expr, tz);
  IF cur.data_type IS DISTINCT FROM p_type THEN
    -- timestamp -> timestamptz reads the stored values in the session's
    -- TimeZone (no rewrite when it is UTC).
    PERFORM set_config('TimeZone', tz, true);
    EXECUTE format('ALTER TABLE %I ALTER COLUMN %I TYPE %s', p_table, p_column, p_type);
  END IF;
  IF p_default IS NULL AND cur.default_expr IS NOT NULL THEN
    EXECUTE format('ALTER TABLE %I ALTER COLUMN %I DROP DEFAULT', p_table, p_column);
  ELSIF p_default IS NOT NULL THEN
    EXECUTE format('ALTER TABLE %I ALTER COLUMN %I SET DEFAULT %s', p_table, p_column, p_default);
  END IF;
  IF p_not_null AND NOT cur.not_null THEN
    EXECUTE format('ALTER TABLE %I ALTER COLUMN %I SET NOT NULL', p_table, p_column);
  ELSIF NOT p_not_null AND cur.not_null THEN
    EXECUTE format('ALTER TABLE %I ALTER COLUMN %I DROP NOT NULL', p_table, p_column);
  END IF;
END;
$$;
-- +goose StatementEnd

-- +goose StatementBegin
-- Undoes what defifundr_converge_column (and the index bookkeeping of later
-- migrations) recorded under p_version, newest first.
CREATE FUNCTION defifundr_restore_convergence(p_version bigint)
RETURNS void LANGUAGE plpgsql AS $$
DECLARE
  r record;
  now_type text;
  max_len int;
  n bigint;
  ids text;
  problems text[] := '{}';
BEGIN
  -- First every row that the earlier definitions cannot hold (written since
  -- Up: longer strings, NULLs), all reported at once, before any change.
  FOR r IN SELECT * FROM defifundr_schema_convergence
           WHERE version = p_version AND object_kind = 'column' AND existed LOOP
    max_len := substring(r.data_type FROM '^character varying\((\d+)\)$')::int;
    IF max_len IS NOT NULL THEN
      EXECUTE format('SELECT (SELECT count(*) FROM %1$I WHERE %2$s), (SELECT string_agg(id::text, '', '') '
                     'FROM (SELECT id FROM %1$I WHERE %2$s ORDER BY id LIMIT 20) AS t)',
                     r.table_name, format('length(%I) > %s', r.object_name, max_len))
        INTO n, ids;
      IF n > 0 THEN
        problems := problems || format('%s.%s: %s row(s) longer than %s characters (ids: %s)',
                                       r.table_name, r.object_name, n, max_len, ids);
      END IF;
    END IF;
    IF r.not_null THEN
      EXECUTE format('SELECT (SELECT count(*) FROM %1$I WHERE %2$s), (SELECT string_agg(id::text, '', '') '
                     'FROM (SELECT id FROM %1$I WHERE %2$s ORDER BY id LIMIT 20) AS t)',
                     r.table_name, format('%I IS NULL', r.object_name))
        INTO n, ids;
      IF n > 0 THEN
        problems := problems || format('%s.%s: %s row(s) NULL, which the earlier NOT NULL refuses (ids: %s)',
                                       r.table_name, r.object_name, n, ids);
      END IF;
    END IF;
  END LOOP;
  IF cardinality(problems) > 0 THEN
    RAISE EXCEPTION 'cannot restore the earlier column definitions; nothing was changed: %. Shorten or fill those rows (at most 20 ids are listed per column), then run the down again.',
      array_to_string(problems, '; ')
      USING ERRCODE = 'check_violation';
  END IF;
  FOR r IN SELECT * FROM defifundr_schema_convergence WHERE version = p_version ORDER BY seq DESC LOOP
    IF r.object_kind = 'index' THEN
      IF NOT r.existed THEN
        EXECUTE format('DROP INDEX IF EXISTS %I', r.object_name);
      END IF;
    ELSIF NOT r.existed THEN
      EXECUTE format('ALTER TABLE %I DROP COLUMN %I', r.table_name, r.object_name);
    ELSE
      SELECT format_type(a.atttypid, a.atttypmod) INTO now_type
        FROM pg_attribute a
       WHERE a.attrelid = r.table_name::regclass AND a.attname = r.object_name AND NOT a.attisdropped;
      IF now_type IS DISTINCT FROM r.data_type THEN
        PERFORM set_config('TimeZone', r.time_zone, true);
        EXECUTE format('ALTER TABLE %I ALTER COLUMN %I TYPE %s', r.table_name, r.object_name, r.data_type);
      END IF;
      IF r.default_expr IS NULL THEN
        EXECUTE format('ALTER TABLE %I ALTER COLUMN %I DROP DEFAULT', r.table_name, r.object_name);
      ELSE
        EXECUTE format('ALTER TABLE %I ALTER COLUMN %I SET DEFAULT %s', r.table_name, r.object_name, r.default_expr);
      END IF;
      IF r.not_null THEN
        EXECUTE format('ALTER TABLE %I ALTER COLUMN %I SET NOT NULL', r.table_name, r.object_name);
      ELSE
        EXECUTE format('ALTER TABLE %I ALTER COLUMN %I DROP NOT NULL', r.table_name, r.object_name);
      END IF;
    END IF;
  END LOOP;
  DELETE FROM defifundr_schema_convergence WHERE version = p_version;
END;
$$;
-- +goose StatementEnd

-- +goose StatementBegin
DO $$
DECLARE
  v constant bigint := 20251201000009;
  c text;
BEGIN
  -- users: the later shape's columns (00002 as of May 2025).
  PERFORM defifundr_converge_column(v, 'users', 'profile_picture', 'character varying(255)', false, $d$''::character varying$d$);
  PERFORM defifundr_converge_column(v, 'users', 'gender', 'character varying(50)', false, $d$''::character varying$d$);
  PERFORM defifundr_converge_column(v, 'users', 'phone_number', 'character varying(50)', false, $d$''::character varying$d$);
  PERFORM defifundr_converge_column(v, 'users', 'phone_number_verified', 'boolean', false, 'false');
  PERFORM defifundr_converge_column(v, 'users', 'phone_number_verified_at', 'timestamp with time zone', false, NULL);
  FOREACH c IN ARRAY ARRAY['company_name', 'company_address', 'company_city', 'company_postal_code',
                           'company_country', 'user_address', 'user_city', 'user_postal_code', 'employee_type'] LOOP
    PERFORM defifundr_converge_column(v, 'users', c, 'character varying(255)', false, $d$''::character varying$d$);
  END LOOP;
  PERFORM defifundr_converge_column(v, 'users', 'auth_provider', 'character varying(255)', false, NULL);
  PERFORM defifundr_converge_column(v, 'users', 'provider_id', 'character varying(255)', true, $d$''::character varying$d$);
  -- sessions: unbounded strings (seed-era), last_used_at (later), timestamptz.
  FOREACH c IN ARRAY ARRAY['refresh_token', 'user_agent', 'web_oauth_client_id', 'oauth_access_token',
                           'oauth_id_token', 'user_login_type', 'client_ip'] LOOP
    PERFORM defifundr_converge_column(v, 'sessions', c, 'character varying',
        c IN ('refresh_token', 'user_agent', 'user_login_type', 'client_ip'), NULL);
  END LOOP;
  PERFORM defifundr_converge_column(v, 'sessions', 'last_used_at', 'timestamp with time zone', false, 'now()', false);
  PERFORM defifundr_converge_column(v, 'sessions', 'expires_at', 'timestamp with time zone', true, NULL);
  PERFORM defifundr_converge_column(v, 'sessions', 'created_at', 'timestamp with time zone', true, 'now()');
  -- security_events and user_wallets: timestamptz, server-side defaults.
  PERFORM defifundr_converge_column(v, 'security_events', 'id', 'uuid', true, 'gen_random_uuid()');
  PERFORM defifundr_converge_column(v, 'security_events', 'timestamp', 'timestamp with time zone', true, 'now()');
  PERFORM defifundr_converge_column(v, 'user_wallets', 'id', 'uuid', true, 'gen_random_uuid()');
  PERFORM defifundr_converge_column(v, 'user_wallets', 'created_at', 'timestamp with time zone', true, 'now()');
  PERFORM defifundr_converge_column(v, 'user_wallets', 'updated_at', 'timestamp with time zone', true, 'now()');
END;
$$;
-- +goose StatementEnd

-- +goose Down
SELECT defifundr_restore_convergence(20251201000009);
DROP FUNCTION defifundr_restore_convergence(bigint);
DROP FUNCTION defifundr_converge_column(bigint, text, text, text, boolean, text, boolean);
DROP TABLE defifundr_schema_convergence;
