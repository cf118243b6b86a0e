-- Queries the service runs about itself: schema metadata for start-up
-- vetting and request validation, and the health probe.

-- name: ListColumns :many
-- Columns of the given tables in the current schema. attnum is the column's
-- pg_attribute.attnum (information_schema's ordinal_position).
SELECT c.table_name::text AS table_name,
    c.column_name::text AS column_name,
    c.udt_name::text AS udt_name,
    (c.is_nullable = 'YES') AS is_nullable,
    (c.column_default IS NOT NULL) AS has_default,
    c.character_maximum_length::integer AS max_length,
    (quote_ident(c.table_schema) || '.' || quote_ident(c.table_name))::regclass::oid::bigint AS table_oid,
    c.ordinal_position::integer AS attnum
FROM information_schema.columns c
WHERE c.table_schema = current_schema()
  AND c.table_name = ANY(@tables::text[]);

-- name: ListEnumTypes :many
SELECT oid::bigint AS oid FROM pg_type WHERE typtype = 'e';


-- name: SchemaVersion :one
-- The newest migration version applied (Goose's table: a version counts
-- when its newest row says applied); 0 when none.
SELECT COALESCE(max(version_id), 0)::bigint AS version
FROM (
    SELECT DISTINCT ON (version_id) version_id, is_applied
    FROM goose_db_version
    ORDER BY version_id, id DESC
) AS newest
WHERE is_applied;

-- name: CurrentWalLsn :one
-- The primary's WAL insert position, as text ('16/B374D848'): a write's
-- consistency token. Read after the write's commit, it is at or past the
-- commit record, so a replica that has replayed this far sees the write.
SELECT pg_current_wal_insert_lsn()::text AS lsn;

-- name: ReplicaCaughtUp :one
-- Whether this server has replayed the WAL up to @lsn (a consistency
-- token): a standby compares pg_last_wal_replay_lsn(); a server not in
-- recovery (a primary, a promoted replica) has everything it ever replayed.
SELECT CASE WHEN pg_is_in_recovery()
            THEN COALESCE(pg_last_wal_replay_lsn() >= @lsn::pg_lsn, false)
            ELSE true END AS caught_up;

-- name: ReplicaLagBytes :one
-- How far this standby's replay is behind @lsn (the primary's current
-- position), in bytes of WAL; 0 on a server not in recovery.
SELECT CASE WHEN pg_is_in_recovery()
            THEN COALESCE(pg_wal_lsn_diff(@lsn::pg_lsn, pg_last_wal_replay_lsn()), 0)
            ELSE 0 END::bigint AS lag_bytes;
