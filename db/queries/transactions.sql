-- Queries of TransactionService (table transactions).

-- name: CreateTransaction :one
-- With a @request_id already used, inserts nothing and returns no row.
INSERT INTO transactions (
    id, user_id, tx_hash, transaction_pin_hash, status, request_id)
VALUES (
    COALESCE(@id::uuid, uuid_generate_v4()), @user_id, @tx_hash,
    @transaction_pin_hash, @status, @request_id::uuid)
ON CONFLICT (request_id) DO NOTHING
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

-- name: GetTransactionByRequestId :one
SELECT id, user_id, tx_hash, transaction_pin_hash, status, created_at,
    updated_at FROM transactions WHERE request_id = @request_id;

-- name: GetTransactionByTxHash :one
SELECT id, user_id, tx_hash, transaction_pin_hash, status, created_at,
    updated_at FROM transactions WHERE tx_hash = @tx_hash;

-- name: UpdateTransactionStatus :one
-- Compare-and-set when @expected_status is given: no row when it differs.
UPDATE transactions SET status = @status, updated_at = now()
WHERE id = @id
  AND (@expected_status::varchar IS NULL OR status = @expected_status)
RETURNING id, user_id, tx_hash, transaction_pin_hash, status, created_at,
    updated_at;

-- name: DeleteUserTransactions :execrows
DELETE FROM transactions WHERE user_id = @user_id;
