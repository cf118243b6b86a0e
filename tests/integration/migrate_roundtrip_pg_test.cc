// Every migration rolls back cleanly: `up`, `down-to 0`, `up` again gives a
// schema identical to the first (pg_dump --schema-only), and so does each
// migration's down and up, one by one.
#include <cstdio>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "db/migrate/migration.h"
#include "db/migrate/migrator.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/test_database.h"

namespace defifundr {
namespace {

namespace migrate = db::migrate;

using testing::SchemaDump;

std::vector<migrate::Migration> Builtin() {
  auto m = migrate::ParseMigrations(migrate::BuiltinMigrationFiles());
  EXPECT_TRUE(m.ok()) << m.status();
  return m.ok() ? *m : std::vector<migrate::Migration>{};
}

TEST(MigrateRoundTripTest, UpDownToZeroUpGivesTheSameSchema) {
  auto db = testing::TestDatabase::Create(/*migrated=*/false);
  ASSERT_TRUE(db.ok()) << db.status();
  auto conn = (*db)->Connect();
  migrate::Migrator migrator(*conn, Builtin());
  const std::string empty = SchemaDump((*db)->url());

  ASSERT_TRUE(migrator.Up().ok());
  const std::string first = SchemaDump((*db)->url());
  EXPECT_THAT(first, ::testing::HasSubstr("CREATE TABLE public.transactions"));

  ASSERT_TRUE(migrator.DownTo(0).ok());
  EXPECT_EQ(*migrator.Version(), 0);
  // Only the version table is left, as on an empty database after `status`.
  EXPECT_EQ((*db)->Scalar("SELECT string_agg(tablename, ',') FROM pg_tables "
                          "WHERE schemaname = 'public'"),
            "goose_db_version");
  EXPECT_EQ((*db)->Scalar("SELECT count(*) FROM goose_db_version"), "1");

  ASSERT_TRUE(migrator.Up().ok());
  EXPECT_EQ(SchemaDump((*db)->url()), first);
  EXPECT_NE(first, empty);
}

TEST(MigrateRoundTripTest, EveryMigrationDownAndUpAgainOneByOne) {
  auto db = testing::TestDatabase::Create(/*migrated=*/false);
  ASSERT_TRUE(db.ok()) << db.status();
  auto conn = (*db)->Connect();
  const std::vector<migrate::Migration> migrations = Builtin();
  migrate::Migrator migrator(*conn, migrations);
  ASSERT_TRUE(migrator.Version().ok());  // Creates the version table.
  std::vector<std::string> dumps = {SchemaDump((*db)->url())};
  for (const migrate::Migration& m : migrations) {
    SCOPED_TRACE(m.file);
    ASSERT_TRUE(migrator.UpByOne().ok());
    ASSERT_EQ(*migrator.Version(), m.version);
    dumps.push_back(SchemaDump((*db)->url()));
    ASSERT_NE(dumps.back(), dumps[dumps.size() - 2]) << "changed nothing";
    ASSERT_TRUE(migrator.Down().ok());
    EXPECT_EQ(SchemaDump((*db)->url()), dumps[dumps.size() - 2])
        << "down did not restore the schema before it";
    ASSERT_TRUE(migrator.UpByOne().ok());
    EXPECT_EQ(SchemaDump((*db)->url()), dumps.back())
        << "up again gave another schema";
  }
  // And all the way down, one by one, through the same schemas.
  for (size_t i = migrations.size(); i > 0; --i) {
    SCOPED_TRACE(migrations[i - 1].file);
    ASSERT_TRUE(migrator.Down().ok());
    EXPECT_EQ(SchemaDump((*db)->url()), dumps[i - 1]);
  }
}

}  // namespace
}  // namespace defifundr
