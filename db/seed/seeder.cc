#include "db/seed/seeder.h"

#include <algorithm>
#include <cstring>
#include <deque>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/cleanup/cleanup.h"
#include "absl/container/flat_hash_set.h"
#include "absl/functional/function_ref.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "db/pg/result.h"
#include "db/pg/transaction.h"
#include "db/query_catalog.h"
#include "db/seed/internal/copy_rows.h"
#include "db/seed/internal/generators.h"
#include "db/seed/internal/random.h"
#include "db/seed/internal/rebuild.h"

namespace defifundr::db::seed {

using pg::Connection;

namespace {

using namespace internal;  // NOLINT: the seeder's own parts.

// ---------------------------------------------------------------------------
// The generator thread hands COPY data to the loading thread in chunks.

constexpr size_t kChunkBytes = 1 << 20;
constexpr size_t kMaxQueuedChunks = 8;


struct Chunk {
  int table = 0;
  std::string data;
  int64_t rows = 0;
  int64_t users_done = 0;  // Users whose rows of `table` are generated.
  bool last = false;       // The table's last chunk.
};

class ChunkQueue {
 public:
  // False if cancelled.
  bool Push(Chunk chunk) {
    absl::MutexLock lock(&mu_);
    mu_.Await(absl::Condition(
        +[](ChunkQueue* q) {
          return q->cancelled_ || q->chunks_.size() < kMaxQueuedChunks;
        },
        this));
    if (cancelled_) return false;
    chunks_.push_back(std::move(chunk));
    return true;
  }
  Chunk Pop() {
    absl::MutexLock lock(&mu_);
    mu_.Await(absl::Condition(
        +[](std::deque<Chunk>* c) { return !c->empty(); }, &chunks_));
    Chunk c = std::move(chunks_.front());
    chunks_.pop_front();
    return c;
  }
  void Cancel() {
    absl::MutexLock lock(&mu_);
    cancelled_ = true;
  }

 private:
  absl::Mutex mu_;
  std::deque<Chunk> chunks_ ABSL_GUARDED_BY(mu_);
  bool cancelled_ ABSL_GUARDED_BY(mu_) = false;
};

// Generates the tables of `load` in order into `queue`. When users is among
// them, fills `users` (sorted by id) first; otherwise `users` holds the
// table's rows, sorted by id. Rows go out in the order of the tables'
// indexes where that is free: users by id, the others by user and time.
void Produce(const Context& ctx, const std::vector<int>& load, int user_count,
             std::vector<UserRef>* users, ChunkQueue* queue) {
  Rows rows, staging;
  std::string scratch;
  std::vector<int> order;  // Users' indexes in id order.
  for (const int table : load) {
    if (table == kUsers) {
      users->resize(user_count);
      for (int i = 0; i < user_count; ++i) {
        GenerateUser(ctx, i, staging, &(*users)[i], scratch);
        staging.Reset();
      }
      order.resize(user_count);
      for (int i = 0; i < user_count; ++i) order[i] = i;
      std::sort(order.begin(), order.end(), [&](int a, int b) {
        return std::memcmp((*users)[a].id.b, (*users)[b].id.b, 16) < 0;
      });
      std::vector<UserRef> sorted(user_count);
      for (int i = 0; i < user_count; ++i) {
        sorted[i] = std::move((*users)[order[i]]);
      }
      *users = std::move(sorted);
    }
    const int64_t n = static_cast<int64_t>(users->size());
    for (int64_t i = 0; i < n; ++i) {
      const UserRef& u = (*users)[i];
      switch (table) {
        case kUsers: {
          UserRef again;
          GenerateUser(ctx, order[i], rows, &again, scratch);
          break;
        }
        case kSessions:
          GenerateSessions(ctx, u, staging, scratch);
          break;
        case kKyc:
          GenerateKyc(ctx, u, staging, scratch);
          break;
        case kDevices:
          GenerateDevices(ctx, u, staging, scratch);
          break;
        case kOtps:
          GenerateOtps(ctx, u, staging, scratch);
          break;
        case kTransactions:
          GenerateTransactions(ctx, u, staging, scratch);
          break;
        case kWallets:
          GenerateWallets(ctx, u, staging, scratch);
          break;
        case kSecurityEvents:
          GenerateSecurityEvents(ctx, u, staging, scratch);
          break;
        case kWaitlist:
          GenerateWaitlist(ctx, u, staging, scratch);
          break;
      }
      if (table != kUsers) staging.AppendSortedTo(rows);
      if (rows.data().size() >= kChunkBytes && i + 1 < n) {
        if (!queue->Push(
                {table, std::move(rows.data()), rows.rows(), i + 1, false})) {
          return;
        }
        rows.Reset();
      }
    }
    if (!queue->Push({table, std::move(rows.data()), rows.rows(), n, true})) {
      return;
    }
    rows.Reset();
  }
}


// ---------------------------------------------------------------------------

absl::StatusOr<std::vector<int>> TableSet(const std::vector<std::string>& names,
                                          absl::string_view flag) {
  std::vector<int> out;
  for (const std::string& raw : names) {
    const std::string name(absl::StripAsciiWhitespace(raw));
    if (name.empty()) continue;
    const auto* it = std::find(std::begin(kTableNames), std::end(kTableNames),
                               absl::string_view(name));
    if (it == std::end(kTableNames)) {
      return absl::InvalidArgumentError(
          absl::StrCat(flag, ": unknown table `", name,
                       "` (tables: ", absl::StrJoin(kTableNames, ", "), ")"));
    }
    out.push_back(static_cast<int>(it - std::begin(kTableNames)));
  }
  return out;
}

bool Contains(const std::vector<int>& v, int x) {
  return std::find(v.begin(), v.end(), x) != v.end();
}

std::string Names(const std::vector<int>& tables) {
  std::vector<absl::string_view> names;
  for (int t : tables) names.push_back(kTableNames[t]);
  return absl::StrJoin(names, ", ");
}

std::string SeedTag(uint64_t seed) {
  uint64_t x = seed;
  uint64_t h = SplitMix(x);
  std::string tag;
  for (int i = 0; i < 3; ++i, h /= 36) tag.push_back(kLowerAlnum[h % 36]);
  return tag;
}

absl::StatusOr<std::vector<UserRef>> ReadUsers(Connection& conn) {
  auto r = SeedQueries().Run(conn, "ListUsers");
  if (!r.ok()) return r.status();
  std::vector<UserRef> users;
  users.reserve(r->rows());
  for (int i = 0; i < r->rows(); ++i) {
    pg::Row row = r->row(i);
    auto created = row.Get<absl::Time>(2);
    if (!created.ok()) return created.status();
    std::optional<Uuid> id = ParseUuid(row.Text(0));
    if (!id.has_value()) {
      return absl::InternalError(
          absl::StrCat("users.id does not parse as a UUID: ", row.Text(0)));
    }
    users.push_back(
        {*id, std::string(row.Text(1)), absl::ToUnixMicros(*created)});
  }
  return users;
}

}  // namespace

absl::StatusOr<SeedSize> ParseSeedSize(absl::string_view name) {
  const std::string lower = absl::AsciiStrToLower(name);
  if (lower == "small") return SeedSize::kSmall;
  if (lower == "medium") return SeedSize::kMedium;
  if (lower == "large") return SeedSize::kLarge;
  return absl::InvalidArgumentError(absl::StrCat(
      "unknown seed size `", name, "` (want small, medium or large)"));
}

SizeProfile ProfileOf(SeedSize size) {
  switch (size) {
    case SeedSize::kSmall:
      return {300, 30};
    case SeedSize::kMedium:
      return {10000, 90};
    case SeedSize::kLarge:
      return {100000, 180};
  }
  return {300, 30};
}

std::span<const absl::string_view> SeedTables() { return kTableNames; }

absl::Time SeedNow() {
  return absl::FromCivil(absl::CivilSecond(2025, 12, 1, 0, 0, 0),
                         absl::UTCTimeZone());
}

absl::Status CheckMaySeed(pg::Connection& conn,
                          absl::string_view confirm_database) {
  pg::CallOptions options;
  options.deadline = absl::Now() + absl::Seconds(30);
  auto r = conn.Exec(
      "SELECT d.datname, coalesce(pg_catalog.shobj_description(d.oid, "
      "'pg_database'), '') FROM pg_catalog.pg_database d "
      "WHERE d.datname = pg_catalog.current_database()",
      options);
  if (!r.ok()) return r.status();
  auto row = r->SingleRow();
  if (!row.ok()) return row.status();
  const std::string name(row->Text(0));
  if (row->Text(1) == kThrowawayDatabaseComment) return absl::OkStatus();
  if (!confirm_database.empty() && confirm_database == name) {
    return absl::OkStatus();
  }
  if (!confirm_database.empty()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "--confirm_database=", confirm_database, " does not name database \"",
        name, "\", the one DATABASE_URL points at; nothing was changed"));
  }
  return absl::FailedPreconditionError(absl::StrCat(
      "database \"", name,
      "\" is not a throwaway database (made by scripts/pg.sh or the tests), "
      "and seed empties its tables; nothing was changed. To seed it anyway, "
      "repeat its name: seed --confirm_database=",
      name));
}

absl::StatusOr<SeedCounts> Seed(pg::Connection& conn,
                                const SeedOptions& options, std::ostream* out) {
  const absl::Time start = absl::Now();
  auto print = [&](absl::string_view line) {
    if (out != nullptr) *out << line << "\n" << std::flush;
  };
  if (options.users < 0 || options.tx_days < 0) {
    return absl::InvalidArgumentError(
        "the user count and --tx_days must not be negative");
  }
  auto selected = TableSet(options.tables, "--tables");
  if (!selected.ok()) return selected.status();
  auto preserved = TableSet(options.preserve, "--preserve");
  if (!preserved.ok()) return preserved.status();
  std::vector<int> load;
  for (int t = 0; t < kTableCount; ++t) {
    if ((selected->empty() || Contains(*selected, t)) &&
        !Contains(*preserved, t)) {
      load.push_back(t);
    }
  }
  if (load.empty()) {
    return absl::InvalidArgumentError(
        "no table left to seed: every selected table is preserved");
  }
  const bool load_users = Contains(load, kUsers);
  std::vector<int> clean;
  if (options.clean) {
    clean = load;
    if (load_users) {
      // Emptying users empties what references it (not the waitlist).
      for (int t = kSessions; t < kTableCount; ++t) {
        if (t == kWaitlist) continue;
        if (Contains(*preserved, t)) {
          return absl::InvalidArgumentError(absl::StrCat(
              "cannot empty users while preserving ", kTableNames[t],
              " (its rows reference users): preserve users too, or seed with "
              "--clean=false"));
        }
        if (!Contains(clean, t)) clean.push_back(t);
      }
      std::sort(clean.begin(), clean.end());
    }
  }

  const SizeProfile profile = ProfileOf(options.size);
  Context ctx;
  ctx.seed = options.seed;
  ctx.now = absl::ToUnixMicros(SeedNow());
  ctx.tx_days = options.tx_days > 0 ? options.tx_days : profile.tx_days;
  ctx.tag = SeedTag(options.seed);
  const int user_count = options.users > 0 ? options.users : profile.users;

  auto tx =
      pg::Transaction::Begin(conn, pg::IsolationLevel::kReadCommitted, {});
  if (!tx.ok()) return tx.status();
  if (!clean.empty()) {
    std::vector<int> extra;
    for (int t : clean) {
      if (!Contains(load, t)) extra.push_back(t);
    }
    if (!extra.empty()) {
      print(absl::StrCat("seed: emptying ", Names(extra),
                         " too (their rows reference users)"));
    }
    // Tables beyond ours that reference the emptied ones (a newer
    // migration's) are emptied with them, and named.
    std::vector<std::string> clean_names;
    for (int t : clean) clean_names.push_back(std::string(kTableNames[t]));
    auto others = SeedQueries().Run(
        conn, "ListReferencingTables",
        {{"tables", absl::StrCat("{", absl::StrJoin(clean_names, ","), "}")}});
    if (!others.ok()) return others.status();
    std::vector<std::string> other_names;
    for (int i = 0; i < others->rows(); ++i) {
      other_names.push_back(std::string(others->row(i).Text(0)));
    }
    if (!other_names.empty()) {
      print(absl::StrCat("seed: emptying ", absl::StrJoin(other_names, ", "),
                         " too (not the seeder's tables; their rows "
                         "reference the tables it empties)"));
    }
    std::string truncate = absl::StrCat("TRUNCATE ", Names(clean));
    for (const std::string& name : other_names) {
      absl::StrAppend(&truncate, ", ", name);
    }
    if (absl::Status s = Run(conn, truncate); !s.ok()) return s;
  }
  std::vector<UserRef> users;
  if (!load_users) {
    auto existing = ReadUsers(conn);
    if (!existing.ok()) return existing.status();
    users = *std::move(existing);
    if (users.empty()) {
      return absl::FailedPreconditionError(absl::StrCat(
          "users is empty: the rows of ", Names(load),
          " belong to users; seed users too (add it to --tables or take it "
          "out of --preserve)"));
    }
    print(absl::StrCat("seed: attaching rows to the ", users.size(),
                       " users in the table"));
  } else {
    users.reserve(user_count);
  }
  const int64_t owners =
      load_users ? user_count : static_cast<int64_t>(users.size());
  const bool rebuild = options.index_mode == IndexMode::kRebuild ||
                       (options.index_mode == IndexMode::kAuto &&
                        options.clean && owners >= kRebuildMinUsers);
  SavedSchema saved;
  if (rebuild) {
    std::vector<std::string> names;
    for (int t : load) names.push_back(std::string(kTableNames[t]));
    auto dropped = DropIndexes(conn, names);
    if (!dropped.ok()) return dropped.status();
    saved = *std::move(dropped);
  }

  ChunkQueue queue;
  std::thread producer([&] { Produce(ctx, load, user_count, &users, &queue); });
  absl::Cleanup stop = [&] {
    queue.Cancel();
    producer.join();
  };
  int64_t counts[kTableCount] = {};
  for (const int table : load) {
    const absl::Time table_start = absl::Now();
    absl::Time last_report = table_start;
    const std::string copy =
        absl::StrCat("COPY ", kTableNames[table], " (", kColumns[table],
                     ") FROM STDIN WITH (FORMAT binary",
                     Contains(clean, table) ? ", FREEZE" : "", ")");
    if (auto r = conn.Exec(copy); !r.ok()) return r.status();
    absl::Status status =
        conn.PutCopyData(absl::string_view(kCopyHeader, kCopyHeaderSize));
    while (true) {
      Chunk chunk = queue.Pop();
      if (status.ok()) status = conn.PutCopyData(chunk.data);
      counts[table] += chunk.rows;
      if (chunk.last) break;
      const absl::Time now = absl::Now();
      if (now - last_report >= options.progress_interval) {
        last_report = now;
        print(absl::StrFormat("seed: %s: %d rows, %d%% of users done (%.1f s)",
                              kTableNames[table], counts[table],
                              static_cast<int>(100 * chunk.users_done /
                                               std::max<int64_t>(1, owners)),
                              absl::ToDoubleSeconds(now - table_start)));
      }
    }
    if (status.ok())
      status = conn.PutCopyData(absl::string_view(kCopyTrailer, 2));
    auto end = conn.EndCopy();
    if (!status.ok()) return status;
    if (!end.ok()) return end.status();
    print(absl::StrFormat("seed: %s: %d rows (%.1f s)", kTableNames[table],
                          counts[table],
                          absl::ToDoubleSeconds(absl::Now() - table_start)));
  }
  std::move(stop).Invoke();
  if (rebuild) {
    const absl::Time rebuild_start = absl::Now();
    if (absl::Status s = Run(conn, "SET LOCAL maintenance_work_mem = '1GB'");
        !s.ok()) {
      return s;
    }
    if (absl::Status s = RestoreIndexes(conn, saved, print); !s.ok()) {
      return s;
    }
    print(absl::StrFormat(
        "seed: re-created %d indexes and %d foreign keys (%.1f s)",
        saved.indexes.size(), saved.foreign_keys.size(),
        absl::ToDoubleSeconds(absl::Now() - rebuild_start)));
  }
  if (absl::Status s = tx->Commit({}); !s.ok()) return s;

  SeedCounts result;
  result.users = counts[kUsers];
  result.sessions = counts[kSessions];
  result.kyc = counts[kKyc];
  result.devices = counts[kDevices];
  result.otps = counts[kOtps];
  result.transactions = counts[kTransactions];
  result.wallets = counts[kWallets];
  result.security_events = counts[kSecurityEvents];
  result.waitlist = counts[kWaitlist];
  result.elapsed = absl::Now() - start;
  const double secs = absl::ToDoubleSeconds(result.elapsed);
  print(absl::StrFormat("seed: %d rows in %.3f s (%.0f rows/s)", result.total(),
                        secs, secs > 0 ? result.total() / secs : 0.0));
  return result;
}

}  // namespace defifundr::db::seed
