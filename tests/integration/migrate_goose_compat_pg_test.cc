// Databases migrated by Goose itself: the version table exactly as Goose
// creates it (older releases: a serial id, a nullable tstamp, and
// (version, false) rows left by their downs) is read as Goose reads it and
// continued; the table we create is the one current Goose creates.
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "db/migrate/migration.h"
#include "db/migrate/migrator.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/test_database.h"

namespace defifundr {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
namespace migrate = db::migrate;

class GooseCompatTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = absl::StrCat(::testing::TempDir(), "/migrate_goose_compat_",
                        getpid(), "_", counter_++);
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    for (int v = 1; v <= 4; ++v) {
      std::ofstream(std::filesystem::path(dir_) /
                    absl::StrCat("0000", v, "_t", v, ".sql"))
          << "-- +goose Up\nCREATE TABLE t" << v << " (id int);\n"
          << "-- +goose Down\nDROP TABLE t" << v << ";\n";
    }
    auto db = testing::TestDatabase::Create(/*migrated=*/false);
    ASSERT_TRUE(db.ok()) << db.status();
    db_ = *std::move(db);
    conn_ = db_->Connect();
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::unique_ptr<migrate::Migrator> Migrator() {
    auto migrations = migrate::LoadMigrationsFromDir(dir_);
    EXPECT_TRUE(migrations.ok()) << migrations.status();
    migrate::MigratorOptions options;
    options.out = &out_;
    return std::make_unique<migrate::Migrator>(*conn_, *std::move(migrations),
                                               options);
  }
  std::vector<std::string> StatusLines() {
    out_.str("");
    EXPECT_TRUE(Migrator()->Status().ok());
    return absl::StrSplit(out_.str(), '\n', absl::SkipEmpty());
  }
  std::string Rows() {
    return db_->Scalar(
        "SELECT string_agg(id || ':' || version_id || ':' || is_applied, ' ' "
        "ORDER BY id) FROM goose_db_version");
  }

  static inline int counter_ = 0;
  std::string dir_;
  std::unique_ptr<testing::TestDatabase> db_;
  std::unique_ptr<db::pg::Connection> conn_;
  std::ostringstream out_;
};

TEST_F(GooseCompatTest, OlderGooseTableIsReadAndContinued) {
  // What Goose (v2 and early v3, PostgreSQL dialect) did: its CREATE TABLE,
  // the version-0 row, ups of 1..3, then a down of 3 recorded as a
  // (3, false) row. The schema is what those migrations left.
  db_->Exec(
      "CREATE TABLE goose_db_version ("
      " id serial NOT NULL,"
      " version_id bigint NOT NULL,"
      " is_applied boolean NOT NULL,"
      " tstamp timestamp NULL default now(),"
      " PRIMARY KEY(id))");
  db_->Exec(
      "INSERT INTO goose_db_version (version_id, is_applied, tstamp) VALUES"
      " (0, true, '2024-01-01 09:00:00'),"
      " (1, true, '2024-01-02 11:00:00'),"
      " (2, true, '2024-01-09 08:30:15.123456'),"
      " (3, true, '2024-02-10 10:00:00'),"
      " (3, false, '2024-02-11 10:00:00')");
  db_->Exec("CREATE TABLE t1 (id int); CREATE TABLE t2 (id int)");

  EXPECT_THAT(StatusLines(),
              ElementsAre("    Applied At                  Migration",
                          "    =======================================",
                          "    Tue Jan  2 11:00:00 2024 -- 00001_t1.sql",
                          "    Tue Jan  9 08:30:15 2024 -- 00002_t2.sql",
                          "    Pending                  -- 00003_t3.sql",
                          "    Pending                  -- 00004_t4.sql"));
  EXPECT_EQ(*Migrator()->Version(), 2);

  out_.str("");
  ASSERT_TRUE(Migrator()->Up().ok()) << out_.str();
  EXPECT_THAT(out_.str(), HasSubstr("OK   00003_t3.sql"));
  EXPECT_THAT(out_.str(), HasSubstr("OK   00004_t4.sql"));
  EXPECT_EQ(Rows(),
            "1:0:true 2:1:true 3:2:true 4:3:true 5:3:false 6:3:true "
            "7:4:true");
  EXPECT_EQ(*Migrator()->Version(), 4);
  // The table keeps Goose's definition.
  EXPECT_EQ(db_->Scalar("SELECT column_default FROM information_schema.columns"
                        " WHERE table_name = 'goose_db_version' AND "
                        "column_name = 'id'"),
            "nextval('goose_db_version_id_seq'::regclass)");

  // Down removes the version's rows, as Goose v3 does.
  ASSERT_TRUE(Migrator()->DownTo(2).ok());
  EXPECT_EQ(Rows(), "1:0:true 2:1:true 3:2:true");
  EXPECT_EQ(db_->Scalar("SELECT to_regclass('t3') IS NULL"), "t");
}

TEST_F(GooseCompatTest, NullTimestampOfAnOlderTableReadsAsGoZeroTime) {
  db_->Exec(
      "CREATE TABLE goose_db_version (id serial NOT NULL, version_id bigint "
      "NOT NULL, is_applied boolean NOT NULL, tstamp timestamp NULL default "
      "now(), PRIMARY KEY(id))");
  db_->Exec(
      "INSERT INTO goose_db_version (version_id, is_applied, tstamp) VALUES "
      "(0, true, NULL), (1, true, NULL)");
  db_->Exec("CREATE TABLE t1 (id int)");
  const std::vector<std::string> lines = StatusLines();
  ASSERT_GE(lines.size(), 3u);
  EXPECT_EQ(lines[2], "    Mon Jan  1 00:00:00 0001 -- 00001_t1.sql");
}

TEST_F(GooseCompatTest, CreatesTheTableCurrentGooseCreates) {
  ASSERT_TRUE(Migrator()->UpTo(1).ok());
  // Goose v3.16+: id integer PRIMARY KEY GENERATED BY DEFAULT AS IDENTITY,
  // version_id bigint NOT NULL, is_applied boolean NOT NULL, tstamp
  // timestamp NOT NULL DEFAULT now(); an initial (0, true) row.
  EXPECT_EQ(
      db_->Scalar(
          "SELECT string_agg(column_name || ' ' || data_type || ' ' || "
          "is_nullable || ' ' || is_identity || ' ' || "
          "coalesce(identity_generation, '') || ' ' || "
          "coalesce(column_default, ''), '; ' ORDER BY ordinal_position) "
          "FROM information_schema.columns WHERE table_name = "
          "'goose_db_version'"),
      "id integer NO YES BY DEFAULT ; version_id bigint NO NO  ; is_applied "
      "boolean NO NO  ; tstamp timestamp without time zone NO NO  now()");
  EXPECT_EQ(db_->Scalar("SELECT pg_get_constraintdef(oid) FROM pg_constraint "
                        "WHERE conrelid = 'goose_db_version'::regclass"),
            "PRIMARY KEY (id)");
  EXPECT_EQ(Rows(), "1:0:true 2:1:true");
}

TEST_F(GooseCompatTest, ConcurrentFirstUseCreatesOneVersionTable) {
  // Several commands on a pristine database at once each create the table
  // if missing; exactly one does.
  std::vector<std::unique_ptr<db::pg::Connection>> conns;
  for (int i = 0; i < 4; ++i) conns.push_back(db_->Connect());
  auto migrations = migrate::LoadMigrationsFromDir(dir_);
  ASSERT_TRUE(migrations.ok());
  std::vector<std::thread> threads;
  std::vector<absl::Status> results(conns.size());
  for (size_t i = 0; i < conns.size(); ++i) {
    threads.emplace_back([&, i] {
      migrate::Migrator m(*conns[i], *migrations);
      results[i] = i % 2 == 0 ? m.Status() : m.Version().status();
    });
  }
  for (std::thread& t : threads) t.join();
  for (const absl::Status& s : results) EXPECT_TRUE(s.ok()) << s;
  EXPECT_EQ(Rows(), "1:0:true");
}

}  // namespace
}  // namespace defifundr
