// The Goose-compatible migrator against a real server.
#include <sstream>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "db/migrate/migrator.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/test_database.h"

namespace defifundr {
namespace {

using ::testing::HasSubstr;

std::vector<db::migrate::Migration> Builtin() {
  auto m = db::migrate::ParseMigrations(db::migrate::BuiltinMigrationFiles());
  EXPECT_TRUE(m.ok()) << m.status();
  return m.ok() ? *m : std::vector<db::migrate::Migration>{};
}

TEST(MigrateTest, UpOnEmptyDatabaseThenStatusListsEveryVersionApplied) {
  auto db = testing::TestDatabase::Create(/*migrated=*/false);
  ASSERT_TRUE(db.ok()) << db.status();
  auto conn = (*db)->Connect();
  std::ostringstream out;
  db::migrate::MigratorOptions options;
  options.out = &out;
  const auto migrations = Builtin();
  db::migrate::Migrator migrator(*conn, migrations, options);
  ASSERT_TRUE(migrator.Up().ok());
  EXPECT_THAT(out.str(),
              HasSubstr("goose: successfully migrated database to version: " +
                        absl::StrCat(migrations.back().version)));

  std::ostringstream status;
  options.out = &status;
  db::migrate::Migrator reader(*conn, migrations, options);
  ASSERT_TRUE(reader.Status().ok());
  const std::vector<std::string> lines =
      absl::StrSplit(status.str(), '\n', absl::SkipEmpty());
  ASSERT_EQ(lines.size(), migrations.size() + 2);
  EXPECT_EQ(lines[0], "    Applied At                  Migration");
  for (size_t i = 0; i < migrations.size(); ++i) {
    EXPECT_THAT(lines[i + 2], ::testing::EndsWith("-- " + migrations[i].file));
    EXPECT_THAT(lines[i + 2], ::testing::Not(HasSubstr("Pending")));
  }
  // Goose's bookkeeping: version 0 plus one applied row per migration.
  EXPECT_EQ(
      (*db)->Scalar("SELECT count(*) FROM goose_db_version WHERE is_applied"),
      absl::StrCat(migrations.size() + 1));
  auto version = reader.Version();
  ASSERT_TRUE(version.ok());
  EXPECT_EQ(*version, migrations.back().version);
  // A second up has nothing to do.
  EXPECT_TRUE(migrator.Up().ok());
}

TEST(MigrateTest, DatabaseAtDefiFundrsLastVersionReachesTheSameSchema) {
  // An existing DefiFundr database: Goose applied the originals up to
  // 20250321140031. Ours then continues it.
  auto fresh = testing::TestDatabase::Create(/*migrated=*/false);
  auto old = testing::TestDatabase::Create(/*migrated=*/false);
  ASSERT_TRUE(fresh.ok() && old.ok());
  auto a = (*fresh)->Connect();
  auto b = (*old)->Connect();
  db::migrate::Migrator all(*a, Builtin());
  ASSERT_TRUE(all.Up().ok());
  db::migrate::Migrator stepwise(*b, Builtin());
  ASSERT_TRUE(stepwise.UpTo(20250321140031).ok());
  EXPECT_EQ(*stepwise.Version(), 20250321140031);
  EXPECT_EQ(
      (*old)->Scalar("SELECT column_default FROM information_schema.columns "
                     "WHERE table_name = 'kyc' AND column_name = 'updated_at'"),
      "'0001-01-01 00:00:00+00'::timestamp with time zone");
  ASSERT_TRUE(stepwise.Up().ok());
  // Same columns, constraints and indexes.
  const std::string shape =
      "SELECT string_agg(x, E'\\n' ORDER BY x) FROM ("
      " SELECT table_name || '.' || column_name || ' ' || data_type || ' ' ||"
      "  is_nullable || ' ' || coalesce(column_default, '') AS x"
      " FROM information_schema.columns WHERE table_schema = 'public'"
      " UNION ALL SELECT conrelid::regclass || ' ' || conname || ' ' ||"
      "  pg_get_constraintdef(oid) FROM pg_constraint"
      "  WHERE connamespace = 'public'::regnamespace"
      " UNION ALL SELECT indexdef FROM pg_indexes WHERE schemaname = 'public') "
      "s";
  EXPECT_EQ((*fresh)->Scalar(shape), (*old)->Scalar(shape));
}

// A migration that needs a lock held by a long transaction waits at most
// ddl_lock_timeout at a time, so that the queries behind it are not queued
// for longer; it is tried again until the lock is free.
TEST(MigrateTest, DdlWaitsBehindALongTransactionWithoutBlockingQueries) {
  auto db = testing::TestDatabase::Create(/*migrated=*/false);
  ASSERT_TRUE(db.ok()) << db.status();
  auto conn = (*db)->Connect();
  constexpr int64_t kBefore = 20251201000002;  // Next: 000003, ALTER TABLE kyc.
  {
    db::migrate::Migrator m(*conn, Builtin());
    ASSERT_TRUE(m.UpTo(kBefore).ok());
  }
  auto holder = (*db)->Connect();
  ASSERT_TRUE(holder->Exec("BEGIN; SELECT count(*) FROM kyc").ok());

  std::ostringstream out;
  db::migrate::MigratorOptions options;
  options.out = &out;
  options.ddl_lock_timeout = absl::Milliseconds(100);
  options.ddl_lock_retries = 100;
  absl::Status result;
  std::thread migrate([&] {
    db::migrate::Migrator m(*conn, Builtin(), options);
    result = m.UpByOne();
  });
  // Meanwhile, reads of kyc keep answering within a statement_timeout far
  // shorter than the transaction: they never wait behind the migration for
  // longer than its lock_timeout.
  auto reader = (*db)->Connect();
  ASSERT_TRUE(reader->Exec("SET statement_timeout = '1s'").ok());
  const absl::Time until = absl::Now() + absl::Milliseconds(1500);
  int reads = 0;
  while (absl::Now() < until) {
    auto r = reader->Exec("SELECT count(*) FROM kyc");
    ASSERT_TRUE(r.ok()) << r.status();
    ++reads;
    absl::SleepFor(absl::Milliseconds(20));
  }
  EXPECT_GT(reads, 10);
  ASSERT_TRUE(holder->Exec("COMMIT").ok());
  migrate.join();
  ASSERT_TRUE(result.ok()) << result << "\n" << out.str();
  EXPECT_THAT(out.str(), HasSubstr("a lock was not granted within 100ms"));
  EXPECT_THAT(out.str(),
              HasSubstr("OK   20251201000003_kyc_updated_at_default.sql"));
}

// CREATE INDEX CONCURRENTLY waits for every older transaction; past the
// lock_timeout it fails and leaves an invalid index, which the next attempt
// drops before building it again.
TEST(MigrateTest, ConcurrentIndexBuildTriedAgainAfterALockTimeout) {
  auto db = testing::TestDatabase::Create(/*migrated=*/false);
  ASSERT_TRUE(db.ok()) << db.status();
  auto conn = (*db)->Connect();
  constexpr int64_t kBefore = 20251201000009;  // Next: 000010, CONCURRENTLY.
  {
    db::migrate::Migrator m(*conn, Builtin());
    ASSERT_TRUE(m.UpTo(kBefore).ok());
  }
  auto holder = (*db)->Connect();
  ASSERT_TRUE(
      holder->Exec("BEGIN ISOLATION LEVEL REPEATABLE READ; SELECT 1").ok());
  std::ostringstream out;
  db::migrate::MigratorOptions options;
  options.out = &out;
  options.ddl_lock_timeout = absl::Milliseconds(100);
  options.ddl_lock_retries = 100;
  absl::Status result;
  std::thread migrate([&] {
    db::migrate::Migrator m(*conn, Builtin(), options);
    result = m.UpByOne();
  });
  absl::SleepFor(absl::Milliseconds(600));
  ASSERT_TRUE(holder->Exec("COMMIT").ok());
  migrate.join();
  ASSERT_TRUE(result.ok()) << result << "\n" << out.str();
  EXPECT_THAT(out.str(), HasSubstr("dropping invalid index"));
  EXPECT_EQ((*db)->Scalar("SELECT count(*) FROM pg_index WHERE NOT indisvalid"),
            "0");
  EXPECT_EQ((*db)->Scalar("SELECT count(*) FROM pg_indexes WHERE indexname IN "
                          "('idx_sessions_refresh_token', "
                          "'idx_sessions_expires_at')"),
            "2");
}

TEST(MigrateTest, DdlGivesUpAfterItsRetriesAndChangesNothing) {
  auto db = testing::TestDatabase::Create(/*migrated=*/false);
  ASSERT_TRUE(db.ok()) << db.status();
  auto conn = (*db)->Connect();
  constexpr int64_t kBefore = 20251201000002;
  {
    db::migrate::Migrator m(*conn, Builtin());
    ASSERT_TRUE(m.UpTo(kBefore).ok());
  }
  auto holder = (*db)->Connect();
  ASSERT_TRUE(holder->Exec("BEGIN; SELECT count(*) FROM kyc").ok());
  db::migrate::MigratorOptions options;
  options.ddl_lock_timeout = absl::Milliseconds(50);
  options.ddl_lock_retries = 2;
  db::migrate::Migrator m(*conn, Builtin(), options);
  const absl::Status s = m.UpByOne();
  EXPECT_EQ(s.code(), absl::StatusCode::kAborted) << s;
  EXPECT_THAT(s.message(), HasSubstr("gave up after 3 attempts"));
  EXPECT_THAT(s.message(),
              HasSubstr("20251201000003_kyc_updated_at_default.sql"));
  ASSERT_TRUE(holder->Exec("COMMIT").ok());
  EXPECT_EQ(*m.Version(), kBefore);
  EXPECT_EQ(
      (*db)->Scalar("SELECT column_default FROM information_schema.columns "
                    "WHERE table_name = 'kyc' AND column_name = 'updated_at'"),
      "'0001-01-01 00:00:00+00'::timestamp with time zone");
}

TEST(MigrateTest, UnknownLegacyTimeZoneFailsBeforeAnyChange) {
  auto db = testing::TestDatabase::Create(/*migrated=*/false);
  ASSERT_TRUE(db.ok()) << db.status();
  auto conn = (*db)->Connect();
  db::migrate::MigratorOptions options;
  options.legacy_timezone = "Mars/Olympus_Mons";
  db::migrate::Migrator m(*conn, Builtin(), options);
  const absl::Status s = m.Up();
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s;
  EXPECT_THAT(s.message(), HasSubstr("Mars/Olympus_Mons"));
  EXPECT_EQ(*m.Version(), 0);
  // POSIX forms, whose sign PostgreSQL inverts, are refused too.
  options.legacy_timezone = "UTC+1";
  db::migrate::Migrator posix(*conn, Builtin(), options);
  EXPECT_EQ(posix.Up().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(*posix.Version(), 0);
}

// The migrator's session settings do not outlive its command.
TEST(MigrateTest, SessionSettingsAreResetAfterTheCommand) {
  auto db = testing::TestDatabase::Create(/*migrated=*/false);
  ASSERT_TRUE(db.ok()) << db.status();
  auto conn = (*db)->Connect();
  const auto setting = [&](const char* name) {
    auto r =
        conn->Exec(absl::StrCat("SELECT current_setting('", name, "', true)"));
    EXPECT_TRUE(r.ok()) << r.status();
    return r.ok() && r->rows() == 1 ? std::string(r->row(0).Text(0)) : "?";
  };
  const std::string lock_timeout = setting("lock_timeout");
  db::migrate::Migrator m(*conn, Builtin());
  ASSERT_TRUE(m.Up().ok());
  EXPECT_EQ(setting("lock_timeout"), lock_timeout);
  EXPECT_EQ(setting("client_min_messages"), "notice");
  EXPECT_EQ(setting("defifundr.legacy_timezone"), "");
}

// DefiFundr's `timestamp` columns hold wall-clock times; the legacy time
// zone says which zone they were in.
TEST(MigrateTest, LegacyTimestampsAreReadInTheConfiguredZone) {
  for (const auto& [zone, expected] :
       std::vector<std::pair<std::string, std::string>>{
           {"UTC", "2025-05-02 10:15:00+00"},
           {"Africa/Lagos", "2025-05-02 09:15:00+00"}}) {
    auto db = testing::TestDatabase::Create(/*migrated=*/false);
    ASSERT_TRUE(db.ok()) << db.status();
    auto conn = (*db)->Connect();
    db::migrate::Migrator first(*conn, Builtin());
    ASSERT_TRUE(first.UpTo(20250502134956).ok());
    // As DefiFundr's later files left it: expires_at `timestamp`.
    (*db)->Exec(
        "ALTER TABLE sessions ALTER COLUMN expires_at TYPE timestamp;"
        "INSERT INTO users (id, email, account_type, personal_account_type, "
        "first_name, last_name, nationality) VALUES "
        "('11111111-0000-4000-8000-000000000001', 'a@b.c', 'personal', '', "
        "'A', 'B', 'C');"
        "INSERT INTO sessions (id, user_id, refresh_token, user_agent, "
        "user_login_type, client_ip, expires_at) VALUES "
        "('22222222-0000-4000-8000-000000000001', "
        "'11111111-0000-4000-8000-000000000001', 't', '', 'email', '', "
        "'2025-05-02 10:15:00')");
    db::migrate::MigratorOptions options;
    options.legacy_timezone = zone;
    db::migrate::Migrator m(*conn, Builtin(), options);
    ASSERT_TRUE(m.Up().ok());
    EXPECT_EQ((*db)->Scalar("SET TimeZone = 'UTC'; SELECT expires_at::text "
                            "FROM sessions"),
              expected)
        << zone;
  }
}

}  // namespace
}  // namespace defifundr
