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
    request_id uuid
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
    request_id uuid,
    CONSTRAINT transactions_status_check CHECK (((status)::text = ANY ((ARRAY['created'::character varying, 'pending'::character varying, 'not_found'::character varying, 'failed'::character varying, 'confirmed'::character varying])::text[])))
);


--
-- Name: COLUMN transactions.tx_hash; Type: COMMENT; Schema: public; Owner: -
--

COMMENT ON COLUMN public.transactions.tx_hash IS 'On-chain transaction hash, unique per transaction';


--
-- Name: COLUMN transactions.transaction_pin_hash; Type: COMMENT; Schema: public; Owner: -
--

COMMENT ON COLUMN public.transactions.transaction_pin_hash IS 'Hash of the transaction PIN (secret)';


--
-- Name: COLUMN transactions.status; Type: COMMENT; Schema: public; Owner: -
--

COMMENT ON COLUMN public.transactions.status IS 'Transaction status: created, pending, not_found, failed or confirmed';


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
-- Name: users; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.users (
    id uuid DEFAULT public.uuid_generate_v4() NOT NULL,
    email character varying(255) NOT NULL,
    password_hash character varying(255),
    profile_picture character varying(255),
    account_type character varying(50) NOT NULL,
    gender character varying(50),
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
    CONSTRAINT users_account_type_check CHECK (((account_type)::text = ANY ((ARRAY['business'::character varying, 'personal'::character varying])::text[]))),
    CONSTRAINT users_personal_account_type_check CHECK (((personal_account_type)::text = ANY ((ARRAY['contractor'::character varying, 'freelancer'::character varying, 'employee'::character varying])::text[])))
);


--
-- Name: COLUMN users.account_type; Type: COMMENT; Schema: public; Owner: -
--

COMMENT ON COLUMN public.users.account_type IS 'Type of account: business or personal';


--
-- Name: COLUMN users.personal_account_type; Type: COMMENT; Schema: public; Owner: -
--

COMMENT ON COLUMN public.users.personal_account_type IS 'Kind of personal account: contractor, freelancer or employee';


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
-- Name: users users_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.users
    ADD CONSTRAINT users_pkey PRIMARY KEY (id);


--
-- Name: idx_otp_verifications_contact_method; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX idx_otp_verifications_contact_method ON public.otp_verifications USING btree (contact_method);


--
-- Name: idx_otp_verifications_purpose; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX idx_otp_verifications_purpose ON public.otp_verifications USING btree (purpose);


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
-- Name: users_account_type_created_at_id_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX users_account_type_created_at_id_idx ON public.users USING btree (account_type, created_at, id);


--
-- Name: users_created_at_id_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX users_created_at_id_idx ON public.users USING btree (created_at, id);


--
-- Name: users_email_lower_key; Type: INDEX; Schema: public; Owner: -
--

CREATE UNIQUE INDEX users_email_lower_key ON public.users USING btree (lower((email)::text));


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
-- PostgreSQL database dump complete
--


