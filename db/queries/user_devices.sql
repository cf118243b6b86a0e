-- Queries of UserDeviceService (table user_device_tokens). Lists are ordered
-- by (first_registered_at, id).

-- name: CreateUserDevice :one
INSERT INTO user_device_tokens (
    id, user_id, device_token, platform, device_type, device_model, os_name,
    os_version, push_notification_token, is_active, is_verified, last_used_at,
    app_version, client_ip, expires_at, is_revoked)
VALUES (
    COALESCE(@id::uuid, gen_random_uuid()), @user_id, @device_token,
    @platform, @device_type, @device_model, @os_name, @os_version,
    @push_notification_token, COALESCE(@is_active::boolean, true),
    @is_verified, @last_used_at, @app_version, @client_ip, @expires_at,
    @is_revoked)
RETURNING id, user_id, device_token, platform, device_type, device_model,
    os_name, os_version, push_notification_token, is_active, is_verified,
    last_used_at, first_registered_at, app_version, client_ip, expires_at,
    is_revoked;

-- name: GetUserDevice :one
SELECT id, user_id, device_token, platform, device_type, device_model,
    os_name, os_version, push_notification_token, is_active, is_verified,
    last_used_at, first_registered_at, app_version, client_ip, expires_at,
    is_revoked
FROM user_device_tokens
WHERE id = @id;

-- name: UpdateUserDevice :one
UPDATE user_device_tokens SET
    device_token = CASE WHEN 'device_token' = ANY(@update_mask::text[]) THEN @device_token ELSE device_token END,
    platform = CASE WHEN 'platform' = ANY(@update_mask) THEN @platform ELSE platform END,
    device_type = CASE WHEN 'device_type' = ANY(@update_mask) THEN @device_type ELSE device_type END,
    device_model = CASE WHEN 'device_model' = ANY(@update_mask) THEN @device_model ELSE device_model END,
    os_name = CASE WHEN 'os_name' = ANY(@update_mask) THEN @os_name ELSE os_name END,
    os_version = CASE WHEN 'os_version' = ANY(@update_mask) THEN @os_version ELSE os_version END,
    push_notification_token = CASE WHEN 'push_notification_token' = ANY(@update_mask) THEN @push_notification_token ELSE push_notification_token END,
    is_active = CASE WHEN 'is_active' = ANY(@update_mask) THEN COALESCE(@is_active::boolean, true) ELSE is_active END,
    is_verified = CASE WHEN 'is_verified' = ANY(@update_mask) THEN @is_verified ELSE is_verified END,
    last_used_at = CASE WHEN 'last_used_at' = ANY(@update_mask) THEN @last_used_at ELSE last_used_at END,
    app_version = CASE WHEN 'app_version' = ANY(@update_mask) THEN @app_version ELSE app_version END,
    client_ip = CASE WHEN 'client_ip' = ANY(@update_mask) THEN @client_ip ELSE client_ip END,
    expires_at = CASE WHEN 'expires_at' = ANY(@update_mask) THEN @expires_at ELSE expires_at END,
    is_revoked = CASE WHEN 'is_revoked' = ANY(@update_mask) THEN @is_revoked ELSE is_revoked END
WHERE id = @id
RETURNING id, user_id, device_token, platform, device_type, device_model,
    os_name, os_version, push_notification_token, is_active, is_verified,
    last_used_at, first_registered_at, app_version, client_ip, expires_at,
    is_revoked;

-- name: DeleteUserDevice :execrows
DELETE FROM user_device_tokens WHERE id = @id;

-- name: ListUserDevices :many
SELECT id, user_id, device_token, platform, device_type, device_model,
    os_name, os_version, push_notification_token, is_active, is_verified,
    last_used_at, first_registered_at, app_version, client_ip, expires_at,
    is_revoked
FROM user_device_tokens
WHERE (@user_id::uuid IS NULL OR user_id = @user_id)
  AND (@platform::varchar IS NULL OR platform = @platform)
  AND (NOT @active_only::boolean
       OR (is_active AND NOT is_revoked
           AND (expires_at IS NULL OR expires_at > now())))
  AND (first_registered_at, id) > (@cursor_time::timestamptz, @cursor_id::uuid)
ORDER BY first_registered_at, id
LIMIT @page_limit;

-- name: CountUserDevices :one
SELECT count(*) AS total_size
FROM user_device_tokens
WHERE (@user_id::uuid IS NULL OR user_id = @user_id)
  AND (@platform::varchar IS NULL OR platform = @platform)
  AND (NOT @active_only::boolean
       OR (is_active AND NOT is_revoked
           AND (expires_at IS NULL OR expires_at > now())));

-- name: UpsertDeviceToken :one
-- A token already registered to another user is left alone: no row comes
-- back, and the handler answers ALREADY_EXISTS.
INSERT INTO user_device_tokens (
    user_id, device_token, platform, device_type, device_model, os_name,
    os_version, push_notification_token, is_active, is_verified, last_used_at,
    app_version, client_ip, expires_at, is_revoked)
VALUES (
    @user_id, @device_token, @platform, @device_type, @device_model, @os_name,
    @os_version, @push_notification_token, COALESCE(@is_active::boolean, true),
    @is_verified, now(), @app_version, @client_ip, @expires_at, @is_revoked)
ON CONFLICT (device_token) DO UPDATE SET
    platform = EXCLUDED.platform,
    device_type = EXCLUDED.device_type,
    device_model = EXCLUDED.device_model,
    os_name = EXCLUDED.os_name,
    os_version = EXCLUDED.os_version,
    push_notification_token = EXCLUDED.push_notification_token,
    is_active = EXCLUDED.is_active,
    is_verified = EXCLUDED.is_verified,
    last_used_at = now(),
    app_version = EXCLUDED.app_version,
    client_ip = EXCLUDED.client_ip,
    expires_at = EXCLUDED.expires_at,
    is_revoked = EXCLUDED.is_revoked
WHERE user_device_tokens.user_id = EXCLUDED.user_id
RETURNING id, user_id, device_token, platform, device_type, device_model,
    os_name, os_version, push_notification_token, is_active, is_verified,
    last_used_at, first_registered_at, app_version, client_ip, expires_at,
    is_revoked;

-- name: GetDeviceByToken :one
SELECT id, user_id, device_token, platform, device_type, device_model,
    os_name, os_version, push_notification_token, is_active, is_verified,
    last_used_at, first_registered_at, app_version, client_ip, expires_at,
    is_revoked FROM user_device_tokens WHERE device_token = @device_token;

-- name: SearchDevices :many
SELECT id, user_id, device_token, platform, device_type, device_model,
    os_name, os_version, push_notification_token, is_active, is_verified,
    last_used_at, first_registered_at, app_version, client_ip, expires_at,
    is_revoked
FROM user_device_tokens
WHERE user_id = @user_id
  AND (device_type ILIKE '%' || like_escape(@query) || '%'
       OR device_model ILIKE '%' || like_escape(@query) || '%'
       OR platform ILIKE '%' || like_escape(@query) || '%')
  AND (first_registered_at, id) > (@cursor_time::timestamptz, @cursor_id::uuid)
ORDER BY first_registered_at, id
LIMIT @page_limit;

-- name: CountSearchDevices :one
SELECT count(*) AS total_size FROM user_device_tokens WHERE user_id = @user_id
  AND (device_type ILIKE '%' || like_escape(@query) || '%'
       OR device_model ILIKE '%' || like_escape(@query) || '%'
       OR platform ILIKE '%' || like_escape(@query) || '%');

-- name: TouchDevice :one
UPDATE user_device_tokens
SET last_used_at = now(), client_ip = COALESCE(@client_ip, client_ip)
WHERE id = @id
RETURNING id, user_id, device_token, platform, device_type, device_model,
    os_name, os_version, push_notification_token, is_active, is_verified,
    last_used_at, first_registered_at, app_version, client_ip, expires_at,
    is_revoked;

-- name: UpdatePushToken :one
UPDATE user_device_tokens
SET push_notification_token = @push_notification_token, is_verified = true
WHERE id = @id
RETURNING id, user_id, device_token, platform, device_type, device_model,
    os_name, os_version, push_notification_token, is_active, is_verified,
    last_used_at, first_registered_at, app_version, client_ip, expires_at,
    is_revoked;

-- name: RevokeDevice :one
UPDATE user_device_tokens SET is_revoked = true, is_active = false
WHERE id = @id
RETURNING id, user_id, device_token, platform, device_type, device_model,
    os_name, os_version, push_notification_token, is_active, is_verified,
    last_used_at, first_registered_at, app_version, client_ip, expires_at,
    is_revoked;

-- name: CountActiveDevices :one
SELECT count(*) AS count
FROM user_device_tokens
WHERE (@user_id::uuid IS NULL OR user_id = @user_id) AND is_active AND NOT is_revoked AND (expires_at IS NULL OR expires_at > now());

-- name: DeleteExpiredDevices :execrows
DELETE FROM user_device_tokens WHERE expires_at < @expired_before;
