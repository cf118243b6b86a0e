-- The seeder's own statements (same format as db/queries/; see
-- db/query_catalog.h): what it reads of the catalog to drop and rebuild
-- indexes and foreign keys around a bulk load, and the users it attaches
-- rows to.

-- name: ListForeignKeys :many
-- Foreign keys on or pointing at @tables: table, name, definition, comment.
SELECT c.conrelid::regclass::text AS table_name, c.conname AS name,
    pg_get_constraintdef(c.oid) AS definition,
    obj_description(c.oid, 'pg_constraint') AS comment
FROM pg_constraint c
WHERE c.contype = 'f'
  AND (c.conrelid = ANY(@tables::regclass[])
       OR c.confrelid = ANY(@tables::regclass[]))
ORDER BY 1, 2;

-- name: ListReferencingTables :many
-- Tables outside @tables whose foreign keys point at one of @tables,
-- directly or through each other (a table a newer migration added): emptying
-- @tables must empty them too.
WITH RECURSIVE referencing(oid) AS (
    SELECT c.conrelid FROM pg_constraint c
    WHERE c.contype = 'f' AND c.confrelid = ANY(@tables::regclass[])
  UNION
    SELECT c.conrelid FROM pg_constraint c
    JOIN referencing r ON c.confrelid = r.oid
    WHERE c.contype = 'f'
)
SELECT r.oid::regclass::text AS table_name
FROM referencing r
WHERE r.oid <> ALL(@tables::regclass[])
ORDER BY 1;

-- name: ListIndexes :many
-- Indexes of @tables, with the constraint (primary key, unique, exclusion)
-- that owns each, if any, its comment and its CLUSTER / REPLICA IDENTITY
-- settings.
SELECT i.indrelid::regclass::text AS table_name, ci.relname AS name,
    coalesce(pg_get_constraintdef(c.oid), pg_get_indexdef(i.indexrelid))
        AS definition,
    c.oid IS NOT NULL AS is_constraint,
    CASE WHEN c.oid IS NULL THEN obj_description(i.indexrelid, 'pg_class')
         ELSE obj_description(c.oid, 'pg_constraint') END AS comment,
    i.indisclustered AS is_clustered,
    i.indisreplident AS is_replica_identity
FROM pg_index i
JOIN pg_class ci ON ci.oid = i.indexrelid
LEFT JOIN pg_constraint c ON c.conindid = i.indexrelid
    AND c.conrelid = i.indrelid AND c.contype IN ('p', 'u', 'x')
WHERE i.indrelid = ANY(@tables::regclass[])
ORDER BY 1, 2;

-- name: ListUsers :many
SELECT id::text AS id, email, created_at FROM users ORDER BY id;
