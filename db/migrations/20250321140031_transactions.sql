-- +goose Up
CREATE TABLE transactions (
    id UUID PRIMARY KEY DEFAULT uuid_generate_v4(),
    user_id UUID NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    tx_hash VARCHAR(255) NOT NULL UNIQUE,
    transaction_pin_hash VARCHAR(255) NOT NULL,
    status VARCHAR(50) NOT NULL,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE UNIQUE INDEX idx_transactions_tx_hash ON transactions (tx_hash);
CREATE INDEX idx_transactions_user_id ON transactions (user_id);

COMMENT ON COLUMN transactions.transaction_pin_hash IS 'hashed transaction pin';
COMMENT ON COLUMN transactions.status IS 'created, pending, not_found, failed';

-- +goose Down
DROP TABLE transactions;
