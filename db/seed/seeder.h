// Deterministic, realistic sample data for the six tables, bulk-loaded with
// COPY in one transaction: the same options always produce the same rows.
#ifndef DEFIFUNDR_DB_SEED_SEEDER_H_
#define DEFIFUNDR_DB_SEED_SEEDER_H_

#include <cstdint>
#include <ostream>

#include "absl/status/statusor.h"
#include "db/pg/connection.h"

namespace defifundr::db::seed {

struct SeedOptions {
  int users = 300;     ///< Users to generate; each gets related rows.
  uint64_t seed = 42;  ///< PRNG seed.
  bool clean = true;   ///< TRUNCATE the six tables first.
};

/// Rows written per table.
struct SeedCounts {
  int64_t users = 0, sessions = 0, kyc = 0, devices = 0, otps = 0,
          transactions = 0;
  int64_t total() const {
    return users + sessions + kyc + devices + otps + transactions;
  }
};

/// Generates and loads the data (on `conn`, which must be idle). Progress
/// lines go to `out` if non-null. Errors are those of the COPY statements;
/// on any error nothing is written (one transaction).
absl::StatusOr<SeedCounts> Seed(pg::Connection& conn,
                                const SeedOptions& options, std::ostream* out);

}  // namespace defifundr::db::seed

#endif  // DEFIFUNDR_DB_SEED_SEEDER_H_
