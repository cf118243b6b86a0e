-- Queries of SessionService (table sessions).

-- name: CreateSession :one
-- With a @request_id already used, inserts nothing and returns no row (the
-- caller then reads GetSessionByRequestId).
INSERT INTO sessions (
    id, user_id, refresh_token, user_agent, web_oauth_client_id,
    oauth_access_token, oauth_id_token, user_login_type, mfa_enabled,
    client_ip, is_blocked, expires_at, request_id, last_used_at)
VALUES (
    COALESCE(@id::uuid, gen_random_uuid()), @user_id, @refresh_token,
    @user_agent, @web_oauth_client_id, @oauth_access_token, @oauth_id_token,
    @user_login_type, @mfa_enabled, @client_ip, @is_blocked, @expires_at,
    @request_id::uuid, COALESCE(@last_used_at::timestamptz, now()))
ON CONFLICT (request_id) DO NOTHING
RETURNING id, user_id, refresh_token, user_agent, web_oauth_client_id,
    oauth_access_token, oauth_id_token, user_login_type, mfa_enabled,
    client_ip, is_blocked, expires_at, created_at, last_used_at;

-- name: GetSession :one
SELECT id, user_id, refresh_token, user_agent, web_oauth_client_id,
    oauth_access_token, oauth_id_token, user_login_type, mfa_enabled,
    client_ip, is_blocked, expires_at, created_at, last_used_at
FROM sessions
WHERE id = @id;

-- name: UpdateSession :one
UPDATE sessions SET
    refresh_token = CASE WHEN 'refresh_token' = ANY(@update_mask::text[]) THEN @refresh_token ELSE refresh_token END,
    user_agent = CASE WHEN 'user_agent' = ANY(@update_mask) THEN @user_agent ELSE user_agent END,
    web_oauth_client_id = CASE WHEN 'web_oauth_client_id' = ANY(@update_mask) THEN @web_oauth_client_id ELSE web_oauth_client_id END,
    oauth_access_token = CASE WHEN 'oauth_access_token' = ANY(@update_mask) THEN @oauth_access_token ELSE oauth_access_token END,
    oauth_id_token = CASE WHEN 'oauth_id_token' = ANY(@update_mask) THEN @oauth_id_token ELSE oauth_id_token END,
    user_login_type = CASE WHEN 'user_login_type' = ANY(@update_mask) THEN @user_login_type ELSE user_login_type END,
    mfa_enabled = CASE WHEN 'mfa_enabled' = ANY(@update_mask) THEN @mfa_enabled ELSE mfa_enabled END,
    client_ip = CASE WHEN 'client_ip' = ANY(@update_mask) THEN @client_ip ELSE client_ip END,
    is_blocked = CASE WHEN 'is_blocked' = ANY(@update_mask) THEN @is_blocked ELSE is_blocked END,
    expires_at = CASE WHEN 'expires_at' = ANY(@update_mask) THEN @expires_at ELSE expires_at END,
    last_used_at = CASE WHEN 'last_used_at' = ANY(@update_mask) THEN @last_used_at ELSE last_used_at END
WHERE id = @id
RETURNING id, user_id, refresh_token, user_agent, web_oauth_client_id,
    oauth_access_token, oauth_id_token, user_login_type, mfa_enabled,
    client_ip, is_blocked, expires_at, created_at, last_used_at;

-- name: DeleteSession :execrows
DELETE FROM sessions WHERE id = @id;

-- name: ListSessions :many
SELECT id, user_id, refresh_token, user_agent, web_oauth_client_id,
    oauth_access_token, oauth_id_token, user_login_type, mfa_enabled,
    client_ip, is_blocked, expires_at, created_at, last_used_at
FROM sessions
WHERE (@user_id::uuid IS NULL OR user_id = @user_id)
  AND (NOT @active_only::boolean OR (NOT is_blocked AND expires_at > now()))
  AND (created_at, id) > (@cursor_time::timestamptz, @cursor_id::uuid)
ORDER BY created_at, id
LIMIT @page_limit;

-- name: CountSessions :one
SELECT count(*) AS total_size
FROM sessions
WHERE (@user_id::uuid IS NULL OR user_id = @user_id)
  AND (NOT @active_only::boolean OR (NOT is_blocked AND expires_at > now()));

-- name: GetSessionByRequestId :one
SELECT id, user_id, refresh_token, user_agent, web_oauth_client_id,
    oauth_access_token, oauth_id_token, user_login_type, mfa_enabled,
    client_ip, is_blocked, expires_at, created_at, last_used_at FROM sessions WHERE request_id = @request_id;

-- name: GetSessionByRefreshToken :one
SELECT id, user_id, refresh_token, user_agent, web_oauth_client_id,
    oauth_access_token, oauth_id_token, user_login_type, mfa_enabled,
    client_ip, is_blocked, expires_at, created_at, last_used_at FROM sessions
-- refresh_token is not unique: DefiFundr's code once wrote '' for every
-- session. The newest session with the token answers.
WHERE refresh_token = @refresh_token
ORDER BY created_at DESC, id DESC
LIMIT 1;

-- name: CountActiveSessions :one
SELECT count(*) AS count
FROM sessions
WHERE (@user_id::uuid IS NULL OR user_id = @user_id) AND NOT is_blocked AND expires_at > now();

-- name: UpdateRefreshToken :one
-- A refresh is a use: last_used_at moves to now() (DefiFundr's
-- UpdateSessionRefreshToken set it from its caller).
UPDATE sessions SET refresh_token = @refresh_token, last_used_at = now()
WHERE id = @id
RETURNING id, user_id, refresh_token, user_agent, web_oauth_client_id,
    oauth_access_token, oauth_id_token, user_login_type, mfa_enabled,
    client_ip, is_blocked, expires_at, created_at, last_used_at;

-- name: BlockSession :one
UPDATE sessions SET is_blocked = true
WHERE id = @id
RETURNING id, user_id, refresh_token, user_agent, web_oauth_client_id,
    oauth_access_token, oauth_id_token, user_login_type, mfa_enabled,
    client_ip, is_blocked, expires_at, created_at, last_used_at;

-- name: BlockUserSessions :execrows
UPDATE sessions SET is_blocked = true WHERE user_id = @user_id AND NOT is_blocked;

-- name: BlockExpiredSessions :execrows
UPDATE sessions SET is_blocked = true WHERE expires_at <= now() AND NOT is_blocked;

-- name: DeleteUserSessions :execrows
DELETE FROM sessions WHERE user_id = @user_id;

-- name: DeleteExpiredSessions :execrows
DELETE FROM sessions WHERE expires_at < @expired_before;

-- name: LockSession :one
-- RotateSession's first step: the row lock serializes concurrent rotations.
SELECT id, user_id, refresh_token, user_agent, web_oauth_client_id,
    oauth_access_token, oauth_id_token, user_login_type, mfa_enabled,
    client_ip, is_blocked, expires_at, created_at, last_used_at, (NOT is_blocked AND expires_at > now()) AS is_active
FROM sessions
WHERE id = @id
FOR UPDATE;
