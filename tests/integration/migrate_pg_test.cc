// The Goose-compatible migrator against a real server.
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
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

}  // namespace
}  // namespace defifundr
