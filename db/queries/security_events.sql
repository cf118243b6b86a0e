-- Queries of SecurityEventService (table security_events).

-- name: CreateSecurityEvent :one
-- DefiFundr's CreateSecurityEvent; "timestamp" is now() unless given.
INSERT INTO security_events (
    id, user_id, event_type, ip_address, user_agent, metadata, "timestamp")
VALUES (
    COALESCE(@id::uuid, gen_random_uuid()), @user_id, @event_type,
    COALESCE(@ip_address::text, ''), @user_agent, @metadata,
    COALESCE(@timestamp::timestamptz, now()))
RETURNING id, user_id, event_type, ip_address, user_agent, metadata, "timestamp";

-- name: GetSecurityEvent :one
SELECT id, user_id, event_type, ip_address, user_agent, metadata, "timestamp"
FROM security_events
WHERE id = @id;

-- name: UpdateSecurityEvent :one
UPDATE security_events SET
    event_type = CASE WHEN 'event_type' = ANY(@update_mask::text[]) THEN @event_type ELSE event_type END,
    ip_address = CASE WHEN 'ip_address' = ANY(@update_mask) THEN @ip_address ELSE ip_address END,
    user_agent = CASE WHEN 'user_agent' = ANY(@update_mask) THEN @user_agent ELSE user_agent END,
    metadata = CASE WHEN 'metadata' = ANY(@update_mask) THEN @metadata::jsonb ELSE metadata END
WHERE id = @id
RETURNING id, user_id, event_type, ip_address, user_agent, metadata, "timestamp";

-- name: DeleteSecurityEvent :execrows
DELETE FROM security_events WHERE id = @id;

-- name: ListSecurityEvents :many
-- Oldest first, keyset pages on ("timestamp", id); filters by user, event
-- type and the time range [start_time, end_time] (inclusive, as DefiFundr's
-- BETWEEN).
SELECT id, user_id, event_type, ip_address, user_agent, metadata, "timestamp"
FROM security_events
WHERE (@user_id::uuid IS NULL OR user_id = @user_id)
  AND (@event_type::text IS NULL OR event_type = @event_type)
  AND (@start_time::timestamptz IS NULL OR "timestamp" >= @start_time)
  AND (@end_time::timestamptz IS NULL OR "timestamp" <= @end_time)
  AND ("timestamp", id) > (@cursor_time::timestamptz, @cursor_id::uuid)
ORDER BY "timestamp", id
LIMIT @page_limit;

-- name: ListSecurityEventsDesc :many
-- Newest first: DefiFundr's GetRecentLoginEventsByUserID (event_type
-- 'login', page_size as its limit) and GetSecurityEventsByUserIDAndType.
SELECT id, user_id, event_type, ip_address, user_agent, metadata, "timestamp"
FROM security_events
WHERE (@user_id::uuid IS NULL OR user_id = @user_id)
  AND (@event_type::text IS NULL OR event_type = @event_type)
  AND (@start_time::timestamptz IS NULL OR "timestamp" >= @start_time)
  AND (@end_time::timestamptz IS NULL OR "timestamp" <= @end_time)
  AND ("timestamp", id) < (@cursor_time::timestamptz, @cursor_id::uuid)
ORDER BY "timestamp" DESC, id DESC
LIMIT @page_limit;

-- name: CountSecurityEvents :one
SELECT count(*) AS total_size
FROM security_events
WHERE (@user_id::uuid IS NULL OR user_id = @user_id)
  AND (@event_type::text IS NULL OR event_type = @event_type)
  AND (@start_time::timestamptz IS NULL OR "timestamp" >= @start_time)
  AND (@end_time::timestamptz IS NULL OR "timestamp" <= @end_time);
