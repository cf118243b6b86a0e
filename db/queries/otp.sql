-- Queries of OtpService (table otp_verifications).

-- name: CreateOtp :one
-- CreateOtp's insert, after DeletePendingOtp in the same transaction.
INSERT INTO otp_verifications (
    id, user_id, otp_code, hashed_otp, purpose, contact_method, attempts_made,
    max_attempts, is_verified, expires_at, verified_at, ip_address,
    user_agent, device_id, request_id)
VALUES (
    COALESCE(@id::uuid, uuid_generate_v4()), @user_id, @otp_code,
    @hashed_otp, @purpose, @contact_method, @attempts_made,
    COALESCE(NULLIF(@max_attempts::integer, 0), 5), @is_verified,
    @expires_at, @verified_at, @ip_address::inet, @user_agent, @device_id,
    @request_id::uuid)
RETURNING id, user_id, otp_code, hashed_otp, purpose, contact_method,
    attempts_made, max_attempts, is_verified, created_at, expires_at,
    verified_at, host(ip_address) AS ip_address, user_agent, device_id;

-- name: GetOtp :one
SELECT id, user_id, otp_code, hashed_otp, purpose, contact_method,
    attempts_made, max_attempts, is_verified, created_at, expires_at,
    verified_at, host(ip_address) AS ip_address, user_agent, device_id
FROM otp_verifications
WHERE id = @id;

-- name: UpdateOtp :one
UPDATE otp_verifications SET
    otp_code = CASE WHEN 'otp_code' = ANY(@update_mask::text[]) THEN @otp_code ELSE otp_code END,
    hashed_otp = CASE WHEN 'hashed_otp' = ANY(@update_mask) THEN @hashed_otp ELSE hashed_otp END,
    purpose = CASE WHEN 'purpose' = ANY(@update_mask) THEN @purpose ELSE purpose END,
    contact_method = CASE WHEN 'contact_method' = ANY(@update_mask) THEN @contact_method ELSE contact_method END,
    attempts_made = CASE WHEN 'attempts_made' = ANY(@update_mask) THEN @attempts_made ELSE attempts_made END,
    max_attempts = CASE WHEN 'max_attempts' = ANY(@update_mask) THEN @max_attempts ELSE max_attempts END,
    is_verified = CASE WHEN 'is_verified' = ANY(@update_mask) THEN @is_verified ELSE is_verified END,
    expires_at = CASE WHEN 'expires_at' = ANY(@update_mask) THEN @expires_at ELSE expires_at END,
    verified_at = CASE WHEN 'verified_at' = ANY(@update_mask) THEN @verified_at ELSE verified_at END,
    ip_address = CASE WHEN 'ip_address' = ANY(@update_mask) THEN @ip_address::inet ELSE ip_address END,
    user_agent = CASE WHEN 'user_agent' = ANY(@update_mask) THEN @user_agent ELSE user_agent END,
    device_id = CASE WHEN 'device_id' = ANY(@update_mask) THEN @device_id ELSE device_id END
WHERE id = @id
RETURNING id, user_id, otp_code, hashed_otp, purpose, contact_method,
    attempts_made, max_attempts, is_verified, created_at, expires_at,
    verified_at, host(ip_address) AS ip_address, user_agent, device_id;

-- name: DeleteOtp :execrows
DELETE FROM otp_verifications WHERE id = @id;

-- name: ListOtps :many
SELECT id, user_id, otp_code, hashed_otp, purpose, contact_method,
    attempts_made, max_attempts, is_verified, created_at, expires_at,
    verified_at, host(ip_address) AS ip_address, user_agent, device_id
FROM otp_verifications
WHERE (@user_id::uuid IS NULL OR user_id = @user_id)
  AND (@purpose::otp_purpose IS NULL OR purpose = @purpose)
  AND (created_at, id) > (@cursor_time::timestamptz, @cursor_id::uuid)
ORDER BY created_at, id
LIMIT @page_limit;

-- name: CountOtps :one
SELECT count(*) AS total_size
FROM otp_verifications
WHERE (@user_id::uuid IS NULL OR user_id = @user_id)
  AND (@purpose::otp_purpose IS NULL OR purpose = @purpose);

-- name: LockOtpCreation :exec
-- Serializes CreateOtp for one (user, purpose) until the transaction ends.
SELECT pg_advisory_xact_lock(hashtextextended(
    'otp:' || coalesce(@user_id::text, '') || ':' || @purpose::text, 0));

-- name: GetOtpByRequestId :one
SELECT id, user_id, otp_code, hashed_otp, purpose, contact_method,
    attempts_made, max_attempts, is_verified, created_at, expires_at,
    verified_at, host(ip_address) AS ip_address, user_agent, device_id FROM otp_verifications WHERE request_id = @request_id;

-- name: DeletePendingOtp :execrows
DELETE FROM otp_verifications
WHERE user_id = @user_id AND purpose = @purpose AND NOT is_verified;

-- name: GetActiveOtp :one
SELECT id, user_id, otp_code, hashed_otp, purpose, contact_method,
    attempts_made, max_attempts, is_verified, created_at, expires_at,
    verified_at, host(ip_address) AS ip_address, user_agent, device_id
FROM otp_verifications
WHERE user_id = @user_id AND purpose = @purpose AND NOT is_verified
  AND expires_at > now()
ORDER BY created_at DESC, id DESC
LIMIT 1;

-- name: ListPendingOtps :many
SELECT id, user_id, otp_code, hashed_otp, purpose, contact_method,
    attempts_made, max_attempts, is_verified, created_at, expires_at,
    verified_at, host(ip_address) AS ip_address, user_agent, device_id
FROM otp_verifications
WHERE user_id = @user_id AND NOT is_verified
  AND (created_at, id) > (@cursor_time::timestamptz, @cursor_id::uuid)
ORDER BY created_at, id
LIMIT @page_limit;

-- name: CountPendingOtps :one
SELECT count(*) AS total_size
FROM otp_verifications
WHERE user_id = @user_id AND NOT is_verified;

-- name: CountActiveOtps :one
-- DefiFundr's CountActiveOTPsForUser (with user_id and purpose).
SELECT count(*) AS count
FROM otp_verifications
WHERE (@user_id::uuid IS NULL OR user_id = @user_id)
  AND (@purpose::otp_purpose IS NULL OR purpose = @purpose)
  AND NOT is_verified AND expires_at > now();

-- name: DeleteExpiredOtps :execrows
DELETE FROM otp_verifications WHERE expires_at < @expired_before;

-- name: LockOtpById :one
-- VerifyOtp's first step: the row lock serializes concurrent attempts.
SELECT id, user_id, otp_code, hashed_otp, purpose, contact_method,
    attempts_made, max_attempts, is_verified, created_at, expires_at,
    verified_at, host(ip_address) AS ip_address, user_agent, device_id, expires_at <= now() AS expired
FROM otp_verifications
WHERE id = @id
FOR UPDATE;

-- name: LockOtpByUserPurpose :one
SELECT id, user_id, otp_code, hashed_otp, purpose, contact_method,
    attempts_made, max_attempts, is_verified, created_at, expires_at,
    verified_at, host(ip_address) AS ip_address, user_agent, device_id, expires_at <= now() AS expired
FROM otp_verifications
WHERE user_id = @user_id AND purpose = @purpose AND NOT is_verified
ORDER BY created_at DESC, id DESC
LIMIT 1
FOR UPDATE;

-- name: RecordOtpAttempt :one
UPDATE otp_verifications
SET attempts_made = attempts_made + 1,
    is_verified = @verified::boolean,
    verified_at = CASE WHEN @verified THEN now() ELSE verified_at END
WHERE id = @id
RETURNING id, user_id, otp_code, hashed_otp, purpose, contact_method,
    attempts_made, max_attempts, is_verified, created_at, expires_at,
    verified_at, host(ip_address) AS ip_address, user_agent, device_id;
