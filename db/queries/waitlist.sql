-- Queries of WaitlistService (table waitlist).

-- name: CreateWaitlistEntry :one
-- DefiFundr's CreateWaitlistEntry: status 'waiting' and signup_date now()
-- unless given.
INSERT INTO waitlist (
    id, email, full_name, referral_code, referral_source, status, signup_date,
    invited_date, registered_date, metadata)
VALUES (
    COALESCE(@id::uuid, uuid_generate_v4()), @email, @full_name,
    @referral_code, @referral_source, COALESCE(@status::varchar, 'waiting'),
    COALESCE(@signup_date::timestamptz, now()), @invited_date, @registered_date,
    @metadata)
RETURNING id, email, full_name, referral_code, referral_source, status, signup_date,
    invited_date, registered_date, metadata, created_at, updated_at;

-- name: GetWaitlistEntry :one
-- DefiFundr's GetWaitlistEntryByID.
SELECT id, email, full_name, referral_code, referral_source, status, signup_date,
    invited_date, registered_date, metadata, created_at, updated_at
FROM waitlist
WHERE id = @id;

-- name: UpdateWaitlistEntry :one
UPDATE waitlist SET
    email = CASE WHEN 'email' = ANY(@update_mask::text[]) THEN @email ELSE email END,
    full_name = CASE WHEN 'full_name' = ANY(@update_mask) THEN @full_name ELSE full_name END,
    referral_code = CASE WHEN 'referral_code' = ANY(@update_mask) THEN @referral_code ELSE referral_code END,
    referral_source = CASE WHEN 'referral_source' = ANY(@update_mask) THEN @referral_source ELSE referral_source END,
    status = CASE WHEN 'status' = ANY(@update_mask) THEN @status ELSE status END,
    invited_date = CASE WHEN 'invited_date' = ANY(@update_mask) THEN @invited_date ELSE invited_date END,
    registered_date = CASE WHEN 'registered_date' = ANY(@update_mask) THEN @registered_date ELSE registered_date END,
    metadata = CASE WHEN 'metadata' = ANY(@update_mask) THEN @metadata::jsonb ELSE metadata END,
    updated_at = now()
WHERE id = @id
RETURNING id, email, full_name, referral_code, referral_source, status, signup_date,
    invited_date, registered_date, metadata, created_at, updated_at;

-- name: DeleteWaitlistEntry :execrows
DELETE FROM waitlist WHERE id = @id;

-- name: ListWaitlistEntries :many
-- DefiFundr's ListWaitlistEntries (signup_date_asc) and
-- ExportWaitlistEntries, as keyset pages on (signup_date, id).
SELECT id, email, full_name, referral_code, referral_source, status, signup_date,
    invited_date, registered_date, metadata, created_at, updated_at
FROM waitlist
WHERE (@status::varchar IS NULL OR status = @status)
  AND (@referral_source::varchar IS NULL OR referral_source = @referral_source)
  AND (signup_date, id) > (@cursor_time::timestamptz, @cursor_id::uuid)
ORDER BY signup_date, id
LIMIT @page_limit;

-- name: ListWaitlistEntriesDesc :many
-- ListWaitlistEntries newest first (DefiFundr's signup_date_desc, its
-- default): keyset page before (@cursor_time, @cursor_id).
SELECT id, email, full_name, referral_code, referral_source, status, signup_date,
    invited_date, registered_date, metadata, created_at, updated_at
FROM waitlist
WHERE (@status::varchar IS NULL OR status = @status)
  AND (@referral_source::varchar IS NULL OR referral_source = @referral_source)
  AND (signup_date, id) < (@cursor_time::timestamptz, @cursor_id::uuid)
ORDER BY signup_date DESC, id DESC
LIMIT @page_limit;

-- name: CountWaitlistEntries :one
-- DefiFundr's CountWaitlistEntries: total_size of ListWaitlistEntries.
SELECT count(*) AS total_size
FROM waitlist
WHERE (@status::varchar IS NULL OR status = @status)
  AND (@referral_source::varchar IS NULL OR referral_source = @referral_source);

-- name: GetWaitlistEntryByEmail :one
SELECT id, email, full_name, referral_code, referral_source, status, signup_date,
    invited_date, registered_date, metadata, created_at, updated_at
FROM waitlist
WHERE email = @email;

-- name: GetWaitlistEntryByReferralCode :one
SELECT id, email, full_name, referral_code, referral_source, status, signup_date,
    invited_date, registered_date, metadata, created_at, updated_at
FROM waitlist
WHERE referral_code = @referral_code;

-- name: GetWaitlistPosition :one
-- The entry's place among the waiting entries by (signup_date, id), 1 for
-- the first; no row when no entry has @id. DefiFundr's version counted by
-- signup_date alone, so entries signed up in the same instant shared a
-- place.
SELECT e.id,
    (SELECT count(*) FROM waitlist w
     WHERE w.status = 'waiting'
       AND (w.signup_date, w.id) <= (e.signup_date, e.id)) AS position
FROM waitlist e
WHERE e.id = @id;

-- name: SearchWaitlist :many
-- Substring search of e-mail and full name (like_escape() makes % and _
-- literal), as keyset pages on (signup_date, id).
SELECT id, email, full_name, referral_code, referral_source, status, signup_date,
    invited_date, registered_date, metadata, created_at, updated_at
FROM waitlist
WHERE (email ILIKE '%' || like_escape(@query) || '%'
       OR full_name ILIKE '%' || like_escape(@query) || '%')
  AND (signup_date, id) > (@cursor_time::timestamptz, @cursor_id::uuid)
ORDER BY signup_date, id
LIMIT @page_limit;

-- name: CountSearchWaitlist :one
SELECT count(*) AS total_size
FROM waitlist
WHERE email ILIKE '%' || like_escape(@query) || '%'
   OR full_name ILIKE '%' || like_escape(@query) || '%';

-- name: GetWaitlistStatsBySource :many
-- Entries per referral_source (NULL: none given), most first.
SELECT referral_source, count(*) AS count
FROM waitlist
GROUP BY referral_source
ORDER BY count DESC, referral_source;

-- name: GetWaitlistStatsByStatus :many
-- Entries per status, most first.
SELECT status, count(*) AS count
FROM waitlist
GROUP BY status
ORDER BY count DESC, status;
