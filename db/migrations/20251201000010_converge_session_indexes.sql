-- +goose NO TRANSACTION
-- +goose Up
-- The later shape's sessions indexes (DefiFundr's 00009 as of May 2025), on
-- every database: GetSessionByRefreshToken and the expiry sweeps use them.
-- Built CONCURRENTLY so that a large sessions table keeps serving; which
-- of them already existed is recorded first, so that Down drops only what
-- this migration built.
INSERT INTO defifundr_schema_convergence (version, table_name, object_kind, object_name, existed)
SELECT 20251201000010, 'sessions', 'index', i, to_regclass(i) IS NOT NULL
FROM unnest(ARRAY['idx_sessions_refresh_token', 'idx_sessions_expires_at']) AS i
ON CONFLICT (version, object_kind, table_name, object_name) DO NOTHING;

CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_sessions_refresh_token ON sessions (refresh_token);

CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_sessions_expires_at ON sessions (expires_at);

-- +goose Down
SELECT defifundr_restore_convergence(20251201000010);
