-- Queries of TransactionService (table transactions).

-- name: CreateTransaction :one
INSERT INTO transactions (id, user_id, tx_hash, transaction_pin_hash, status)
VALUES (
    COALESCE(@id::uuid, uuid_generate_v4()), @user_id, @tx_hash,
    @transaction_pin_hash, @status)
RETURNING id, user_id, tx_hash, transaction_pin_hash, status, created_at,
    updated_at;

-- name: GetTransaction :one
SELECT id, user_id, tx_hash, transaction_pin_hash, status, created_at,
    updated_at
FROM transactions
WHERE id = @id;

-- name: UpdateTransaction :one
UPDATE transactions SET
    tx_hash = CASE WHEN 'tx_hash' = ANY(@update_mask::text[]) THEN @tx_hash ELSE tx_hash END,
    transaction_pin_hash = CASE WHEN 'transaction_pin_hash' = ANY(@update_mask) THEN @transaction_pin_hash ELSE transaction_pin_hash END,
    status = CASE WHEN 'status' = ANY(@update_mask) THEN @status ELSE status END,
    updated_at = now()
WHERE id = @id
RETURNING id, user_id, tx_hash, transaction_pin_hash, status, created_at,
    updated_at;

-- name: DeleteTransaction :execrows
DELETE FROM transactions WHERE id = @id;

-- name: ListTransactions :many
SELECT id, user_id, tx_hash, transaction_pin_hash, status, created_at,
    updated_at
FROM transactions
WHERE (@user_id::uuid IS NULL OR user_id = @user_id)
  AND (@status::varchar IS NULL OR status = @status)
  AND (created_at, id) > (@cursor_time::timestamptz, @cursor_id::uuid)
ORDER BY created_at, id
LIMIT @page_limit;

-- name: CountTransactions :one
SELECT count(*) AS total_size
FROM transactions
WHERE (@user_id::uuid IS NULL OR user_id = @user_id)
  AND (@status::varchar IS NULL OR status = @status);
