-- Queries of UserService (table users). Parameters are @name (bound by name
-- from the request); see db/query_catalog.h. password_hash is only written
-- here on create and never returned.

-- name: CreateUser :one
-- The later columns take DefiFundr's defaults ('' and false) when absent.
INSERT INTO users (
    id, email, password_hash, profile_picture, account_type, gender,
    personal_account_type, first_name, last_name, nationality,
    residential_country, job_role, company_website, employment_type,
    phone_number, phone_number_verified, phone_number_verified_at,
    company_name, company_address, company_city, company_postal_code,
    company_country, user_address, user_city, user_postal_code,
    employee_type, auth_provider, provider_id)
VALUES (
    COALESCE(@id::uuid, uuid_generate_v4()), @email, @password_hash,
    @profile_picture, @account_type, @gender, @personal_account_type,
    @first_name, @last_name, @nationality, @residential_country, @job_role,
    @company_website, @employment_type,
    COALESCE(@phone_number::varchar, ''),
    COALESCE(@phone_number_verified::boolean, false),
    @phone_number_verified_at,
    COALESCE(@company_name::varchar, ''), COALESCE(@company_address::varchar, ''),
    COALESCE(@company_city::varchar, ''), COALESCE(@company_postal_code::varchar, ''),
    COALESCE(@company_country::varchar, ''), COALESCE(@user_address::varchar, ''),
    COALESCE(@user_city::varchar, ''), COALESCE(@user_postal_code::varchar, ''),
    COALESCE(@employee_type::varchar, ''), @auth_provider,
    COALESCE(@provider_id::varchar, ''))
RETURNING id, email, profile_picture, account_type, gender,
    personal_account_type, first_name, last_name, nationality,
    residential_country, job_role, company_website, employment_type,
    phone_number, phone_number_verified, phone_number_verified_at,
    company_name, company_address, company_city, company_postal_code,
    company_country, user_address, user_city, user_postal_code,
    employee_type, auth_provider, provider_id, created_at, updated_at;

-- name: GetUser :one
SELECT id, email, profile_picture, account_type, gender,
    personal_account_type, first_name, last_name, nationality,
    residential_country, job_role, company_website, employment_type,
    phone_number, phone_number_verified, phone_number_verified_at,
    company_name, company_address, company_city, company_postal_code,
    company_country, user_address, user_city, user_postal_code,
    employee_type, auth_provider, provider_id, created_at, updated_at
FROM users
WHERE id = @id;

-- name: UpdateUser :one
-- Only the columns named in @update_mask change; updated_at always moves.
UPDATE users SET
    email = CASE WHEN 'email' = ANY(@update_mask::text[]) THEN @email ELSE email END,
    email_case_duplicate = email_case_duplicate AND NOT ('email' = ANY(@update_mask) AND email IS DISTINCT FROM @email::varchar),
    profile_picture = CASE WHEN 'profile_picture' = ANY(@update_mask) THEN @profile_picture ELSE profile_picture END,
    account_type = CASE WHEN 'account_type' = ANY(@update_mask) THEN @account_type ELSE account_type END,
    gender = CASE WHEN 'gender' = ANY(@update_mask) THEN @gender ELSE gender END,
    personal_account_type = CASE WHEN 'personal_account_type' = ANY(@update_mask) THEN @personal_account_type ELSE personal_account_type END,
    first_name = CASE WHEN 'first_name' = ANY(@update_mask) THEN @first_name ELSE first_name END,
    last_name = CASE WHEN 'last_name' = ANY(@update_mask) THEN @last_name ELSE last_name END,
    nationality = CASE WHEN 'nationality' = ANY(@update_mask) THEN @nationality ELSE nationality END,
    residential_country = CASE WHEN 'residential_country' = ANY(@update_mask) THEN @residential_country ELSE residential_country END,
    job_role = CASE WHEN 'job_role' = ANY(@update_mask) THEN @job_role ELSE job_role END,
    company_website = CASE WHEN 'company_website' = ANY(@update_mask) THEN @company_website ELSE company_website END,
    employment_type = CASE WHEN 'employment_type' = ANY(@update_mask) THEN @employment_type ELSE employment_type END,
    phone_number = CASE WHEN 'phone_number' = ANY(@update_mask) THEN @phone_number ELSE phone_number END,
    phone_number_verified = CASE WHEN 'phone_number_verified' = ANY(@update_mask) THEN @phone_number_verified ELSE phone_number_verified END,
    phone_number_verified_at = CASE WHEN 'phone_number_verified_at' = ANY(@update_mask) THEN @phone_number_verified_at ELSE phone_number_verified_at END,
    company_name = CASE WHEN 'company_name' = ANY(@update_mask) THEN @company_name ELSE company_name END,
    company_address = CASE WHEN 'company_address' = ANY(@update_mask) THEN @company_address ELSE company_address END,
    company_city = CASE WHEN 'company_city' = ANY(@update_mask) THEN @company_city ELSE company_city END,
    company_postal_code = CASE WHEN 'company_postal_code' = ANY(@update_mask) THEN @company_postal_code ELSE company_postal_code END,
    company_country = CASE WHEN 'company_country' = ANY(@update_mask) THEN @company_country ELSE company_country END,
    user_address = CASE WHEN 'user_address' = ANY(@update_mask) THEN @user_address ELSE user_address END,
    user_city = CASE WHEN 'user_city' = ANY(@update_mask) THEN @user_city ELSE user_city END,
    user_postal_code = CASE WHEN 'user_postal_code' = ANY(@update_mask) THEN @user_postal_code ELSE user_postal_code END,
    employee_type = CASE WHEN 'employee_type' = ANY(@update_mask) THEN @employee_type ELSE employee_type END,
    auth_provider = CASE WHEN 'auth_provider' = ANY(@update_mask) THEN @auth_provider ELSE auth_provider END,
    provider_id = CASE WHEN 'provider_id' = ANY(@update_mask) THEN COALESCE(@provider_id::varchar, '') ELSE provider_id END,
    updated_at = now()
WHERE id = @id
RETURNING id, email, profile_picture, account_type, gender,
    personal_account_type, first_name, last_name, nationality,
    residential_country, job_role, company_website, employment_type,
    phone_number, phone_number_verified, phone_number_verified_at,
    company_name, company_address, company_city, company_postal_code,
    company_country, user_address, user_city, user_postal_code,
    employee_type, auth_provider, provider_id, created_at, updated_at;

-- name: DeleteUser :execrows
DELETE FROM users WHERE id = @id;

-- name: ListUsers :many
-- Keyset page after (@cursor_time, @cursor_id); served by
-- users_created_at_id_idx / users_account_type_created_at_id_idx.
SELECT id, email, profile_picture, account_type, gender,
    personal_account_type, first_name, last_name, nationality,
    residential_country, job_role, company_website, employment_type,
    phone_number, phone_number_verified, phone_number_verified_at,
    company_name, company_address, company_city, company_postal_code,
    company_country, user_address, user_city, user_postal_code,
    employee_type, auth_provider, provider_id, created_at, updated_at
FROM users
WHERE (@account_type::varchar IS NULL OR account_type = @account_type)
  AND (created_at, id) > (@cursor_time::timestamptz, @cursor_id::uuid)
ORDER BY created_at, id
LIMIT @page_limit;

-- name: CountUsers :one
SELECT count(*) AS total_size
FROM users
WHERE (@account_type::varchar IS NULL OR account_type = @account_type);

-- name: ListUsersDesc :many
-- ListUsers newest first: keyset page before (@cursor_time, @cursor_id).
SELECT id, email, profile_picture, account_type, gender,
    personal_account_type, first_name, last_name, nationality,
    residential_country, job_role, company_website, employment_type,
    phone_number, phone_number_verified, phone_number_verified_at,
    company_name, company_address, company_city, company_postal_code,
    company_country, user_address, user_city, user_postal_code,
    employee_type, auth_provider, provider_id, created_at, updated_at
FROM users
WHERE (@account_type::varchar IS NULL OR account_type = @account_type)
  AND (created_at, id) < (@cursor_time::timestamptz, @cursor_id::uuid)
ORDER BY created_at DESC, id DESC
LIMIT @page_limit;

-- name: GetUserByEmail :one
SELECT id, email, profile_picture, account_type, gender,
    personal_account_type, first_name, last_name, nationality,
    residential_country, job_role, company_website, employment_type,
    phone_number, phone_number_verified, phone_number_verified_at,
    company_name, company_address, company_city, company_postal_code,
    company_country, user_address, user_city, user_postal_code,
    employee_type, auth_provider, provider_id, created_at, updated_at
FROM users
-- Of e-mails equal but for case (possible in DefiFundr's databases; see
-- migration 20251201000002) the row with exactly this e-mail answers, else
-- the one not marked email_case_duplicate. Index-served:
-- users_email_case_duplicate_idx, users_email_lower_key, then the key.
WHERE id = COALESCE(
    (SELECT d.id FROM users d
     WHERE lower(d.email) = lower(@email) AND d.email_case_duplicate AND d.email = @email
     ORDER BY d.created_at, d.id LIMIT 1),
    (SELECT u.id FROM users u
     WHERE lower(u.email) = lower(@email) AND NOT u.email_case_duplicate));

-- name: CheckEmailExists :one
-- Every marked row (email_case_duplicate) has an unmarked one with the same
-- lower(email), so the unmarked rows (users_email_lower_key) decide.
SELECT EXISTS (
    SELECT 1 FROM users WHERE lower(email) = lower(@email) AND NOT email_case_duplicate
) AS exists;

-- name: SearchUsers :many
-- Substring search; like_escape() (see below) makes % and _ in the query
-- literal.
SELECT id, email, profile_picture, account_type, gender,
    personal_account_type, first_name, last_name, nationality,
    residential_country, job_role, company_website, employment_type,
    phone_number, phone_number_verified, phone_number_verified_at,
    company_name, company_address, company_city, company_postal_code,
    company_country, user_address, user_city, user_postal_code,
    employee_type, auth_provider, provider_id, created_at, updated_at
FROM users
WHERE (first_name ILIKE '%' || like_escape(@query) || '%'
       OR last_name ILIKE '%' || like_escape(@query) || '%'
       OR email ILIKE '%' || like_escape(@query) || '%'
       OR nationality ILIKE '%' || like_escape(@query) || '%')
  AND (created_at, id) > (@cursor_time::timestamptz, @cursor_id::uuid)
ORDER BY created_at, id
LIMIT @page_limit;

-- name: CountSearchUsers :one
SELECT count(*) AS total_size
FROM users
WHERE (first_name ILIKE '%' || like_escape(@query) || '%'
       OR last_name ILIKE '%' || like_escape(@query) || '%'
       OR email ILIKE '%' || like_escape(@query) || '%'
       OR nationality ILIKE '%' || like_escape(@query) || '%');

-- name: CountUsersByFilter :one
SELECT count(*) AS count
FROM users
WHERE (@account_type::varchar IS NULL OR account_type = @account_type)
  AND (@query::varchar IS NULL OR (first_name ILIKE '%' || like_escape(@query) || '%'
       OR last_name ILIKE '%' || like_escape(@query) || '%'
       OR email ILIKE '%' || like_escape(@query) || '%'
       OR nationality ILIKE '%' || like_escape(@query) || '%'));

-- name: UpdateUserEmail :one
-- A row marked email_case_duplicate (see migration 20251201000002) that
-- gets another e-mail joins the case-insensitive uniqueness again.
UPDATE users SET email = @email::varchar,
    email_case_duplicate = email_case_duplicate AND email = @email::varchar,
    updated_at = now()
WHERE id = @id
RETURNING id, email, profile_picture, account_type, gender,
    personal_account_type, first_name, last_name, nationality,
    residential_country, job_role, company_website, employment_type,
    phone_number, phone_number_verified, phone_number_verified_at,
    company_name, company_address, company_city, company_postal_code,
    company_country, user_address, user_city, user_postal_code,
    employee_type, auth_provider, provider_id, created_at, updated_at;

-- name: UpdateUserPassword :execrows
UPDATE users SET password_hash = @password_hash, updated_at = now()
WHERE id = @id;

-- name: GetUserCredentialsById :one
SELECT id, email, password_hash FROM users WHERE id = @id;

-- name: GetUserCredentialsByEmail :one
-- Which row answers: as GetUserByEmail.
SELECT id, email, password_hash FROM users
WHERE id = COALESCE(
    (SELECT d.id FROM users d
     WHERE lower(d.email) = lower(@email) AND d.email_case_duplicate AND d.email = @email
     ORDER BY d.created_at, d.id LIMIT 1),
    (SELECT u.id FROM users u
     WHERE lower(u.email) = lower(@email) AND NOT u.email_case_duplicate));
