// Goose's annotations and the migrator's safety rules against a real server:
// migration files are written into a temporary directory and run through
// LoadMigrationsFromDir and a Migrator, as `migrate --migrations_dir` does.
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/time.h"
#include "db/migrate/migration.h"
#include "db/migrate/migrator.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/test_database.h"

namespace defifundr {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;
namespace migrate = db::migrate;

class MigrationFilesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = absl::StrCat(::testing::TempDir(), "/migrate_annotations_", getpid(),
                        "_", counter_++);
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    auto db = testing::TestDatabase::Create(/*migrated=*/false);
    ASSERT_TRUE(db.ok()) << db.status();
    db_ = *std::move(db);
    conn_ = db_->Connect();
    ASSERT_NE(conn_, nullptr);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  void Write(const std::string& name, absl::string_view contents) {
    std::ofstream(std::filesystem::path(dir_) / name) << contents;
  }
  // A migrator over the directory's files; fails the test if they do not
  // load.
  std::unique_ptr<migrate::Migrator> Migrator(
      migrate::MigratorOptions options = {}) {
    auto migrations = migrate::LoadMigrationsFromDir(dir_);
    EXPECT_TRUE(migrations.ok()) << migrations.status();
    options.out = &out_;
    return std::make_unique<migrate::Migrator>(
        *conn_,
        migrations.ok() ? *std::move(migrations)
                        : std::vector<migrate::Migration>{},
        options);
  }
  bool TableExists(const std::string& name) {
    return db_->Scalar(absl::StrCat("SELECT to_regclass('", name,
                                    "') IS NOT NULL")) == "t";
  }
  std::string VersionRows(int64_t version) {
    return db_->Scalar(absl::StrCat(
        "SELECT count(*) FROM goose_db_version WHERE version_id = ", version));
  }

  static inline int counter_ = 0;
  std::string dir_;
  std::unique_ptr<testing::TestDatabase> db_;
  std::unique_ptr<db::pg::Connection> conn_;
  std::ostringstream out_;
};

constexpr absl::string_view kTable =
    "-- +goose Up\n"
    "CREATE TABLE accounts (id int PRIMARY KEY, name text NOT NULL,\n"
    "  updated_at timestamptz);\n"
    "\n"
    "-- +goose Down\n"
    "DROP TABLE accounts;\n";

// A PL/pgSQL trigger function: a dollar-quoted body with `;` at line ends.
constexpr absl::string_view kTriggerWithMarkers =
    "-- +goose Up\n"                                              // 1
    "-- +goose StatementBegin\n"                                  // 2
    "CREATE FUNCTION touch_updated_at() RETURNS trigger AS $$\n"  // 3
    "BEGIN\n"                                                     // 4
    "  NEW.updated_at := '2025-01-02 03:04:05+00';\n"             // 5
    "  RETURN NEW;\n"                                             // 6
    "END;\n"                                                      // 7
    "$$ LANGUAGE plpgsql;\n"                                      // 8
    "-- +goose StatementEnd\n"                                    // 9
    "CREATE TRIGGER accounts_touch BEFORE INSERT OR UPDATE ON accounts\n"
    "  FOR EACH ROW EXECUTE FUNCTION touch_updated_at();\n"
    "\n"
    "-- +goose Down\n"
    "DROP TRIGGER accounts_touch ON accounts;\n"
    "DROP FUNCTION touch_updated_at();\n";

TEST_F(MigrationFilesTest, TriggerFunctionInsideStatementBlockApplies) {
  Write("00001_accounts.sql", kTable);
  Write("00002_touch.sql", kTriggerWithMarkers);
  auto migrator = Migrator();
  ASSERT_TRUE(migrator->Up().ok()) << out_.str();
  db_->Exec("INSERT INTO accounts (id, name) VALUES (1, 'a')");
  EXPECT_EQ(db_->Scalar("SELECT updated_at FROM accounts WHERE id = 1"),
            "2025-01-02 03:04:05+00");
  EXPECT_EQ(*migrator->Version(), 2);
  // And back down.
  ASSERT_TRUE(migrator->Down().ok());
  EXPECT_EQ(db_->Scalar("SELECT count(*) FROM pg_proc WHERE proname = "
                        "'touch_updated_at'"),
            "0");
  EXPECT_EQ(VersionRows(2), "0");
}

TEST_F(MigrationFilesTest, TriggerFunctionWithoutMarkersIsRejectedBeforeAny) {
  std::string unmarked(kTriggerWithMarkers);
  for (const std::string marker :
       {"-- +goose StatementBegin\n", "-- +goose StatementEnd\n"}) {
    unmarked.erase(unmarked.find(marker), marker.size());
  }
  Write("00001_accounts.sql", kTable);
  Write("00002_touch.sql", unmarked);
  auto migrations = migrate::LoadMigrationsFromDir(dir_);
  EXPECT_EQ(migrations.status().code(), absl::StatusCode::kInvalidArgument);
  // The function starts on line 2 once the markers are gone.
  EXPECT_THAT(std::string(migrations.status().message()),
              StartsWith("00002_touch.sql:2: "));
  EXPECT_THAT(std::string(migrations.status().message()),
              HasSubstr("dollar-quoted body ($$)"));
  // Nothing reached the database, not even the valid first file.
  EXPECT_FALSE(TableExists("goose_db_version"));
  EXPECT_FALSE(TableExists("accounts"));
}

TEST_F(MigrationFilesTest, NoTransactionCreateIndexConcurrentlyApplies) {
  Write("00001_accounts.sql", kTable);
  Write("00002_index.sql",
        "-- +goose NO TRANSACTION\n"
        "-- +goose Up\n"
        "CREATE INDEX CONCURRENTLY accounts_name_idx ON accounts (name);\n"
        "\n"
        "-- +goose Down\n"
        "DROP INDEX CONCURRENTLY accounts_name_idx;\n");
  auto migrator = Migrator();
  ASSERT_TRUE(migrator->Up().ok()) << out_.str();
  EXPECT_EQ(db_->Scalar("SELECT indisvalid FROM pg_index WHERE indexrelid = "
                        "'accounts_name_idx'::regclass"),
            "t");
  EXPECT_EQ(VersionRows(2), "1");
  ASSERT_TRUE(migrator->Down().ok());
  EXPECT_FALSE(TableExists("accounts_name_idx"));
  EXPECT_EQ(VersionRows(2), "0");
}

TEST_F(MigrationFilesTest, CreateIndexConcurrentlyInATransactionFails) {
  Write("00001_accounts.sql", kTable);
  Write("00002_index.sql",
        "-- +goose Up\n"
        "CREATE INDEX CONCURRENTLY accounts_name_idx ON accounts (name);\n");
  auto migrator = Migrator();
  absl::Status s = migrator->Up();
  // 25001 active_sql_transaction.
  EXPECT_EQ(s.code(), absl::StatusCode::kInternal);
  EXPECT_THAT(std::string(s.message()),
              HasSubstr("00002_index.sql:2: up statement failed"));
  EXPECT_THAT(std::string(s.message()), HasSubstr("25001"));
  EXPECT_EQ(VersionRows(1), "1");
  EXPECT_EQ(VersionRows(2), "0");
}

TEST_F(MigrationFilesTest, FailingStatementLeavesNeitherChangesNorVersionRow) {
  Write("00001_accounts.sql", kTable);
  Write("00002_broken.sql",
        "-- +goose Up\n"                                     // 1
        "CREATE TABLE ledger (id int PRIMARY KEY);\n"        // 2
        "INSERT INTO ledger VALUES (1);\n"                   // 3
        "ALTER TABLE accounts ADD COLUMN balance bigint;\n"  // 4
        "INSERT INTO no_such_table VALUES (1);\n"            // 5
        "CREATE TABLE never (id int);\n"                     // 6
        "\n"
        "-- +goose Down\n"
        "DROP TABLE ledger;\n");
  Write("00003_later.sql", "-- +goose Up\nCREATE TABLE later (id int);\n");
  auto migrator = Migrator();
  absl::Status s = migrator->Up();
  // 42P01 undefined_table.
  EXPECT_EQ(s.code(), absl::StatusCode::kInternal);
  EXPECT_THAT(std::string(s.message()),
              HasSubstr("00002_broken.sql:5: up statement failed"));
  EXPECT_THAT(std::string(s.message()),
              HasSubstr("statement: INSERT INTO no_such_table VALUES (1);"));
  EXPECT_FALSE(TableExists("ledger"));
  EXPECT_FALSE(TableExists("never"));
  EXPECT_FALSE(TableExists("later"));
  EXPECT_EQ(db_->Scalar("SELECT count(*) FROM information_schema.columns "
                        "WHERE table_name = 'accounts' AND column_name = "
                        "'balance'"),
            "0");
  EXPECT_EQ(VersionRows(1), "1");  // The migration before stays applied.
  EXPECT_EQ(VersionRows(2), "0");
  EXPECT_EQ(*migrator->Version(), 1);
}

TEST_F(MigrationFilesTest, FailingDownKeepsTheMigrationApplied) {
  Write("00001_accounts.sql",
        "-- +goose Up\n"
        "CREATE TABLE accounts (id int);\n"
        "-- +goose Down\n"
        "DROP TABLE accounts;\n"
        "DROP TABLE no_such_table;\n");
  auto migrator = Migrator();
  ASSERT_TRUE(migrator->Up().ok());
  absl::Status s = migrator->Down();
  EXPECT_EQ(s.code(), absl::StatusCode::kInternal);
  EXPECT_THAT(std::string(s.message()),
              HasSubstr("00001_accounts.sql:5: down statement failed"));
  EXPECT_TRUE(TableExists("accounts"));
  EXPECT_EQ(VersionRows(1), "1");
}

TEST_F(MigrationFilesTest, EnvSubstitutionAppliesTheEnvironment) {
  ASSERT_EQ(setenv("DEFIFUNDR_TEST_ACCOUNTS_NOTE", "from the env", 1), 0);
  Write("00001_accounts.sql", kTable);
  Write("00002_comment.sql",
        "-- +goose Up\n"
        "-- +goose ENVSUB ON\n"
        "COMMENT ON TABLE accounts IS '${DEFIFUNDR_TEST_ACCOUNTS_NOTE}';\n"
        "-- +goose ENVSUB OFF\n"
        "COMMENT ON COLUMN accounts.name IS "
        "'${DEFIFUNDR_TEST_ACCOUNTS_NOTE}';\n");
  auto migrator = Migrator();
  unsetenv("DEFIFUNDR_TEST_ACCOUNTS_NOTE");
  ASSERT_TRUE(migrator->Up().ok());
  EXPECT_EQ(db_->Scalar("SELECT obj_description('accounts'::regclass)"),
            "from the env");
  EXPECT_EQ(db_->Scalar("SELECT col_description('accounts'::regclass, 2)"),
            "${DEFIFUNDR_TEST_ACCOUNTS_NOTE}");
}

TEST_F(MigrationFilesTest, MissingMigrationIsRefusedUnlessAllowed) {
  Write("00001_a.sql", "-- +goose Up\nCREATE TABLE a (id int);\n");
  Write("00003_c.sql", "-- +goose Up\nCREATE TABLE c (id int);\n");
  ASSERT_TRUE(Migrator()->Up().ok());
  // A branch merged later brings an older version.
  Write("00002_b.sql", "-- +goose Up\nCREATE TABLE b (id int);\n");
  absl::Status s = Migrator()->Up();
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(s.message()), HasSubstr("00002_b.sql"));
  EXPECT_FALSE(TableExists("b"));
  migrate::MigratorOptions options;
  options.allow_missing = true;
  ASSERT_TRUE(Migrator(options)->Up().ok());
  EXPECT_TRUE(TableExists("b"));
  EXPECT_EQ(*Migrator()->Version(), 3);
}

TEST_F(MigrationFilesTest, LockHeldElsewhereTimesOut) {
  Write("00001_a.sql", "-- +goose Up\nCREATE TABLE a (id int);\n");
  auto other = db_->Connect();
  ASSERT_TRUE(other
                  ->Exec(absl::StrCat("SELECT pg_advisory_lock(",
                                      migrate::kMigrationLockId, ")"))
                  .ok());
  migrate::MigratorOptions options;
  options.lock_timeout = absl::Milliseconds(300);
  absl::Status s = Migrator(options)->Up();
  EXPECT_EQ(s.code(), absl::StatusCode::kDeadlineExceeded);
  EXPECT_FALSE(TableExists("a"));
  EXPECT_EQ(Migrator(options)->Redo().code(),
            absl::StatusCode::kDeadlineExceeded);
  // Once released, the same migrator goes ahead.
  ASSERT_TRUE(other
                  ->Exec(absl::StrCat("SELECT pg_advisory_unlock(",
                                      migrate::kMigrationLockId, ")"))
                  .ok());
  EXPECT_TRUE(Migrator(options)->Up().ok());
  EXPECT_TRUE(TableExists("a"));
}

TEST_F(MigrationFilesTest, RedoRunsDownAndUpOfTheNewestVersion) {
  Write("00001_a.sql",
        "-- +goose Up\nCREATE TABLE a (id int);\nINSERT INTO a VALUES (1);\n"
        "-- +goose Down\nDROP TABLE a;\n");
  EXPECT_EQ(Migrator()->Redo().code(), absl::StatusCode::kFailedPrecondition);
  ASSERT_TRUE(Migrator()->Up().ok());
  db_->Exec("INSERT INTO a VALUES (2)");
  const std::string first_id =
      db_->Scalar("SELECT id FROM goose_db_version WHERE version_id = 1");
  out_.str("");
  ASSERT_TRUE(Migrator()->Redo().ok());
  EXPECT_EQ(db_->Scalar("SELECT count(*) FROM a"), "1");  // Re-created.
  EXPECT_NE(db_->Scalar("SELECT id FROM goose_db_version WHERE version_id = 1"),
            first_id);
  EXPECT_THAT(out_.str(), HasSubstr("OK   00001_a.sql"));
}

TEST_F(MigrationFilesTest, RollingBackAVersionWithoutItsFileIsNotFound) {
  Write("00001_a.sql", "-- +goose Up\nCREATE TABLE a (id int);\n");
  Write("00002_b.sql", "-- +goose Up\nCREATE TABLE b (id int);\n");
  ASSERT_TRUE(Migrator()->Up().ok());
  std::filesystem::remove(std::filesystem::path(dir_) / "00002_b.sql");
  EXPECT_EQ(Migrator()->Down().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(Migrator()->Redo().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(Migrator()->DownTo(0).code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(VersionRows(2), "1");
}

TEST_F(MigrationFilesTest, StatusPrintsGooseTable) {
  Write("00001_a.sql", "-- +goose Up\nCREATE TABLE a (id int);\n");
  Write("00002_b.sql", "-- +goose Up\nCREATE TABLE b (id int);\n");
  Write("20250321122619_c.sql", "-- +goose Up\nCREATE TABLE c (id int);\n");
  ASSERT_TRUE(Migrator()->UpTo(1).ok());
  out_.str("");
  ASSERT_TRUE(Migrator()->Status().ok());
  const std::vector<std::string> lines =
      absl::StrSplit(out_.str(), '\n', absl::SkipEmpty());
  ASSERT_EQ(lines.size(), 5u) << out_.str();
  EXPECT_EQ(lines[0], "    Applied At                  Migration");
  EXPECT_EQ(lines[1], "    =======================================");
  // Go's time.ANSIC, padded to 24.
  EXPECT_TRUE(std::regex_match(
      lines[2], std::regex("    [A-Z][a-z]{2} [A-Z][a-z]{2} [ 1-3][0-9] "
                           "[0-9]{2}:[0-9]{2}:[0-9]{2} [0-9]{4} -- "
                           "00001_a\\.sql")))
      << lines[2];
  EXPECT_EQ(lines[3], "    Pending                  -- 00002_b.sql");
  EXPECT_EQ(lines[4], "    Pending                  -- 20250321122619_c.sql");
}

TEST_F(MigrationFilesTest, OutputUsesGooseWording) {
  Write("00001_a.sql",
        "-- +goose Up\nCREATE TABLE a (id int);\n-- +goose Down\n"
        "DROP TABLE a;\n");
  ASSERT_TRUE(Migrator()->Up().ok());
  EXPECT_TRUE(std::regex_search(
      out_.str(), std::regex("OK   00001_a\\.sql \\([0-9]+\\.[0-9]{2}ms\\)")))
      << out_.str();
  EXPECT_THAT(out_.str(),
              HasSubstr("goose: successfully migrated database to version: 1"));
  out_.str("");
  ASSERT_TRUE(Migrator()->Up().ok());
  EXPECT_EQ(out_.str(), "goose: no migrations to run. current version: 1\n");
  out_.str("");
  ASSERT_TRUE(Migrator()->Reset().ok());
  ASSERT_TRUE(Migrator()->Down().ok());
  EXPECT_THAT(out_.str(),
              HasSubstr("goose: no migrations to run. current version: 0"));
}

}  // namespace
}  // namespace defifundr
