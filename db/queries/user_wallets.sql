-- Queries of UserWalletService (table user_wallets).

-- name: CreateUserWallet :one
INSERT INTO user_wallets (id, user_id, address, type, chain, is_default)
VALUES (
    COALESCE(@id::uuid, gen_random_uuid()), @user_id, @address, @type, @chain,
    @is_default)
RETURNING id, user_id, address, type, chain, is_default, created_at,
    updated_at;

-- name: GetUserWallet :one
SELECT id, user_id, address, type, chain, is_default, created_at, updated_at
FROM user_wallets
WHERE id = @id;

-- name: UpdateUserWallet :one
UPDATE user_wallets SET
    address = CASE WHEN 'address' = ANY(@update_mask::text[]) THEN @address ELSE address END,
    type = CASE WHEN 'type' = ANY(@update_mask) THEN @type ELSE type END,
    chain = CASE WHEN 'chain' = ANY(@update_mask) THEN @chain ELSE chain END,
    is_default = CASE WHEN 'is_default' = ANY(@update_mask) THEN @is_default ELSE is_default END,
    updated_at = now()
WHERE id = @id
RETURNING id, user_id, address, type, chain, is_default, created_at,
    updated_at;

-- name: DeleteUserWallet :execrows
DELETE FROM user_wallets WHERE id = @id;

-- name: ListUserWallets :many
SELECT id, user_id, address, type, chain, is_default, created_at, updated_at
FROM user_wallets
WHERE (@user_id::uuid IS NULL OR user_id = @user_id)
  AND (@chain::text IS NULL OR chain = @chain)
  AND (created_at, id) > (@cursor_time::timestamptz, @cursor_id::uuid)
ORDER BY created_at, id
LIMIT @page_limit;

-- name: CountUserWallets :one
SELECT count(*) AS total_size
FROM user_wallets
WHERE (@user_id::uuid IS NULL OR user_id = @user_id)
  AND (@chain::text IS NULL OR chain = @chain);

-- name: GetWalletByAddress :one
-- DefiFundr's GetWalletByAddress: addresses are unique.
SELECT id, user_id, address, type, chain, is_default, created_at, updated_at
FROM user_wallets
WHERE address = @address;
