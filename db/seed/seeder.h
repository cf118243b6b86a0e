// Deterministic, realistic sample data for the nine tables, bulk-loaded with
// binary COPY in one transaction: the same options always produce the same
// rows.
//
// Every row is drawn from a random stream keyed by (seed, table, user), so a
// user's sessions, KYC record, devices, OTPs and transactions are the same
// whichever tables are loaded together and in whatever order: seeding
// `sessions` alone later gives the sessions a full run gave, for the users
// then in the table.
#ifndef DEFIFUNDR_DB_SEED_SEEDER_H_
#define DEFIFUNDR_DB_SEED_SEEDER_H_

#include <cstdint>
#include <ostream>
#include <span>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "db/pg/connection.h"

namespace defifundr::db::seed {

/// The data volumes of `seed --size`.
enum class SeedSize { kSmall, kMedium, kLarge };

/// What a size means when the user count and history length are not given.
struct SizeProfile {
  int users = 0;    ///< Users generated (each with related rows).
  int tx_days = 0;  ///< Days of transaction history before SeedNow().
};

/// "small", "medium" or "large" (any case); INVALID_ARGUMENT otherwise.
absl::StatusOr<SeedSize> ParseSeedSize(absl::string_view name);

/// small: 300 users, 30 days (about 2,600 rows); medium: 10,000 users, 90
/// days (about 150,000 rows); large: 100,000 users, 180 days (about 2
/// million rows, most of them transactions).
SizeProfile ProfileOf(SeedSize size);

/// The tables the seeder fills, parents first: users, sessions, kyc,
/// user_device_tokens, otp_verifications, transactions.
std::span<const absl::string_view> SeedTables();

/// The instant the sample data ends at, 2025-12-01T00:00:00Z: fixed, so that
/// a seed always gives the same rows. Users are created in the year before.
absl::Time SeedNow();

/// How indexes are treated while loading.
enum class IndexMode {
  /// kRebuild when the loaded tables were emptied first and rows are
  /// generated for at least kRebuildMinUsers users; kKeep otherwise.
  kAuto,
  /// Drop the loaded tables' indexes, primary/unique keys and the foreign
  /// keys on or to them, load, then re-create each with its name,
  /// definition, comment, CLUSTER and REPLICA IDENTITY marks (the foreign
  /// keys check every row again), all inside the seed's transaction.
  kRebuild,
  /// Load with every index and constraint in place.
  kKeep,
};
inline constexpr int kRebuildMinUsers = 1000;

struct SeedOptions {
  SeedSize size = SeedSize::kSmall;
  /// Users to generate; 0 means the size's count. Must not be negative.
  int users = 0;
  /// Days of transaction history ending at SeedNow(); 0 means the size's.
  /// Must not be negative.
  int tx_days = 0;
  /// Seed of every random stream.
  uint64_t seed = 42;
  /// Empty the loaded tables first (and, when users is loaded, every table
  /// whose rows reference users). With false, rows are added to what is
  /// there.
  bool clean = true;
  /// Tables to load (names of SeedTables()); empty means all of them.
  std::vector<std::string> tables;
  /// Tables whose rows are kept as they are: never emptied, never loaded.
  /// When users is not loaded (preserved or not in `tables`), the other
  /// tables' rows are generated for the users already in the table.
  std::vector<std::string> preserve;
  IndexMode index_mode = IndexMode::kAuto;
  /// A progress line per table at most this often while it loads.
  absl::Duration progress_interval = absl::Seconds(2);
};

/// Rows written per table, and the time taken.
struct SeedCounts {
  int64_t users = 0, sessions = 0, kyc = 0, devices = 0, otps = 0,
          transactions = 0, wallets = 0, security_events = 0, waitlist = 0;
  absl::Duration elapsed;  ///< From the call to the commit.
  int64_t total() const {
    return users + sessions + kyc + devices + otps + transactions + wallets +
           security_events + waitlist;
  }
};

/// Generates and loads the data on `conn` (idle; used by this call only),
/// in one transaction: on any error nothing is written. Progress lines
/// ("seed: <table>: N rows ...") go to `out` if non-null, and a last line
/// "seed: N rows in S s (R rows/s)". Codes:
///   INVALID_ARGUMENT: a negative users/tx_days, an unknown table name in
///     `tables` or `preserve`, no table left to load, or users to be emptied
///     while a table referencing it is preserved;
///   FAILED_PRECONDITION: users is not loaded and holds no rows to attach
///     the other tables' rows to;
///   otherwise the database's (db/pg/error.h), e.g. ALREADY_EXISTS when
///     clean is false and the rows exist already (same seed twice).
absl::StatusOr<SeedCounts> Seed(pg::Connection& conn,
                                const SeedOptions& options, std::ostream* out);

/// The comment (COMMENT ON DATABASE) that marks a database as a throwaway
/// one that `seed` may empty: scripts/pg.sh puts it on the local
/// development database and the test harness on each test database.
inline constexpr char kThrowawayDatabaseComment[] =
    "defifundr-data throwaway database: seed may empty its tables";

/// Whether `seed` may write to the database `conn` is connected to: yes for
/// a database marked throwaway (kThrowawayDatabaseComment), or when
/// `confirm_database` repeats the database's name (seed
/// --confirm_database=NAME). FAILED_PRECONDITION otherwise, naming the
/// database and how to proceed; nothing has been changed then.
absl::Status CheckMaySeed(pg::Connection& conn,
                          absl::string_view confirm_database);

}  // namespace defifundr::db::seed

#endif  // DEFIFUNDR_DB_SEED_SEEDER_H_
