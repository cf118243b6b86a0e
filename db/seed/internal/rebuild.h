// Dropping the loaded tables' indexes and foreign keys before a large load
// and re-creating them after it, with the same names and definitions (and
// comments, CLUSTER marks and replica identities), in the load's
// transaction. Internal to db/seed.
#ifndef DEFIFUNDR_DB_SEED_INTERNAL_REBUILD_H_
#define DEFIFUNDR_DB_SEED_INTERNAL_REBUILD_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "db/pg/connection.h"
#include "db/query_catalog.h"

namespace defifundr::db::seed::internal {

struct SavedIndex {
  std::string table;       // Qualified as regclass prints it.
  std::string name;        // Index name (== constraint name for keys).
  std::string definition;  // CREATE INDEX ... or the constraint's definition.
  bool is_constraint = false;
  std::optional<std::string> comment;
  bool clustered = false;
  bool replica_identity = false;
};

struct SavedForeignKey {
  std::string table, name, definition;
  std::optional<std::string> comment;
};

struct SavedSchema {
  std::vector<SavedIndex> indexes;
  std::vector<SavedForeignKey> foreign_keys;
};

/// The statements of db/seed/seed.sql, parsed once.
const QueryCatalog& SeedQueries();

/// Runs `sql` (no parameters) on `conn`.
absl::Status Run(pg::Connection& conn, absl::string_view sql);

/// Drops the indexes, key constraints and foreign keys of `tables` (and the
/// foreign keys that reference them) and returns what it dropped.
absl::StatusOr<SavedSchema> DropIndexes(pg::Connection& conn,
                                        const std::vector<std::string>& tables);

/// Re-creates what DropIndexes dropped (every foreign key checked); names
/// each one that takes a second or more on `progress`.
absl::Status RestoreIndexes(
    pg::Connection& conn, const SavedSchema& saved,
    absl::FunctionRef<void(absl::string_view)> progress);

}  // namespace defifundr::db::seed::internal

#endif  // DEFIFUNDR_DB_SEED_INTERNAL_REBUILD_H_
