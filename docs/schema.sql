--
-- PostgreSQL database dump
--



SET statement_timeout = 0;
SET lock_timeout = 0;
SET idle_in_transaction_session_timeout = 0;
SET client_encoding = 'UTF8';
SET standard_conforming_strings = on;
SELECT pg_catalog.set_config('search_path', '', false);
SET check_function_bodies = false;
SET xmloption = content;
SET client_min_messages = warning;
SET row_security = off;

--
-- Name: uuid-ossp; Type: EXTENSION; Schema: -; Owner: -
--

CREATE EXTENSION IF NOT EXISTS "uuid-ossp" WITH SCHEMA public;


--
-- Name: EXTENSION "uuid-ossp"; Type: COMMENT; Schema: -; Owner: -
--

COMMENT ON EXTENSION "uuid-ossp" IS 'generate universally unique identifiers (UUIDs)';


--
-- Name: otp_purpose; Type: TYPE; Schema: public; Owner: -
--

CREATE TYPE public.otp_purpose AS ENUM (
    'email_verification',
    'password_reset',
    'phone_verification',
    'account_recovery',
    'two_factor_auth',
    'login_confirmation'
);


--
-- Name: defifundr_check_value_set(); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.defifundr_check_value_set() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
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


--
-- Name: defifundr_converge_column(bigint, text, text, text, boolean, text, boolean); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.defifundr_converge_column(p_version bigint, p_table text, p_column text, p_type text, p_not_null boolean, p_default text, p_fill_existing boolean DEFAULT true) RETURNS void
    LANGUAGE plpgsql
    AS $$
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


--
-- Name: defifundr_restore_convergence(bigint); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.defifundr_restore_convergence(p_version bigint) RETURNS void
    LANGUAGE plpgsql
    AS $$
DECLARE
  r record;
  now_type text;
BEGIN
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


--
-- Name: defifundr_validate_constraint(text, text); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.defifundr_validate_constraint(p_table text, p_constraint text) RETURNS void
    LANGUAGE plpgsql
    AS $_$
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
$_$;


--
-- Name: like_escape(text); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.like_escape(pattern text) RETURNS text
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    AS $$
        SELECT replace(replace(replace(pattern, '\', '\\'), '%', '\%'), '_', '\_');
    $$;


SET default_tablespace = '';

SET default_table_access_method = heap;

--
-- Name: defifundr_schema_convergence; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.defifundr_schema_convergence (
    version bigint NOT NULL,
    seq integer NOT NULL,
    table_name name NOT NULL,
    object_kind text NOT NULL,
    object_name name NOT NULL,
    existed boolean NOT NULL,
    data_type text,
    not_null boolean,
    default_expr text,
    time_zone text,
    CONSTRAINT defifundr_schema_convergence_object_kind_check CHECK ((object_kind = ANY (ARRAY['column'::text, 'index'::text])))
);


--
-- Name: TABLE defifundr_schema_convergence; Type: COMMENT; Schema: public; Owner: -
--

COMMENT ON TABLE public.defifundr_schema_convergence IS 'What the shape-converging migrations changed, so that their Down restores this database''s own earlier shape.';


--
-- Name: defifundr_schema_convergence_seq_seq; Type: SEQUENCE; Schema: public; Owner: -
--

ALTER TABLE public.defifundr_schema_convergence ALTER COLUMN seq ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME public.defifundr_schema_convergence_seq_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);


--
-- Name: kyc; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.kyc (
    id uuid DEFAULT gen_random_uuid() NOT NULL,
    user_id uuid NOT NULL,
    face_verification boolean NOT NULL,
    identity_verification boolean NOT NULL,
    verification_type character varying(50) NOT NULL,
    verification_number character varying(50) NOT NULL,
    verification_status character varying(50) NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL
);


--
-- Name: otp_verifications; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.otp_verifications (
    id uuid DEFAULT public.uuid_generate_v4() NOT NULL,
    user_id uuid,
    otp_code character varying(10) NOT NULL,
    hashed_otp character varying(255) NOT NULL,
    purpose public.otp_purpose NOT NULL,
    contact_method character varying(255),
    attempts_made integer DEFAULT 0 NOT NULL,
    max_attempts integer DEFAULT 5 NOT NULL,
    is_verified boolean DEFAULT false NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    expires_at timestamp with time zone NOT NULL,
    verified_at timestamp with time zone,
    ip_address inet,
    user_agent character varying(500),
    device_id uuid,
    request_id uuid,
    CONSTRAINT max_attempts_check CHECK ((attempts_made <= max_attempts)),
    CONSTRAINT otp_verifications_attempts_made_check CHECK ((attempts_made >= 0)),
    CONSTRAINT otp_verifications_max_attempts_check CHECK ((max_attempts > 0))
);


--
-- Name: security_events; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.security_events (
    id uuid DEFAULT gen_random_uuid() NOT NULL,
    user_id uuid NOT NULL,
    event_type text NOT NULL,
    ip_address text NOT NULL,
    user_agent text,
    metadata jsonb,
    "timestamp" timestamp with time zone DEFAULT now() NOT NULL
);


--
-- Name: sessions; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.sessions (
    id uuid DEFAULT gen_random_uuid() NOT NULL,
    user_id uuid NOT NULL,
    refresh_token character varying NOT NULL,
    user_agent character varying NOT NULL,
    web_oauth_client_id character varying,
    oauth_access_token character varying,
    oauth_id_token character varying,
    user_login_type character varying NOT NULL,
    mfa_enabled boolean DEFAULT false NOT NULL,
    client_ip character varying NOT NULL,
    is_blocked boolean DEFAULT false NOT NULL,
    expires_at timestamp with time zone NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    request_id uuid,
    last_used_at timestamp with time zone DEFAULT now()
);


--
-- Name: transactions; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.transactions (
    id uuid DEFAULT public.uuid_generate_v4() NOT NULL,
    user_id uuid NOT NULL,
    tx_hash character varying(255) NOT NULL,
    transaction_pin_hash character varying(255) NOT NULL,
    status character varying(50) NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    request_id uuid
);


--
-- Name: COLUMN transactions.transaction_pin_hash; Type: COMMENT; Schema: public; Owner: -
--

COMMENT ON COLUMN public.transactions.transaction_pin_hash IS 'hashed transaction pin';


--
-- Name: COLUMN transactions.status; Type: COMMENT; Schema: public; Owner: -
--

COMMENT ON COLUMN public.transactions.status IS 'created, pending, not_found, failed';


--
-- Name: user_device_tokens; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.user_device_tokens (
    id uuid DEFAULT gen_random_uuid() NOT NULL,
    user_id uuid NOT NULL,
    device_token character varying NOT NULL,
    platform character varying(50) NOT NULL,
    device_type character varying(100),
    device_model character varying(100),
    os_name character varying(50),
    os_version character varying(50),
    push_notification_token character varying,
    is_active boolean DEFAULT true NOT NULL,
    is_verified boolean DEFAULT false NOT NULL,
    last_used_at timestamp with time zone,
    first_registered_at timestamp with time zone DEFAULT now() NOT NULL,
    app_version character varying(50),
    client_ip character varying(45),
    expires_at timestamp with time zone,
    is_revoked boolean DEFAULT false NOT NULL
);


--
-- Name: user_wallets; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.user_wallets (
    id uuid DEFAULT gen_random_uuid() NOT NULL,
    user_id uuid NOT NULL,
    address text NOT NULL,
    type text NOT NULL,
    chain text NOT NULL,
    is_default boolean DEFAULT false NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL
);


--
-- Name: users; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.users (
    id uuid DEFAULT public.uuid_generate_v4() NOT NULL,
    email character varying(255) NOT NULL,
    password_hash character varying(255),
    profile_picture character varying(255) DEFAULT ''::character varying,
    account_type character varying(50) NOT NULL,
    gender character varying(50) DEFAULT ''::character varying,
    personal_account_type character varying(50) NOT NULL,
    first_name character varying(255) NOT NULL,
    last_name character varying(255) NOT NULL,
    nationality character varying(255) NOT NULL,
    residential_country character varying(255),
    job_role character varying(255),
    company_website character varying(255),
    employment_type character varying(255),
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    email_case_duplicate boolean DEFAULT false NOT NULL,
    phone_number character varying(50) DEFAULT ''::character varying,
    phone_number_verified boolean DEFAULT false,
    phone_number_verified_at timestamp with time zone,
    company_name character varying(255) DEFAULT ''::character varying,
    company_address character varying(255) DEFAULT ''::character varying,
    company_city character varying(255) DEFAULT ''::character varying,
    company_postal_code character varying(255) DEFAULT ''::character varying,
    company_country character varying(255) DEFAULT ''::character varying,
    user_address character varying(255) DEFAULT ''::character varying,
    user_city character varying(255) DEFAULT ''::character varying,
    user_postal_code character varying(255) DEFAULT ''::character varying,
    employee_type character varying(255) DEFAULT ''::character varying,
    auth_provider character varying(255),
    provider_id character varying(255) DEFAULT ''::character varying NOT NULL
);


--
-- Name: COLUMN users.account_type; Type: COMMENT; Schema: public; Owner: -
--

COMMENT ON COLUMN public.users.account_type IS 'business, personal';


--
-- Name: COLUMN users.personal_account_type; Type: COMMENT; Schema: public; Owner: -
--

COMMENT ON COLUMN public.users.personal_account_type IS 'contractor, freelancer, employee';


--
-- Name: COLUMN users.email_case_duplicate; Type: COMMENT; Schema: public; Owner: -
--

COMMENT ON COLUMN public.users.email_case_duplicate IS 'true: an older row has the same e-mail but for case (written before uniqueness was case-insensitive); exempt from users_email_lower_key';


--
-- Name: waitlist; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.waitlist (
    id uuid DEFAULT public.uuid_generate_v4() NOT NULL,
    email character varying(255) NOT NULL,
    full_name character varying(255),
    referral_code character varying(20) NOT NULL,
    referral_source character varying(100),
    status character varying(20) DEFAULT 'waiting'::character varying NOT NULL,
    signup_date timestamp with time zone DEFAULT now() NOT NULL,
    invited_date timestamp with time zone,
    registered_date timestamp with time zone,
    metadata jsonb,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL
);


--
-- Name: defifundr_schema_convergence defifundr_schema_convergence_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.defifundr_schema_convergence
    ADD CONSTRAINT defifundr_schema_convergence_pkey PRIMARY KEY (version, seq);


--
-- Name: defifundr_schema_convergence defifundr_schema_convergence_version_object_kind_table_name_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.defifundr_schema_convergence
    ADD CONSTRAINT defifundr_schema_convergence_version_object_kind_table_name_key UNIQUE (version, object_kind, table_name, object_name);


--
-- Name: kyc kyc_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.kyc
    ADD CONSTRAINT kyc_pkey PRIMARY KEY (id);


--
-- Name: otp_verifications otp_verifications_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.otp_verifications
    ADD CONSTRAINT otp_verifications_pkey PRIMARY KEY (id);


--
-- Name: security_events security_events_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.security_events
    ADD CONSTRAINT security_events_pkey PRIMARY KEY (id);


--
-- Name: sessions sessions_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.sessions
    ADD CONSTRAINT sessions_pkey PRIMARY KEY (id);


--
-- Name: transactions transactions_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.transactions
    ADD CONSTRAINT transactions_pkey PRIMARY KEY (id);


--
-- Name: transactions transactions_tx_hash_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.transactions
    ADD CONSTRAINT transactions_tx_hash_key UNIQUE (tx_hash);


--
-- Name: user_device_tokens user_device_tokens_device_token_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.user_device_tokens
    ADD CONSTRAINT user_device_tokens_device_token_key UNIQUE (device_token);


--
-- Name: user_device_tokens user_device_tokens_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.user_device_tokens
    ADD CONSTRAINT user_device_tokens_pkey PRIMARY KEY (id);


--
-- Name: user_wallets user_wallets_address_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.user_wallets
    ADD CONSTRAINT user_wallets_address_key UNIQUE (address);


--
-- Name: user_wallets user_wallets_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.user_wallets
    ADD CONSTRAINT user_wallets_pkey PRIMARY KEY (id);


--
-- Name: users users_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.users
    ADD CONSTRAINT users_pkey PRIMARY KEY (id);


--
-- Name: waitlist waitlist_email_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.waitlist
    ADD CONSTRAINT waitlist_email_key UNIQUE (email);


--
-- Name: waitlist waitlist_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.waitlist
    ADD CONSTRAINT waitlist_pkey PRIMARY KEY (id);


--
-- Name: waitlist waitlist_referral_code_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.waitlist
    ADD CONSTRAINT waitlist_referral_code_key UNIQUE (referral_code);


--
-- Name: idx_otp_verifications_contact_method; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX idx_otp_verifications_contact_method ON public.otp_verifications USING btree (contact_method);


--
-- Name: idx_otp_verifications_purpose; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX idx_otp_verifications_purpose ON public.otp_verifications USING btree (purpose);


--
-- Name: idx_security_events_type_time; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX idx_security_events_type_time ON public.security_events USING btree (event_type, "timestamp");


--
-- Name: idx_sessions_expires_at; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX idx_sessions_expires_at ON public.sessions USING btree (expires_at);


--
-- Name: idx_sessions_refresh_token; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX idx_sessions_refresh_token ON public.sessions USING btree (refresh_token);


--
-- Name: idx_waitlist_referral_code; Type: INDEX; Schema: public; Owner: -
--

CREATE UNIQUE INDEX idx_waitlist_referral_code ON public.waitlist USING btree (referral_code);


--
-- Name: kyc_created_at_id_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX kyc_created_at_id_idx ON public.kyc USING btree (created_at, id);


--
-- Name: kyc_user_id_created_at_id_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX kyc_user_id_created_at_id_idx ON public.kyc USING btree (user_id, created_at, id);


--
-- Name: otp_verifications_created_at_id_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX otp_verifications_created_at_id_idx ON public.otp_verifications USING btree (created_at, id);


--
-- Name: otp_verifications_pending_key; Type: INDEX; Schema: public; Owner: -
--

CREATE UNIQUE INDEX otp_verifications_pending_key ON public.otp_verifications USING btree (user_id, purpose) WHERE (NOT is_verified);


--
-- Name: otp_verifications_request_id_key; Type: INDEX; Schema: public; Owner: -
--

CREATE UNIQUE INDEX otp_verifications_request_id_key ON public.otp_verifications USING btree (request_id);


--
-- Name: otp_verifications_user_id_created_at_id_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX otp_verifications_user_id_created_at_id_idx ON public.otp_verifications USING btree (user_id, created_at, id);


--
-- Name: security_events_user_id_timestamp_id_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX security_events_user_id_timestamp_id_idx ON public.security_events USING btree (user_id, "timestamp", id);


--
-- Name: sessions_created_at_id_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX sessions_created_at_id_idx ON public.sessions USING btree (created_at, id);


--
-- Name: sessions_request_id_key; Type: INDEX; Schema: public; Owner: -
--

CREATE UNIQUE INDEX sessions_request_id_key ON public.sessions USING btree (request_id);


--
-- Name: sessions_user_id_created_at_id_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX sessions_user_id_created_at_id_idx ON public.sessions USING btree (user_id, created_at, id);


--
-- Name: transactions_created_at_id_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX transactions_created_at_id_idx ON public.transactions USING btree (created_at, id);


--
-- Name: transactions_request_id_key; Type: INDEX; Schema: public; Owner: -
--

CREATE UNIQUE INDEX transactions_request_id_key ON public.transactions USING btree (request_id);


--
-- Name: transactions_status_created_at_id_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX transactions_status_created_at_id_idx ON public.transactions USING btree (status, created_at, id);


--
-- Name: transactions_user_id_created_at_id_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX transactions_user_id_created_at_id_idx ON public.transactions USING btree (user_id, created_at, id);


--
-- Name: user_device_tokens_first_registered_at_id_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX user_device_tokens_first_registered_at_id_idx ON public.user_device_tokens USING btree (first_registered_at, id);


--
-- Name: user_device_tokens_platform_first_registered_at_id_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX user_device_tokens_platform_first_registered_at_id_idx ON public.user_device_tokens USING btree (platform, first_registered_at, id);


--
-- Name: user_device_tokens_user_id_first_registered_at_id_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX user_device_tokens_user_id_first_registered_at_id_idx ON public.user_device_tokens USING btree (user_id, first_registered_at, id);


--
-- Name: user_wallets_created_at_id_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX user_wallets_created_at_id_idx ON public.user_wallets USING btree (created_at, id);


--
-- Name: user_wallets_user_id_created_at_id_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX user_wallets_user_id_created_at_id_idx ON public.user_wallets USING btree (user_id, created_at, id);


--
-- Name: users_account_type_created_at_id_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX users_account_type_created_at_id_idx ON public.users USING btree (account_type, created_at, id);


--
-- Name: users_created_at_id_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX users_created_at_id_idx ON public.users USING btree (created_at, id);


--
-- Name: users_email_case_duplicate_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX users_email_case_duplicate_idx ON public.users USING btree (lower((email)::text)) WHERE email_case_duplicate;


--
-- Name: users_email_lower_key; Type: INDEX; Schema: public; Owner: -
--

CREATE UNIQUE INDEX users_email_lower_key ON public.users USING btree (lower((email)::text)) WHERE (NOT email_case_duplicate);


--
-- Name: waitlist_signup_date_id_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX waitlist_signup_date_id_idx ON public.waitlist USING btree (signup_date, id);


--
-- Name: waitlist_status_signup_date_id_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX waitlist_status_signup_date_id_idx ON public.waitlist USING btree (status, signup_date, id);


--
-- Name: transactions transactions_status_check; Type: TRIGGER; Schema: public; Owner: -
--

CREATE TRIGGER transactions_status_check BEFORE INSERT OR UPDATE OF status ON public.transactions FOR EACH ROW EXECUTE FUNCTION public.defifundr_check_value_set('status', 'transactions_status_check', 'created', 'pending', 'not_found', 'failed', 'confirmed');


--
-- Name: users users_account_type_check; Type: TRIGGER; Schema: public; Owner: -
--

CREATE TRIGGER users_account_type_check BEFORE INSERT OR UPDATE OF account_type ON public.users FOR EACH ROW EXECUTE FUNCTION public.defifundr_check_value_set('account_type', 'users_account_type_check', 'business', 'personal');


--
-- Name: users users_personal_account_type_check; Type: TRIGGER; Schema: public; Owner: -
--

CREATE TRIGGER users_personal_account_type_check BEFORE INSERT OR UPDATE OF personal_account_type ON public.users FOR EACH ROW EXECUTE FUNCTION public.defifundr_check_value_set('personal_account_type', 'users_personal_account_type_check', 'contractor', 'freelancer', 'employee', 'user', '');


--
-- Name: kyc kyc_user_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.kyc
    ADD CONSTRAINT kyc_user_id_fkey FOREIGN KEY (user_id) REFERENCES public.users(id) ON DELETE CASCADE;


--
-- Name: otp_verifications otp_verifications_user_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.otp_verifications
    ADD CONSTRAINT otp_verifications_user_id_fkey FOREIGN KEY (user_id) REFERENCES public.users(id) ON DELETE CASCADE;


--
-- Name: security_events security_events_user_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.security_events
    ADD CONSTRAINT security_events_user_id_fkey FOREIGN KEY (user_id) REFERENCES public.users(id) ON DELETE CASCADE NOT VALID;


--
-- Name: sessions sessions_user_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.sessions
    ADD CONSTRAINT sessions_user_id_fkey FOREIGN KEY (user_id) REFERENCES public.users(id) ON DELETE CASCADE;


--
-- Name: transactions transactions_user_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.transactions
    ADD CONSTRAINT transactions_user_id_fkey FOREIGN KEY (user_id) REFERENCES public.users(id) ON DELETE CASCADE;


--
-- Name: user_device_tokens user_device_tokens_user_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.user_device_tokens
    ADD CONSTRAINT user_device_tokens_user_id_fkey FOREIGN KEY (user_id) REFERENCES public.users(id) ON DELETE CASCADE;


--
-- Name: user_wallets user_wallets_user_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.user_wallets
    ADD CONSTRAINT user_wallets_user_id_fkey FOREIGN KEY (user_id) REFERENCES public.users(id) ON DELETE CASCADE NOT VALID;


--
-- PostgreSQL database dump complete
--


