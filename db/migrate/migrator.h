// Applies Goose-format migrations with Goose's own bookkeeping, so that a
// database migrated by Goose can be continued here and the reverse.
//
// Version table (Goose's, PostgreSQL dialect):
//   goose_db_version(id integer identity PK, version_id bigint NOT NULL,
//                    is_applied boolean NOT NULL, tstamp timestamp NOT NULL
//                    DEFAULT now())
// created with an initial (0, true) row. Up inserts (version, true) in the
// migration's own transaction; Down deletes the version's rows. A version is
// applied when its newest row (highest id) has is_applied = true.
//
// Every command holds a PostgreSQL session advisory lock for its duration,
// so concurrent migrators (several pods starting at once) apply each version
// exactly once.
#ifndef DEFIFUNDR_DB_MIGRATE_MIGRATOR_H_
#define DEFIFUNDR_DB_MIGRATE_MIGRATOR_H_

#include <cstdint>
#include <optional>
#include <ostream>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "db/migrate/migration.h"
#include "db/pg/connection.h"

namespace defifundr::db::migrate {

struct MigratorOptions {
  /// Apply pending versions older than the newest applied one (Goose's
  /// --allow-missing). Without it such a database is refused.
  bool allow_missing = false;
  /// How long to wait for another migrator's advisory lock.
  absl::Duration lock_timeout = absl::Minutes(5);
  /// Where progress lines go (Goose's wording); may be null.
  std::ostream* out = nullptr;
};

/// The advisory lock key every migrator takes (pg_advisory_lock(bigint)).
inline constexpr int64_t kMigrationLockId = 0x646566694d696772;  // "defiMigr"

class Migrator {
 public:
  /// `migrations` must be sorted by version (ParseMigrations does that).
  Migrator(pg::Connection& conn, std::vector<Migration> migrations,
           MigratorOptions options = {});

  /// Applies every pending migration in version order (goose up).
  absl::Status Up();
  /// Applies pending migrations up to and including `version` (goose up-to).
  absl::Status UpTo(int64_t version);
  /// Applies the next pending migration (goose up-by-one).
  absl::Status UpByOne();
  /// Rolls back the newest applied migration (goose down).
  absl::Status Down();
  /// Rolls back migrations newer than `version` (goose down-to).
  absl::Status DownTo(int64_t version);
  /// Rolls back all migrations (goose reset).
  absl::Status Reset();
  /// Rolls back and re-applies the newest applied migration (goose redo).
  absl::Status Redo();
  /// Prints Goose's status table: applied time or "Pending" per file.
  absl::Status Status();
  /// The newest applied version (0 when none): goose version.
  absl::StatusOr<int64_t> Version();

 private:
  struct Applied {
    int64_t version;
    std::string tstamp;  // "YYYY-MM-DD HH:MM:SS[.ffffff]" (UTC)
  };
  absl::Status EnsureVersionTable();
  absl::StatusOr<std::vector<Applied>> ListApplied();
  absl::Status Lock();
  void Unlock();
  absl::Status Apply(const Migration& m, bool up);
  absl::Status UpImpl(std::optional<int64_t> to, int max_count);
  absl::Status DownImpl(int64_t to, int max_count);
  void Print(absl::string_view line);

  pg::Connection& conn_;
  std::vector<Migration> migrations_;
  MigratorOptions options_;
};

}  // namespace defifundr::db::migrate

#endif  // DEFIFUNDR_DB_MIGRATE_MIGRATOR_H_
