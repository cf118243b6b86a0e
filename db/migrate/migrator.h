// Applies Goose-format migrations with Goose's own bookkeeping, so that a
// database migrated by Goose can be continued here and the reverse.
//
// Version table (Goose's, PostgreSQL dialect):
//   goose_db_version(id integer identity PK, version_id bigint NOT NULL,
//                    is_applied boolean NOT NULL, tstamp timestamp NOT NULL
//                    DEFAULT now())
// created with an initial (0, true) row. Up inserts (version, true) in the
// migration's own transaction; Down deletes the version's rows. A version is
// applied when its newest row (highest id) has is_applied = true, so tables
// written by older Goose releases (`id serial`, `tstamp timestamp NULL`, and
// (version, false) rows left by their downs) are read as Goose reads them.
//
// Every command that changes the schema holds a PostgreSQL session advisory
// lock (kMigrationLockId) for its duration, so concurrent migrators (several
// pods starting at once) apply each version exactly once; the version table
// itself is created under a second advisory lock (kVersionTableLockId), so
// any commands may race to create it.
//
// Output (to MigratorOptions::out) uses Goose's wording: "OK   <file>
// (<ms>ms)" per migration, then "goose: successfully migrated database to
// version: N" or "goose: no migrations to run. current version: N".
#ifndef DEFIFUNDR_DB_MIGRATE_MIGRATOR_H_
#define DEFIFUNDR_DB_MIGRATE_MIGRATOR_H_

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <ostream>
#include <string>
#include <utility>
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
  /// How long to wait for another migrator's advisory lock; a command that
  /// waits longer fails with DEADLINE_EXCEEDED having changed nothing.
  absl::Duration lock_timeout = absl::Minutes(5);
  /// Where progress lines go (Goose's wording), and the server's notices
  /// (a migration's reports, e.g. rows kept outside a value set); may be
  /// null.
  std::ostream* out = nullptr;
  /// The lock_timeout of every migration statement. A statement that waits
  /// longer for a lock (behind a long transaction) gives up (SQLSTATE 55P03)
  /// instead of making every later query on that table queue behind it; the
  /// migration is then rolled back and tried again (a NO TRANSACTION one
  /// from the statement that gave up).
  absl::Duration ddl_lock_timeout = absl::Seconds(2);
  /// How many times a migration is tried again after a lock timeout, with a
  /// pause doubling from 200 ms up to 5 s in between; then the command fails
  /// with ABORTED, later migrations unapplied.
  int ddl_lock_retries = 30;
  /// The time zone in which `timestamp without time zone` values of
  /// DefiFundr's databases are read when a migration converts them to
  /// timestamptz (the session setting defifundr.legacy_timezone). DefiFundr's
  /// Go code wrote UTC wall-clock times there.
  std::string legacy_timezone = "UTC";
};

/// The advisory lock key every migrator takes (pg_advisory_lock(bigint)).
inline constexpr int64_t kMigrationLockId = 0x646566694d696772;  // "defiMigr"
/// The advisory lock taken while creating goose_db_version.
inline constexpr int64_t kVersionTableLockId =
    0x646566695654626c;  // "defiVTbl"

// Errors common to every command: those of the connection (UNAVAILABLE when
// the server is gone, ...), DEADLINE_EXCEEDED when the advisory lock is not
// free within lock_timeout. A failing statement returns its SQLSTATE's code
// (db/pg/error.h) with "<file>:<line>: up|down statement failed: ..." in the
// message; the migration's transaction is rolled back, so neither its
// changes nor its version row remain (a NO TRANSACTION migration keeps the
// statements that ran before the failing one, as with Goose, and gets no
// version row). Migrations before the failing one stay applied.
class Migrator {
 public:
  /// `migrations` must be sorted by version (ParseMigrations does that).
  /// `conn` must outlive the Migrator and be used by nothing else meanwhile.
  Migrator(pg::Connection& conn, std::vector<Migration> migrations,
           MigratorOptions options = {});

  /// Applies every pending migration in version order (goose up).
  /// FAILED_PRECONDITION if a pending migration is older than the newest
  /// applied one and allow_missing is false (nothing is applied then).
  absl::Status Up();
  /// Applies pending migrations up to and including `version` (goose up-to);
  /// as Up.
  absl::Status UpTo(int64_t version);
  /// Applies the next pending migration (goose up-by-one); as Up.
  absl::Status UpByOne();
  /// Rolls back the newest applied migration (goose down); OK with nothing
  /// to do at version 0. NOT_FOUND if the applied version has no file.
  absl::Status Down();
  /// Rolls back migrations newer than `version`, newest first (goose
  /// down-to). NOT_FOUND as Down.
  absl::Status DownTo(int64_t version);
  /// Rolls back all migrations (goose reset); as DownTo(0).
  absl::Status Reset();
  /// Rolls back and re-applies the newest applied migration, holding the
  /// lock throughout (goose redo). FAILED_PRECONDITION at version 0;
  /// NOT_FOUND if that version has no file.
  absl::Status Redo();
  /// Prints Goose's status table: per file, the time it was applied (UTC,
  /// Go's ANSIC layout "Mon Jan _2 15:04:05 2006") or "Pending". Creates the
  /// version table if missing (as Goose does); takes no migration lock.
  absl::Status Status();
  /// The newest applied version (0 when none): goose version. Creates the
  /// version table if missing.
  absl::StatusOr<int64_t> Version();

 private:
  struct Applied {
    int64_t version;
    // "YYYY-MM-DD HH:MM:SS[.ffffff]" (UTC); NULL in older Goose tables.
    std::optional<std::string> tstamp;
  };
  absl::Status EnsureVersionTable();
  absl::StatusOr<std::vector<Applied>> ListApplied();
  absl::Status Lock();
  void Unlock();
  absl::Status Apply(const Migration& m, bool up);
  // One attempt at a migration; a NO TRANSACTION one starts at statement
  // *next and advances it past every statement that succeeded.
  absl::Status ApplyOnce(const Migration& m, bool up, size_t* next);
  // Sets the session's lock_timeout and legacy time zone (once).
  absl::Status Configure();
  absl::Status UpImpl(std::optional<int64_t> to, int max_count);
  absl::Status DownImpl(int64_t to, int max_count);
  const Migration* Find(int64_t version) const;
  void Print(absl::string_view line);
  // Runs the named statement of db/migrate/goose.sql with `args` bound to
  // its @parameters by name.
  absl::StatusOr<pg::Result> Run(
      absl::string_view statement,
      std::initializer_list<std::pair<absl::string_view, pg::Param>> args = {});
  // pg_advisory_lock / pg_advisory_unlock on `id`.
  absl::Status AdvisoryLock(int64_t id);
  void AdvisoryUnlock(int64_t id);

  pg::Connection& conn_;
  std::vector<Migration> migrations_;
  MigratorOptions options_;
  bool configured_ = false;
};

}  // namespace defifundr::db::migrate

#endif  // DEFIFUNDR_DB_MIGRATE_MIGRATOR_H_
