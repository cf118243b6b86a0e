// `defifundr-data migrate ...` as engineers and Kubernetes Jobs run it: the
// process, its exit codes and output. Three migrators started at once apply
// every version exactly once; create, fix and validate work on files.
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "db/migrate/migration.h"
#include "db/migrate/migrator.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/process.h"
#include "tests/support/test_database.h"

namespace defifundr {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
namespace migrate = db::migrate;

using testing::ReadAll;
using testing::WaitExit;

// Starts the binary with `args` and DATABASE_URL=`url` (and the built-in
// migrations); stdout and stderr go to `log`.
pid_t Spawn(const std::vector<std::string>& args, const std::string& url,
            const std::string& log) {
  return testing::SpawnProcess(DEFIFUNDR_DATA_BINARY, args,
                               {{"DATABASE_URL", url}, {"MIGRATIONS_DIR", ""}},
                               log);
}

class MigrateCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    base_ = absl::StrCat(::testing::TempDir(), "/migrate_cli_", getpid(), "_",
                         counter_++);
    std::filesystem::remove_all(base_);
    dir_ = base_ + "/migrations";
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(base_); }

  // Runs a command to completion; returns its exit code, output in `out`.
  int Run(const std::vector<std::string>& args, const std::string& url,
          std::string* out) {
    const std::string log = absl::StrCat(base_, "/run", runs_++, ".log");
    const int code = WaitExit(Spawn(args, url, log), absl::Seconds(120));
    *out = ReadAll(log);
    return code;
  }
  void Write(const std::string& name, absl::string_view contents) {
    std::ofstream(std::filesystem::path(dir_) / name) << contents;
  }
  std::vector<std::string> Names() {
    std::vector<std::string> names;
    for (const auto& e : std::filesystem::directory_iterator(dir_)) {
      names.push_back(e.path().filename().string());
    }
    std::sort(names.begin(), names.end());
    return names;
  }
  std::string DirFlag() const { return "--migrations_dir=" + dir_; }

  static inline int counter_ = 0;
  int runs_ = 0;
  std::string base_;
  std::string dir_;
};

TEST_F(MigrateCliTest, ThreeConcurrentUpsApplyEachVersionOnce) {
  auto db = testing::TestDatabase::Create(/*migrated=*/false);
  ASSERT_TRUE(db.ok()) << db.status();
  auto migrations = migrate::ParseMigrations(migrate::BuiltinMigrationFiles());
  ASSERT_TRUE(migrations.ok());
  std::vector<pid_t> pids;
  std::vector<std::string> logs;
  for (int i = 0; i < 3; ++i) {
    logs.push_back(absl::StrCat(base_, "/up", i, ".log"));
    pids.push_back(Spawn({"migrate", "up"}, (*db)->url(), logs.back()));
  }
  int applied_lines = 0;
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(WaitExit(pids[i], absl::Seconds(120)), 0) << ReadAll(logs[i]);
    const std::string out = ReadAll(logs[i]);
    for (size_t at = out.find("OK   "); at != std::string::npos;
         at = out.find("OK   ", at + 1)) {
      ++applied_lines;
    }
  }
  EXPECT_EQ(applied_lines, static_cast<int>(migrations->size()));
  EXPECT_EQ((*db)->Scalar("SELECT count(*) FROM goose_db_version"),
            absl::StrCat(migrations->size() + 1));
  EXPECT_EQ((*db)->Scalar("SELECT count(*) FROM (SELECT version_id FROM "
                          "goose_db_version GROUP BY version_id HAVING "
                          "count(*) > 1) d"),
            "0");
  EXPECT_EQ((*db)->Scalar("SELECT max(version_id) FROM goose_db_version"),
            absl::StrCat(migrations->back().version));
}

TEST_F(MigrateCliTest, ConcurrentUpsWaitForASlowMigration) {
  // The first migrator holds the lock through a slow migration; the others
  // wait for it and then find nothing to do.
  Write("00001_a.sql", "-- +goose Up\nCREATE TABLE a (id int);\n");
  Write("00002_slow.sql",
        "-- +goose Up\nSELECT pg_sleep(1);\nCREATE TABLE b (id int);\n");
  Write("00003_c.sql", "-- +goose Up\nCREATE TABLE c (id int);\n");
  auto db = testing::TestDatabase::Create(/*migrated=*/false);
  ASSERT_TRUE(db.ok()) << db.status();
  std::vector<pid_t> pids;
  std::vector<std::string> logs;
  for (int i = 0; i < 3; ++i) {
    logs.push_back(absl::StrCat(base_, "/slow", i, ".log"));
    pids.push_back(
        Spawn({"migrate", "up", DirFlag()}, (*db)->url(), logs.back()));
  }
  int migrated = 0, idle = 0;
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(WaitExit(pids[i], absl::Seconds(60)), 0) << ReadAll(logs[i]);
    const std::string out = ReadAll(logs[i]);
    if (absl::StrContains(out,
                          "successfully migrated database to version: 3")) {
      ++migrated;
    }
    if (absl::StrContains(out, "no migrations to run. current version: 3")) {
      ++idle;
    }
  }
  EXPECT_EQ(migrated, 1);
  EXPECT_EQ(idle, 2);
  EXPECT_EQ((*db)->Scalar("SELECT string_agg(version_id::text, ',' ORDER BY "
                          "id) FROM goose_db_version"),
            "0,1,2,3");
}

TEST_F(MigrateCliTest, LockTimeoutFailsWithoutApplying) {
  Write("00001_a.sql", "-- +goose Up\nCREATE TABLE a (id int);\n");
  auto db = testing::TestDatabase::Create(/*migrated=*/false);
  ASSERT_TRUE(db.ok()) << db.status();
  auto holder = (*db)->Connect();
  ASSERT_TRUE(holder
                  ->Exec(absl::StrCat("SELECT pg_advisory_lock(",
                                      migrate::kMigrationLockId, ")"))
                  .ok());
  std::string out;
  EXPECT_EQ(Run({"migrate", "up", DirFlag(), "--lock_timeout=300ms"},
                (*db)->url(), &out),
            1);
  EXPECT_THAT(out, HasSubstr("DEADLINE_EXCEEDED"));
  EXPECT_EQ((*db)->Scalar("SELECT to_regclass('a') IS NULL"), "t");
}

TEST_F(MigrateCliTest, CreateThenValidateThenUp) {
  std::string out;
  ASSERT_EQ(Run({"migrate", "create", "add wallets", DirFlag()}, "", &out), 0)
      << out;
  ASSERT_EQ(Names().size(), 1u);
  const std::string name = Names()[0];
  EXPECT_TRUE(std::regex_match(name, std::regex("[0-9]{14}_add_wallets\\.sql")))
      << name;
  EXPECT_THAT(out, HasSubstr("Created new file: " + dir_ + "/" + name));
  EXPECT_EQ(ReadAll(dir_ + "/" + name), migrate::NewMigrationTemplate());

  ASSERT_EQ(Run({"migrate", "validate", DirFlag()}, "", &out), 0) << out;
  EXPECT_THAT(out, HasSubstr("1 migration files are valid"));

  // The template runs as it is.
  auto db = testing::TestDatabase::Create(/*migrated=*/false);
  ASSERT_TRUE(db.ok()) << db.status();
  ASSERT_EQ(Run({"migrate", "up", DirFlag()}, (*db)->url(), &out), 0) << out;
  ASSERT_EQ(Run({"migrate", "version", DirFlag()}, (*db)->url(), &out), 0);
  EXPECT_THAT(out, HasSubstr("goose: version " + name.substr(0, 14)));
}

TEST_F(MigrateCliTest, CreateSequentialAndErrors) {
  std::string out;
  ASSERT_EQ(
      Run({"migrate", "create", "first", "sql", DirFlag(), "--sequential"}, "",
          &out),
      0)
      << out;
  ASSERT_EQ(
      Run({"migrate", "create", "second", DirFlag(), "--sequential"}, "", &out),
      0)
      << out;
  EXPECT_EQ(Names(),
            (std::vector<std::string>{"00001_first.sql", "00002_second.sql"}));
  // No name: usage. A Go migration: refused.
  EXPECT_EQ(Run({"migrate", "create", DirFlag()}, "", &out), 2);
  EXPECT_EQ(Run({"migrate", "create", "x", "go", DirFlag()}, "", &out), 1);
  EXPECT_THAT(out, HasSubstr("INVALID_ARGUMENT"));
  EXPECT_EQ(Names().size(), 2u);
}

TEST_F(MigrateCliTest, FixRenamesTimestampedFiles) {
  Write("00001_a.sql", "-- +goose Up\nSELECT 1;\n");
  Write("20250321122619_b.sql", "-- +goose Up\nSELECT 2;\n");
  Write("20250321123506_c.sql", "-- +goose Up\nSELECT 3;\n");
  std::string out;
  ASSERT_EQ(Run({"migrate", "fix", DirFlag()}, "", &out), 0) << out;
  EXPECT_THAT(out, HasSubstr("RENAMED 20250321122619_b.sql => 00002_b.sql\n"
                             "RENAMED 20250321123506_c.sql => 00003_c.sql\n"));
  EXPECT_EQ(Names(), (std::vector<std::string>{"00001_a.sql", "00002_b.sql",
                                               "00003_c.sql"}));
  ASSERT_EQ(Run({"migrate", "fix", DirFlag()}, "", &out), 0) << out;
  EXPECT_THAT(out, HasSubstr("no timestamped migrations to fix"));
}

TEST_F(MigrateCliTest, BadFileIsNamedByValidateAndNothingIsApplied) {
  Write("00001_ok.sql", "-- +goose Up\nCREATE TABLE ok (id int);\n");
  Write("00002_func.sql",
        "-- +goose Up\n"
        "CREATE FUNCTION f() RETURNS int AS $$\n"
        "BEGIN\n"
        "  RETURN 1;\n"
        "END;\n"
        "$$ LANGUAGE plpgsql;\n");
  Write("00003_unfinished.sql", "-- +goose Up\nSELECT 1\n");
  std::string out;
  EXPECT_EQ(Run({"migrate", "validate", DirFlag()}, "", &out), 1);
  EXPECT_THAT(out, HasSubstr("goose validate: 00002_func.sql:2: "));
  EXPECT_THAT(out, HasSubstr("goose validate: 00003_unfinished.sql:2: "));
  EXPECT_THAT(out, HasSubstr("2 problem(s) in 3 files"));

  auto db = testing::TestDatabase::Create(/*migrated=*/false);
  ASSERT_TRUE(db.ok()) << db.status();
  EXPECT_EQ(Run({"migrate", "up", DirFlag()}, (*db)->url(), &out), 1);
  EXPECT_THAT(out, HasSubstr("00002_func.sql:2"));
  EXPECT_EQ((*db)->Scalar("SELECT count(*) FROM pg_tables WHERE schemaname = "
                          "'public'"),
            "0");
}

TEST_F(MigrateCliTest, ValidateChecksTheBuiltInMigrationsByDefault) {
  std::string out;
  EXPECT_EQ(Run({"migrate", "validate"}, "", &out), 0) << out;
  EXPECT_THAT(out, HasSubstr("migration files are valid"));
  EXPECT_EQ(Run({"migrate", "validate", "--migrations_dir=" + base_ + "/no"},
                "", &out),
            1);
  EXPECT_THAT(out, HasSubstr("NOT_FOUND"));
}

TEST_F(MigrateCliTest, UsageErrorsExitTwo) {
  std::string out;
  EXPECT_EQ(Run({"migrate"}, "", &out), 2);
  EXPECT_EQ(Run({"migrate", "sideways"}, "", &out), 2);
  EXPECT_THAT(out, HasSubstr("unknown migrate command: sideways"));
  EXPECT_EQ(Run({"migrate", "up-to"}, "", &out), 2);
  EXPECT_EQ(Run({"migrate", "down-to", "x"}, "", &out), 2);
  EXPECT_THAT(out, Not(HasSubstr("failed")));  // Nothing was attempted.
}

TEST_F(MigrateCliTest, StatusAfterUpListsEveryFileApplied) {
  Write("00001_a.sql",
        "-- +goose Up\nCREATE TABLE a (id int);\n"
        "-- +goose Down\nDROP TABLE a;\n");
  Write("00002_b.sql",
        "-- +goose Up\nCREATE TABLE b (id int);\n"
        "-- +goose Down\nDROP TABLE b;\n");
  auto db = testing::TestDatabase::Create(/*migrated=*/false);
  ASSERT_TRUE(db.ok()) << db.status();
  std::string out;
  ASSERT_EQ(Run({"migrate", "up-by-one", DirFlag()}, (*db)->url(), &out), 0);
  ASSERT_EQ(Run({"migrate", "status", DirFlag()}, (*db)->url(), &out), 0);
  EXPECT_THAT(out, HasSubstr("    Applied At                  Migration\n"
                             "    =======================================\n"));
  EXPECT_THAT(out, HasSubstr("    Pending                  -- 00002_b.sql\n"));
  EXPECT_THAT(out, Not(HasSubstr("Pending                  -- 00001_a.sql")));
  ASSERT_EQ(Run({"migrate", "redo", DirFlag()}, (*db)->url(), &out), 0) << out;
  ASSERT_EQ(Run({"migrate", "up-to", "2", DirFlag()}, (*db)->url(), &out), 0);
  ASSERT_EQ(Run({"migrate", "down-to", "0", DirFlag()}, (*db)->url(), &out), 0);
  ASSERT_EQ(Run({"migrate", "version", DirFlag()}, (*db)->url(), &out), 0);
  EXPECT_THAT(out, HasSubstr("goose: version 0"));
}

}  // namespace
}  // namespace defifundr
