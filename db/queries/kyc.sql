-- Queries of KycService (table kyc).

-- name: CreateKyc :one
INSERT INTO kyc (
    id, user_id, face_verification, identity_verification, verification_type,
    verification_number, verification_status)
VALUES (
    COALESCE(@id::uuid, gen_random_uuid()), @user_id, @face_verification,
    @identity_verification, @verification_type, @verification_number,
    @verification_status)
RETURNING id, user_id, face_verification, identity_verification,
    verification_type, verification_number, verification_status, updated_at,
    created_at;

-- name: GetKyc :one
SELECT id, user_id, face_verification, identity_verification,
    verification_type, verification_number, verification_status, updated_at,
    created_at
FROM kyc
WHERE id = @id;

-- name: UpdateKyc :one
UPDATE kyc SET
    face_verification = CASE WHEN 'face_verification' = ANY(@update_mask::text[]) THEN @face_verification ELSE face_verification END,
    identity_verification = CASE WHEN 'identity_verification' = ANY(@update_mask) THEN @identity_verification ELSE identity_verification END,
    verification_type = CASE WHEN 'verification_type' = ANY(@update_mask) THEN @verification_type ELSE verification_type END,
    verification_number = CASE WHEN 'verification_number' = ANY(@update_mask) THEN @verification_number ELSE verification_number END,
    verification_status = CASE WHEN 'verification_status' = ANY(@update_mask) THEN @verification_status ELSE verification_status END,
    updated_at = now()
WHERE id = @id
RETURNING id, user_id, face_verification, identity_verification,
    verification_type, verification_number, verification_status, updated_at,
    created_at;

-- name: DeleteKyc :execrows
DELETE FROM kyc WHERE id = @id;

-- name: ListKycs :many
SELECT id, user_id, face_verification, identity_verification,
    verification_type, verification_number, verification_status, updated_at,
    created_at
FROM kyc
WHERE (@user_id::uuid IS NULL OR user_id = @user_id)
  AND (created_at, id) > (@cursor_time::timestamptz, @cursor_id::uuid)
ORDER BY created_at, id
LIMIT @page_limit;

-- name: CountKycs :one
SELECT count(*) AS total_size
FROM kyc
WHERE (@user_id::uuid IS NULL OR user_id = @user_id);

-- name: GetKycByUserId :one
SELECT id, user_id, face_verification, identity_verification,
    verification_type, verification_number, verification_status, updated_at,
    created_at
FROM kyc
WHERE user_id = @user_id
ORDER BY created_at DESC, id DESC
LIMIT 1;
