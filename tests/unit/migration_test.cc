// Unit tests of db/migrate/migration.h: Goose file parsing.
#include "db/migrate/migration.h"

#include <stdlib.h>

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "db/embedded_file.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace defifundr::db::migrate {
namespace {

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

}  // namespace
}  // namespace defifundr::db::migrate
