// Unit tests of db/migrate/migration.h: Goose file parsing and the file
// commands (create, fix, validate).
#include "db/migrate/migration.h"

#include <fcntl.h>
#include <linux/fs.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "absl/cleanup/cleanup.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "db/embedded_file.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace defifundr::db::migrate {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::SizeIs;
using ::testing::StartsWith;

constexpr absl::string_view kFile = "00003_test.sql";

// The status of parsing `contents` as kFile; OK if it parses.
absl::Status ParseStatus(absl::string_view contents) {
  return ParseMigration(kFile, contents).status();
}

TEST(VersionFromFileNameTest, ReadsTheNumericPrefix) {
  absl::StatusOr<int64_t> v = VersionFromFileName("00002_create_users.sql");
  ASSERT_TRUE(v.ok()) << v.status();
  EXPECT_EQ(*v, 2);
  v = VersionFromFileName("20250321122619_user_device.sql");
  ASSERT_TRUE(v.ok()) << v.status();
  EXPECT_EQ(*v, 20250321122619);
}

TEST(VersionFromFileNameTest, RejectsOtherNames) {
  for (absl::string_view name :
       {"create_users.sql", "_create.sql", "00000_zero.sql", "-1_neg.sql",
        "12a_x.sql", "00002_create_users.txt", "00002.sql", ""}) {
    absl::StatusOr<int64_t> v = VersionFromFileName(name);
    EXPECT_EQ(v.status().code(), absl::StatusCode::kInvalidArgument) << name;
  }
}

TEST(ParseMigrationTest, SplitsUpAndDownStatements) {
  constexpr absl::string_view kContents =
      "-- A header comment.\n"                      // 1
      "-- +goose Up\n"                              // 2
      "CREATE TABLE t (\n"                          // 3
      "  id int PRIMARY KEY  -- the key\n"          // 4
      ");\n"                                        // 5
      "\n"                                          // 6
      "-- between statements\n"                     // 7
      "CREATE INDEX t_id ON t (id); -- trailing\n"  // 8
      "\n"                                          // 9
      "-- +goose Down\n"                            // 10
      "DROP TABLE t;\n";                            // 11
  absl::StatusOr<Migration> m = ParseMigration(kFile, kContents);
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_EQ(m->version, 3);
  EXPECT_EQ(m->file, kFile);
  EXPECT_FALSE(m->no_transaction);
  ASSERT_THAT(m->up, SizeIs(2));
  EXPECT_EQ(m->up[0].sql,
            "CREATE TABLE t (\n  id int PRIMARY KEY  -- the key\n);");
  EXPECT_EQ(m->up[0].line, 3);
  EXPECT_EQ(m->up[1].sql, "CREATE INDEX t_id ON t (id); -- trailing");
  EXPECT_EQ(m->up[1].line, 8);
  ASSERT_THAT(m->down, SizeIs(1));
  EXPECT_EQ(m->down[0].sql, "DROP TABLE t;");
  EXPECT_EQ(m->down[0].line, 11);
}

TEST(ParseMigrationTest, UpOnlyIsValid) {
  absl::StatusOr<Migration> m =
      ParseMigration(kFile, "-- +goose Up\nSELECT 1;");
  ASSERT_TRUE(m.ok()) << m.status();
  ASSERT_THAT(m->up, SizeIs(1));
  EXPECT_EQ(m->up[0].sql, "SELECT 1;");
  EXPECT_THAT(m->down, IsEmpty());
}

TEST(ParseMigrationTest, StatementBlockKeepsInnerSemicolons) {
  constexpr absl::string_view kContents =
      "-- +goose Up\n"                                   // 1
      "-- +goose StatementBegin\n"                       // 2
      "CREATE FUNCTION touch() RETURNS trigger AS $$\n"  // 3
      "BEGIN\n"                                          // 4
      "  NEW.updated_at = now();\n"                      // 5
      "  RETURN NEW;\n"                                  // 6
      "END;\n"                                           // 7
      "$$ LANGUAGE plpgsql;\n"                           // 8
      "-- +goose StatementEnd\n"                         // 9
      "CREATE TABLE t (id int);\n"                       // 10
      "-- +goose Down\n"                                 // 11
      "DROP FUNCTION touch();\n";                        // 12
  absl::StatusOr<Migration> m = ParseMigration(kFile, kContents);
  ASSERT_TRUE(m.ok()) << m.status();
  ASSERT_THAT(m->up, SizeIs(2));
  EXPECT_EQ(m->up[0].sql,
            "CREATE FUNCTION touch() RETURNS trigger AS $$\n"
            "BEGIN\n"
            "  NEW.updated_at = now();\n"
            "  RETURN NEW;\n"
            "END;\n"
            "$$ LANGUAGE plpgsql;");
  EXPECT_EQ(m->up[0].line, 3);
  EXPECT_EQ(m->up[1].sql, "CREATE TABLE t (id int);");
  EXPECT_EQ(m->up[1].line, 10);
  ASSERT_THAT(m->down, SizeIs(1));
}

TEST(ParseMigrationTest, DollarQuotedBodyOnOneLineNeedsNoBlock) {
  absl::StatusOr<Migration> m =
      ParseMigration(kFile, "-- +goose Up\nDO $$ BEGIN PERFORM 1; END $$;\n");
  ASSERT_TRUE(m.ok()) << m.status();
  ASSERT_THAT(m->up, SizeIs(1));
  EXPECT_EQ(m->up[0].sql, "DO $$ BEGIN PERFORM 1; END $$;");
}

TEST(ParseMigrationTest, DollarQuotedBodyWithoutBlockIsRejected) {
  constexpr absl::string_view kContents =
      "-- +goose Up\n"                               // 1
      "SELECT 1;\n"                                  // 2
      "CREATE FUNCTION f() RETURNS int AS $body$\n"  // 3
      "BEGIN\n"                                      // 4
      "  RETURN 1;\n"                                // 5
      "END;\n"                                       // 6
      "$body$ LANGUAGE plpgsql;\n";                  // 7
  absl::Status s = ParseStatus(kContents);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(s.message()), StartsWith("00003_test.sql:3: "));
  EXPECT_THAT(std::string(s.message()), HasSubstr("StatementBegin"));
}

TEST(ParseMigrationTest, NoTransaction) {
  absl::StatusOr<Migration> m =
      ParseMigration(kFile,
                     "-- +goose NO TRANSACTION\n-- +goose Up\n"
                     "CREATE INDEX CONCURRENTLY i ON t (a);\n");
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_TRUE(m->no_transaction);
  ASSERT_THAT(m->up, SizeIs(1));
}

TEST(ParseMigrationTest, EnvSubReplacesVariablesWhileOn) {
  ASSERT_EQ(setenv("DEFIFUNDR_UNIT_ENVSUB_ROLE", "app_rw", 1), 0);
  unsetenv("DEFIFUNDR_UNIT_ENVSUB_UNSET");
  absl::StatusOr<Migration> m =
      ParseMigration(kFile,
                     "-- +goose Up\n"
                     "-- +goose ENVSUB ON\n"
                     "GRANT SELECT ON t TO ${DEFIFUNDR_UNIT_ENVSUB_ROLE};\n"
                     "GRANT SELECT ON u TO $DEFIFUNDR_UNIT_ENVSUB_ROLE;\n"
                     "SELECT '${DEFIFUNDR_UNIT_ENVSUB_UNSET}', $1;\n"
                     "-- +goose ENVSUB OFF\n"
                     "SELECT '${DEFIFUNDR_UNIT_ENVSUB_ROLE}';\n");
  unsetenv("DEFIFUNDR_UNIT_ENVSUB_ROLE");
  ASSERT_TRUE(m.ok()) << m.status();
  ASSERT_THAT(m->up, SizeIs(4));
  EXPECT_EQ(m->up[0].sql, "GRANT SELECT ON t TO app_rw;");
  EXPECT_EQ(m->up[1].sql, "GRANT SELECT ON u TO app_rw;");
  EXPECT_EQ(m->up[2].sql, "SELECT '', $1;");
  EXPECT_EQ(m->up[3].sql, "SELECT '${DEFIFUNDR_UNIT_ENVSUB_ROLE}';");
}

TEST(ParseMigrationTest, DoubleDashInsideStringLiteralIsNotAComment) {
  // The `;` ends the line; the `--` is part of a string, not a comment.
  absl::StatusOr<Migration> m =
      ParseMigration(kFile,
                     "-- +goose Up\n"
                     "INSERT INTO t (s) VALUES ('a--b');\n"
                     "-- +goose Down\n"
                     "DELETE FROM t;\n");
  ASSERT_TRUE(m.ok()) << m.status();
  ASSERT_THAT(m->up, SizeIs(1));
  EXPECT_EQ(m->up[0].sql, "INSERT INTO t (s) VALUES ('a--b');");
  ASSERT_THAT(m->down, SizeIs(1));
}

TEST(ParseMigrationTest, MissingUpIsRejected) {
  absl::Status s = ParseStatus("-- just a comment\n\n");
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(s.message()), StartsWith("00003_test.sql:1: "));
}

TEST(ParseMigrationTest, SqlBeforeUpIsRejected) {
  absl::Status s = ParseStatus("-- c\nSELECT 1;\n-- +goose Up\nSELECT 2;\n");
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(s.message()), StartsWith("00003_test.sql:2: "));
}

TEST(ParseMigrationTest, DownBeforeUpIsRejected) {
  absl::Status s =
      ParseStatus("-- +goose Down\nSELECT 1;\n-- +goose Up\nSELECT 2;\n");
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(s.message()), StartsWith("00003_test.sql:1: "));
}

TEST(ParseMigrationTest, SecondUpIsRejected) {
  absl::Status s =
      ParseStatus("-- +goose Up\nSELECT 1;\n-- +goose Up\nSELECT 2;\n");
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(s.message()), StartsWith("00003_test.sql:3: "));
}

TEST(ParseMigrationTest, UnknownAnnotationIsRejected) {
  absl::Status s =
      ParseStatus("-- +goose Up\nSELECT 1;\n\n-- +goose Sideways\n");
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(s.message()), StartsWith("00003_test.sql:4: "));
  EXPECT_THAT(std::string(s.message()), HasSubstr("Sideways"));
}

TEST(ParseMigrationTest, StatementBeginWithoutEndIsRejected) {
  absl::Status s = ParseStatus(
      "-- +goose Up\n"
      "SELECT 1;\n"
      "-- +goose StatementBegin\n"
      "SELECT 2;\n"
      "-- +goose Down\n"
      "SELECT 3;\n");
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(s.message()), StartsWith("00003_test.sql:3: "));
}

TEST(ParseMigrationTest, StatementBeginWithoutEndAtEndOfFileIsRejected) {
  absl::Status s =
      ParseStatus("-- +goose Up\n-- +goose StatementBegin\nSELECT 2;\n");
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(s.message()), StartsWith("00003_test.sql:2: "));
}

TEST(ParseMigrationTest, StatementEndWithoutBeginIsRejected) {
  absl::Status s =
      ParseStatus("-- +goose Up\nSELECT 1;\n-- +goose StatementEnd\n");
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(s.message()), StartsWith("00003_test.sql:3: "));
}

TEST(ParseMigrationTest, UnterminatedStatementBeforeDownIsRejected) {
  absl::Status s = ParseStatus(
      "-- +goose Up\n"
      "SELECT 1;\n"
      "CREATE TABLE t (\n"
      "  id int)\n"
      "-- +goose Down\n"
      "DROP TABLE t;\n");
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(s.message()), StartsWith("00003_test.sql:3: "));
}

TEST(ParseMigrationTest, UnterminatedStatementAtEndOfFileIsRejected) {
  absl::Status s =
      ParseStatus("-- +goose Up\nSELECT 1;\n-- +goose Down\n\nDROP TABLE t\n");
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(s.message()), StartsWith("00003_test.sql:5: "));
}

TEST(ParseMigrationTest, BadFileNameIsRejected) {
  absl::StatusOr<Migration> m =
      ParseMigration("create_users.sql", "-- +goose Up\nSELECT 1;\n");
  EXPECT_EQ(m.status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(ParseMigrationsTest, SortsByVersion) {
  const EmbeddedFile files[] = {
      {"00010_c.sql", "-- +goose Up\nSELECT 10;\n"},
      {"00002_a.sql", "-- +goose Up\nSELECT 2;\n"},
      {"00005_b.sql", "-- +goose Up\nSELECT 5;\n"},
  };
  absl::StatusOr<std::vector<Migration>> ms = ParseMigrations(files);
  ASSERT_TRUE(ms.ok()) << ms.status();
  ASSERT_THAT(*ms, SizeIs(3));
  EXPECT_EQ((*ms)[0].version, 2);
  EXPECT_EQ((*ms)[0].file, "00002_a.sql");
  EXPECT_EQ((*ms)[1].version, 5);
  EXPECT_EQ((*ms)[2].version, 10);
}

TEST(ParseMigrationsTest, DuplicateVersionIsRejected) {
  const EmbeddedFile files[] = {
      {"00002_a.sql", "-- +goose Up\nSELECT 1;\n"},
      {"2_b.sql", "-- +goose Up\nSELECT 2;\n"},
  };
  absl::StatusOr<std::vector<Migration>> ms = ParseMigrations(files);
  EXPECT_EQ(ms.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(ms.status().message()), HasSubstr("00002_a.sql"));
  EXPECT_THAT(std::string(ms.status().message()), HasSubstr("2_b.sql"));
}

TEST(ParseMigrationsTest, OneBadFileFailsAll) {
  const EmbeddedFile files[] = {
      {"00001_a.sql", "-- +goose Up\nSELECT 1;\n"},
      {"00002_b.sql", "SELECT 2;\n"},
  };
  absl::StatusOr<std::vector<Migration>> ms = ParseMigrations(files);
  EXPECT_EQ(ms.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(ms.status().message()),
              StartsWith("00002_b.sql:1: "));
}

TEST(ParseMigrationsTest, BuiltinMigrationsParse) {
  absl::StatusOr<std::vector<Migration>> ms =
      ParseMigrations(BuiltinMigrationFiles());
  ASSERT_TRUE(ms.ok()) << ms.status();
  ASSERT_FALSE(ms->empty());
  EXPECT_EQ(ms->front().version, 1);
  for (const Migration& m : *ms) {
    EXPECT_FALSE(m.up.empty()) << m.file;
  }
}

// --- Splitting where Goose would cut a statement in two -------------------

TEST(ParseMigrationTest, MultiLineStringLiteralWithSemicolonIsRejected) {
  constexpr absl::string_view kContents =
      "-- +goose Up\n"                            // 1
      "INSERT INTO notes (body) VALUES ('one;\n"  // 2
      "two');\n";                                 // 3
  absl::Status s = ParseStatus(kContents);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(s.message()), StartsWith("00003_test.sql:2: "));
  EXPECT_THAT(std::string(s.message()), HasSubstr("a string literal"));
  EXPECT_THAT(std::string(s.message()), HasSubstr("StatementBegin"));
}

TEST(ParseMigrationTest, EscapeStringKeepsQuoteAfterBackslashOpen) {
  // E'it\'s;' stays open across the line: the `\'` does not close it.
  absl::Status s = ParseStatus(
      "-- +goose Up\n"
      "SELECT 1;\n"
      "SELECT E'it\\'s;\n"
      "fine';\n");
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(s.message()), StartsWith("00003_test.sql:3: "));
  EXPECT_THAT(std::string(s.message()), HasSubstr("string literal"));
}

TEST(ParseMigrationTest, BlockCommentWithSemicolonIsRejected) {
  absl::Status s = ParseStatus(
      "-- +goose Up\n"
      "CREATE TABLE t (id int); /* the id;\n"
      "   more */\n"
      "SELECT 1;\n");
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(s.message()), StartsWith("00003_test.sql:2: "));
  EXPECT_THAT(std::string(s.message()), HasSubstr("block comment"));
}

TEST(ParseMigrationTest, QuotedIdentifierWithSemicolonIsRejected) {
  absl::Status s = ParseStatus(
      "-- +goose Up\n"
      "CREATE TABLE \"odd;\n"
      "name\" (id int);\n");
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(s.message()), HasSubstr("quoted identifier"));
}

TEST(ParseMigrationTest, NestedDollarQuotesAreTrackedByTag) {
  // An inner $$ pair inside $outer$ leaves the statement open; an odd-even
  // count of `$$` would have let the `;` on line 4 split it.
  constexpr absl::string_view kContents =
      "-- +goose Up\n"                                 // 1
      "CREATE FUNCTION f() RETURNS void AS $outer$\n"  // 2
      "BEGIN EXECUTE $$ SELECT 1 $$;\n"                // 3
      "  PERFORM 2;\n"                                 // 4
      "END $outer$ LANGUAGE plpgsql;\n";               // 5
  absl::Status s = ParseStatus(kContents);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(s.message()), StartsWith("00003_test.sql:2: "));
  EXPECT_THAT(std::string(s.message()), HasSubstr("$outer$"));
  EXPECT_THAT(std::string(s.message()), HasSubstr("opened on line 2"));
}

TEST(ParseMigrationTest, QuotesClosedOnTheirLineSplitAsGooseDoes) {
  absl::StatusOr<Migration> m =
      ParseMigration(kFile,
                     "-- +goose Up\n"
                     "SELECT '$$;' AS a, \"x;y\" FROM t WHERE c = $1;\n"
                     "SELECT a$b, E'\\\\' /* c; */ FROM t;\n"
                     "CREATE TABLE u (\n"
                     "  note text DEFAULT 'it''s'\n"
                     ");\n");
  ASSERT_TRUE(m.ok()) << m.status();
  ASSERT_THAT(m->up, SizeIs(3));
  EXPECT_EQ(m->up[2].line, 4);
}

TEST(ParseMigrationTest, CommentsBeforeABlockStatementAreDropped) {
  // Goose drops leading comments and blank lines inside a block too.
  absl::StatusOr<Migration> m =
      ParseMigration(kFile,
                     "-- +goose Up\n"              // 1
                     "-- +goose StatementBegin\n"  // 2
                     "-- what follows\n"           // 3
                     "\n"                          // 4
                     "SELECT 1;\n"                 // 5
                     "-- kept: inside\n"           // 6
                     "SELECT 2;\n"                 // 7
                     "-- +goose StatementEnd\n");
  ASSERT_TRUE(m.ok()) << m.status();
  ASSERT_THAT(m->up, SizeIs(1));
  EXPECT_EQ(m->up[0].sql, "SELECT 1;\n-- kept: inside\nSELECT 2;");
  EXPECT_EQ(m->up[0].line, 5);
}

TEST(ParseMigrationTest, CreatedTemplateParses) {
  absl::StatusOr<Migration> m = ParseMigration(kFile, NewMigrationTemplate());
  ASSERT_TRUE(m.ok()) << m.status();
  ASSERT_THAT(m->up, SizeIs(1));
  EXPECT_EQ(m->up[0].sql, "SELECT 'up SQL query';");
  ASSERT_THAT(m->down, SizeIs(1));
  EXPECT_EQ(m->down[0].sql, "SELECT 'down SQL query';");
}

// --- validate ---------------------------------------------------------------

TEST(ValidateMigrationsTest, ReportsEveryProblemWithFileAndLine) {
  const EmbeddedFile files[] = {
      {"00003_c.sql", "-- +goose Up\nSELECT 3\n"},
      {"00001_a.sql", "-- +goose Up\nSELECT 1;\n"},
      {"00002_b.sql", "-- +goose Up\n-- +goose Sideways\n"},
      {"2_dup.sql", "-- +goose Up\nSELECT 2;\n"},
      {"00004_d.sql", "-- +goose Up\nSELECT 4;\n"},
      {"4_dup.sql", "-- +goose Up\nSELECT 4;\n"},
      {"notes.sql", "-- +goose Up\nSELECT 0;\n"},
  };
  std::vector<absl::Status> errors = ValidateMigrations(files);
  std::vector<std::string> messages;
  for (const absl::Status& e : errors) {
    EXPECT_EQ(e.code(), absl::StatusCode::kInvalidArgument) << e;
    messages.push_back(std::string(e.message()));
  }
  ASSERT_THAT(messages, SizeIs(4));
  EXPECT_THAT(messages[0], StartsWith("00002_b.sql:2: "));
  EXPECT_THAT(messages[1], StartsWith("00003_c.sql:2: "));
  EXPECT_THAT(messages[2],
              HasSubstr("duplicate version 4: 00004_d.sql and 4_dup.sql"));
  EXPECT_THAT(messages[3], StartsWith("notes.sql: not a migration file name"));
}

TEST(ValidateMigrationsTest, ValidFilesGiveNoErrors) {
  EXPECT_THAT(ValidateMigrations(BuiltinMigrationFiles()), IsEmpty());
}

// --- Versions and names
// -------------------------------------------------------

TEST(IsTimestampVersionTest, FollowsGooseRules) {
  EXPECT_TRUE(IsTimestampVersion(20250321122619));
  EXPECT_TRUE(IsTimestampVersion(19700101000001));
  EXPECT_FALSE(IsTimestampVersion(19700101000000));  // Not after the epoch.
  EXPECT_FALSE(IsTimestampVersion(20251301000000));  // Month 13.
  EXPECT_FALSE(IsTimestampVersion(20250230000000));  // 30 February.
  EXPECT_FALSE(IsTimestampVersion(20250101240000));  // Hour 24.
  EXPECT_FALSE(IsTimestampVersion(2025032112261));   // 13 digits.
  EXPECT_FALSE(IsTimestampVersion(9));
}

TEST(SnakeCaseNameTest, MatchesGoose) {
  EXPECT_EQ(SnakeCaseName("add_wallets"), "add_wallets");
  EXPECT_EQ(SnakeCaseName("Add Wallets"), "add_wallets");
  EXPECT_EQ(SnakeCaseName("add-user--email"), "add_user_email");
  EXPECT_EQ(SnakeCaseName("AddWallets"), "addwallets");
  EXPECT_EQ(SnakeCaseName("  __leading"), "leading");
  EXPECT_EQ(SnakeCaseName("trailing!"), "trailing_");  // As Goose does.
  EXPECT_EQ(SnakeCaseName("trailing!!"), "trailing");
  EXPECT_EQ(SnakeCaseName("!!!"), "");
}

// --- Files on disk ----------------------------------------------------------

class MigrationDirTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = absl::StrCat(::testing::TempDir(), "/migration_dir_test_", getpid(),
                        "_", counter_++);
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  void Write(const std::string& name, absl::string_view contents) {
    std::ofstream(std::filesystem::path(dir_) / name) << contents;
  }
  std::string Read(const std::string& path) {
    std::ifstream in(path);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }
  std::vector<std::string> Names() {
    std::vector<std::string> names;
    for (const auto& e : std::filesystem::directory_iterator(dir_)) {
      names.push_back(e.path().filename().string());
    }
    std::sort(names.begin(), names.end());
    return names;
  }

  static inline int counter_ = 0;
  std::string dir_;
};

TEST_F(MigrationDirTest, ReadsSqlFilesSortedByName) {
  Write("00002_b.sql", "two");
  Write("00001_a.sql", "one");
  Write("README.md", "not a migration");
  std::filesystem::create_directories(std::filesystem::path(dir_) / "x.sql");
  absl::StatusOr<std::vector<MigrationSource>> read = ReadMigrationDir(dir_);
  ASSERT_TRUE(read.ok()) << read.status();
  ASSERT_THAT(*read, SizeIs(2));
  EXPECT_EQ((*read)[0].name, "00001_a.sql");
  EXPECT_EQ((*read)[0].contents, "one");
  EXPECT_EQ((*read)[1].name, "00002_b.sql");
}

TEST_F(MigrationDirTest, MissingDirectoryIsNotFound) {
  EXPECT_EQ(ReadMigrationDir(dir_ + "/nope").status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(LoadMigrationsFromDir(dir_ + "/nope").status().code(),
            absl::StatusCode::kNotFound);
}

TEST_F(MigrationDirTest, UnreadableFileIsInternal) {
  // Reading /proc/self/mem at offset 0 fails (EIO) for any user.
  std::filesystem::create_symlink("/proc/self/mem",
                                  std::filesystem::path(dir_) / "00001_a.sql");
  absl::StatusOr<std::vector<MigrationSource>> read = ReadMigrationDir(dir_);
  EXPECT_EQ(read.status().code(), absl::StatusCode::kInternal);
  EXPECT_THAT(std::string(read.status().message()), HasSubstr("00001_a.sql"));
}

TEST_F(MigrationDirTest, LoadNamesTheFileThatDoesNotParse) {
  Write("00001_a.sql", "-- +goose Up\nSELECT 1;\n");
  Write("00002_b.sql", "-- +goose Up\nSELECT 2\n");
  absl::StatusOr<std::vector<Migration>> ms = LoadMigrationsFromDir(dir_);
  EXPECT_EQ(ms.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(ms.status().message()),
              StartsWith("00002_b.sql:2: "));
}

TEST_F(MigrationDirTest, CreateWritesATimestampedFileWithGooseTemplate) {
  CreateOptions options;
  options.now = absl::FromCivil(absl::CivilSecond(2025, 3, 21, 12, 26, 19),
                                absl::UTCTimeZone());
  absl::StatusOr<std::string> path =
      CreateMigration(dir_, "Add wallets", "sql", options);
  ASSERT_TRUE(path.ok()) << path.status();
  EXPECT_EQ(*path, dir_ + "/20250321122619_add_wallets.sql");
  EXPECT_EQ(Read(*path), NewMigrationTemplate());
  // The same second again: the file exists and is left alone.
  std::ofstream(*path) << "edited";
  EXPECT_EQ(
      CreateMigration(dir_, "add wallets", "sql", options).status().code(),
      absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(Read(*path), "edited");
  // Another name in the same second would repeat the version.
  EXPECT_EQ(CreateMigration(dir_, "other", "sql", options).status().code(),
            absl::StatusCode::kAlreadyExists);
  EXPECT_THAT(Names(), ElementsAre("20250321122619_add_wallets.sql"));
}

TEST_F(MigrationDirTest, CreateSequentialFollowsTheHighestSequentialVersion) {
  Write("00001_a.sql", "");
  Write("00009_b.sql", "");
  Write("20250321122619_ts.sql", "");  // Timestamps do not count.
  Write("notes.sql", "");              // Nor do other names.
  CreateOptions options;
  options.sequential = true;
  absl::StatusOr<std::string> path = CreateMigration(dir_, "c", "sql", options);
  ASSERT_TRUE(path.ok()) << path.status();
  EXPECT_EQ(*path, dir_ + "/00010_c.sql");
}

TEST_F(MigrationDirTest, CreateSequentialInAnEmptyDirectoryStartsAtOne) {
  CreateOptions options;
  options.sequential = true;
  absl::StatusOr<std::string> path =
      CreateMigration(dir_, "init", "sql", options);
  ASSERT_TRUE(path.ok()) << path.status();
  EXPECT_EQ(*path, dir_ + "/00001_init.sql");
}

TEST_F(MigrationDirTest, CreateErrors) {
  EXPECT_EQ(CreateMigration(dir_, "x", "go").status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(CreateMigration(dir_, "!!!", "sql").status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(CreateMigration(dir_ + "/nope", "x", "sql").status().code(),
            absl::StatusCode::kNotFound);
  // A directory no one may create files in.
  EXPECT_EQ(CreateMigration("/proc", "x", "sql").status().code(),
            absl::StatusCode::kInternal);
  EXPECT_THAT(Names(), IsEmpty());
}

TEST_F(MigrationDirTest, FixRenamesTimestampsToSequentialVersions) {
  Write("00001_extension.sql", "");
  Write("00009_sessions.sql", "");
  Write("20250321123506_otp.sql", "otp");
  Write("20250321122619_user_device.sql", "device");
  absl::StatusOr<std::vector<Rename>> renames = FixMigrations(dir_);
  ASSERT_TRUE(renames.ok()) << renames.status();
  ASSERT_THAT(*renames, SizeIs(2));
  EXPECT_EQ((*renames)[0].from, "20250321122619_user_device.sql");
  EXPECT_EQ((*renames)[0].to, "00010_user_device.sql");
  EXPECT_EQ((*renames)[1].from, "20250321123506_otp.sql");
  EXPECT_EQ((*renames)[1].to, "00011_otp.sql");
  EXPECT_THAT(Names(), ElementsAre("00001_extension.sql", "00009_sessions.sql",
                                   "00010_user_device.sql", "00011_otp.sql"));
  EXPECT_EQ(Read(dir_ + "/00011_otp.sql"), "otp");
  // Nothing left to fix.
  renames = FixMigrations(dir_);
  ASSERT_TRUE(renames.ok()) << renames.status();
  EXPECT_THAT(*renames, IsEmpty());
}

TEST_F(MigrationDirTest, FixWithOnlyTimestampsStartsAtOne) {
  Write("20250321123506_otp.sql", "");
  absl::StatusOr<std::vector<Rename>> renames = FixMigrations(dir_);
  ASSERT_TRUE(renames.ok()) << renames.status();
  EXPECT_THAT(Names(), ElementsAre("00001_otp.sql"));
}

TEST_F(MigrationDirTest, FixErrorsRenameNothing) {
  EXPECT_EQ(FixMigrations(dir_ + "/nope").status().code(),
            absl::StatusCode::kNotFound);

  Write("20250321123506_otp.sql", "");
  Write("notes.sql", "");
  EXPECT_EQ(FixMigrations(dir_).status().code(),
            absl::StatusCode::kInvalidArgument);
  std::filesystem::remove(std::filesystem::path(dir_) / "notes.sql");

  Write("0020250321123506_again.sql", "");
  EXPECT_EQ(FixMigrations(dir_).status().code(),
            absl::StatusCode::kInvalidArgument);
  std::filesystem::remove(std::filesystem::path(dir_) /
                          "0020250321123506_again.sql");

  // The new name is taken (by something that is not a migration file).
  std::filesystem::create_directories(std::filesystem::path(dir_) /
                                      "00001_otp.sql");
  EXPECT_EQ(FixMigrations(dir_).status().code(),
            absl::StatusCode::kAlreadyExists);
  EXPECT_THAT(Names(), ElementsAre("00001_otp.sql", "20250321123506_otp.sql"));
}

TEST_F(MigrationDirTest, FixFailingToRenameIsInternal) {
  Write("20250321123506_otp.sql", "");
  // A directory whose entries cannot change: immutable for root, read-only
  // for others.
  const bool root = geteuid() == 0;
  const int fd = open(dir_.c_str(), O_RDONLY | O_DIRECTORY);
  ASSERT_GE(fd, 0);
  int flags = 0;
  if (root) {
    ASSERT_EQ(ioctl(fd, FS_IOC_GETFLAGS, &flags), 0);
    const int immutable = flags | FS_IMMUTABLE_FL;
    ASSERT_EQ(ioctl(fd, FS_IOC_SETFLAGS, &immutable), 0);
  } else {
    ASSERT_EQ(chmod(dir_.c_str(), 0555), 0);
  }
  absl::Cleanup restore = [&] {
    if (root) {
      ioctl(fd, FS_IOC_SETFLAGS, &flags);
    } else {
      chmod(dir_.c_str(), 0755);
    }
    close(fd);
  };
  absl::StatusOr<std::vector<Rename>> renames = FixMigrations(dir_);
  EXPECT_EQ(renames.status().code(), absl::StatusCode::kInternal);
  EXPECT_THAT(std::string(renames.status().message()),
              HasSubstr("0 of 1 files renamed"));
}

}  // namespace
}  // namespace defifundr::db::migrate

namespace defifundr::db::migrate {
namespace {

TEST(ConcurrentIndexNameTest, NamesTheIndexOfEveryForm) {
  EXPECT_EQ(ConcurrentIndexName("CREATE INDEX CONCURRENTLY a_idx ON t (c)"),
            "a_idx");
  EXPECT_EQ(ConcurrentIndexName(
                "create unique index concurrently if not exists b_key\n"
                "  on t (lower(c)) where not d"),
            "b_key");
  EXPECT_EQ(ConcurrentIndexName("-- builds it\n/* online */ CREATE INDEX "
                                "CONCURRENTLY \"Q x\" ON t (c)"),
            std::nullopt);  // A quoted name with a space is not one word.
  EXPECT_EQ(ConcurrentIndexName("-- builds it\nCREATE INDEX CONCURRENTLY "
                                "s.c_idx ON t (c)"),
            "s.c_idx");
}

TEST(ConcurrentIndexNameTest, OtherStatementsHaveNone) {
  for (absl::string_view sql : {
           "CREATE INDEX a_idx ON t (c)",
           "CREATE INDEX CONCURRENTLY ON t (c)",
           "DROP INDEX CONCURRENTLY IF EXISTS a_idx",
           "CREATE INDEX CONCURRENTLY IF a_idx ON t (c)",
           "SELECT 'CREATE INDEX CONCURRENTLY a ON t (c)'",
           "",
       }) {
    EXPECT_EQ(ConcurrentIndexName(sql), std::nullopt) << sql;
  }
}

}  // namespace
}  // namespace defifundr::db::migrate
