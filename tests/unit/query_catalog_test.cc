// Unit tests of db/query_catalog.h: header parsing and `@name` rewriting.
#include "db/query_catalog.h"

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "db/embedded_file.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace defifundr::db {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::StartsWith;

// Rewrites `sql` and returns the result with the parameter names.
struct Rewritten {
  std::string sql;
  std::vector<std::string> params;
};

Rewritten Rewrite(absl::string_view sql) {
  Rewritten out;
  out.sql = QueryCatalog::RewriteParams(sql, &out.params);
  return out;
}

absl::StatusOr<QueryCatalog> ParseOne(absl::string_view name,
                                      absl::string_view contents) {
  const EmbeddedFile files[] = {{name, contents}};
  return QueryCatalog::Parse(files);
}

TEST(RewriteParamsTest, NumbersParamsInOrderOfFirstAppearance) {
  const Rewritten r = Rewrite(
      "SELECT * FROM users WHERE id = @id AND email = @email OR id = @id");
  EXPECT_EQ(r.sql,
            "SELECT * FROM users WHERE id = $1 AND email = $2 OR id = $1");
  EXPECT_THAT(r.params, ElementsAre("id", "email"));
}

TEST(RewriteParamsTest, KeepsCastsAfterParams) {
  const Rewritten r = Rewrite("SELECT @id::uuid, @mask::text[], @n_2+1");
  EXPECT_EQ(r.sql, "SELECT $1::uuid, $2::text[], $3+1");
  EXPECT_THAT(r.params, ElementsAre("id", "mask", "n_2"));
}

TEST(RewriteParamsTest, AppendsToExistingParams) {
  std::vector<std::string> params = {"first"};
  const std::string sql =
      QueryCatalog::RewriteParams("@second, @first", &params);
  // Names already in the list keep their numbers.
  EXPECT_EQ(sql, "$2, $1");
  EXPECT_THAT(params, ElementsAre("first", "second"));
}

TEST(RewriteParamsTest, SkipsStringLiterals) {
  const Rewritten r =
      Rewrite("SELECT 'a@b.com', 'it''s @x', @y WHERE e = 'x@y'");
  EXPECT_EQ(r.sql, "SELECT 'a@b.com', 'it''s @x', $1 WHERE e = 'x@y'");
  EXPECT_THAT(r.params, ElementsAre("y"));
}

TEST(RewriteParamsTest, SkipsQuotedIdentifiers) {
  const Rewritten r = Rewrite(R"(SELECT "@col", "a""@b" FROM t WHERE x = @x)");
  EXPECT_EQ(r.sql, R"(SELECT "@col", "a""@b" FROM t WHERE x = $1)");
  EXPECT_THAT(r.params, ElementsAre("x"));
}

TEST(RewriteParamsTest, SkipsLineComments) {
  const Rewritten r = Rewrite("-- uses @ignored\nSELECT @a -- and @b\n, @c");
  EXPECT_EQ(r.sql, "-- uses @ignored\nSELECT $1 -- and @b\n, $2");
  EXPECT_THAT(r.params, ElementsAre("a", "c"));
}

TEST(RewriteParamsTest, SkipsBlockComments) {
  const Rewritten r = Rewrite("SELECT /* @x\n @y */ @z");
  EXPECT_EQ(r.sql, "SELECT /* @x\n @y */ $1");
  EXPECT_THAT(r.params, ElementsAre("z"));
}

TEST(RewriteParamsTest, SkipsNestedBlockComments) {
  // PostgreSQL block comments nest: the comment ends at the second `*/`.
  const Rewritten r = Rewrite("SELECT /* a /* b */ @x */ @y");
  EXPECT_EQ(r.sql, "SELECT /* a /* b */ @x */ $1");
  EXPECT_THAT(r.params, ElementsAre("y"));
}

TEST(RewriteParamsTest, SkipsDollarQuotedStrings) {
  const Rewritten r =
      Rewrite("SELECT $$ @a $$, $fn$ '@b' $fn$, $x$ $$ @c $x$, @d");
  EXPECT_EQ(r.sql, "SELECT $$ @a $$, $fn$ '@b' $fn$, $x$ $$ @c $x$, $1");
  EXPECT_THAT(r.params, ElementsAre("d"));
}

TEST(RewriteParamsTest, LeavesPositionalPlaceholdersAlone) {
  // `$1` is not a dollar quote; it is copied as is.
  const Rewritten r = Rewrite("SELECT $1::int, $2 '@a'");
  EXPECT_EQ(r.sql, "SELECT $1::int, $2 '@a'");
  EXPECT_THAT(r.params, IsEmpty());
}

TEST(RewriteParamsTest, IgnoresAtOperators) {
  const Rewritten r = Rewrite("SELECT tags @> ARRAY['x'], @ -5, a @@ q");
  EXPECT_EQ(r.sql, "SELECT tags @> ARRAY['x'], @ -5, a @@ q");
  EXPECT_THAT(r.params, IsEmpty());
}

TEST(RewriteParamsTest, SkipsEscapeStringLiteralsWithBackslashQuote) {
  // In an E'...' literal, \' is a quote inside the string, not its end.
  const Rewritten r = Rewrite(R"(SELECT E'it\'s @x', @y)");
  EXPECT_EQ(r.sql, R"(SELECT E'it\'s @x', $1)");
  EXPECT_THAT(r.params, ElementsAre("y"));
}

TEST(RewriteParamsTest, EmptyInput) {
  const Rewritten r = Rewrite("");
  EXPECT_EQ(r.sql, "");
  EXPECT_THAT(r.params, IsEmpty());
}

TEST(QueryCatalogParseTest, ParsesEveryCardinality) {
  constexpr absl::string_view kFile =
      "-- Leading comments are allowed.\n"
      "\n"
      "-- name: GetUser :one\n"
      "SELECT id, email\n"
      "FROM users\n"
      "WHERE id = @id;\n"
      "\n"
      "-- name: ListUsers :many\n"
      "SELECT id FROM users WHERE created_at < @after LIMIT @limit;\n"
      "-- name: TouchUser :exec\n"
      "UPDATE users SET updated_at = now() WHERE id = @id;\n"
      "-- name: DeleteUser :execrows\n"
      "DELETE FROM users WHERE id = @id;\n";
  absl::StatusOr<QueryCatalog> catalog = ParseOne("users.sql", kFile);
  ASSERT_TRUE(catalog.ok()) << catalog.status();
  ASSERT_EQ(catalog->statements().size(), 4u);

  const Statement* get = catalog->Find("GetUser");
  ASSERT_NE(get, nullptr);
  EXPECT_EQ(get->name, "GetUser");
  EXPECT_EQ(get->cardinality, Cardinality::kOne);
  EXPECT_EQ(get->sql, "SELECT id, email\nFROM users\nWHERE id = $1");
  EXPECT_THAT(get->params, ElementsAre("id"));
  EXPECT_EQ(get->file, "users.sql");
  EXPECT_EQ(get->line, 3);

  const Statement* list = catalog->Find("ListUsers");
  ASSERT_NE(list, nullptr);
  EXPECT_EQ(list->cardinality, Cardinality::kMany);
  EXPECT_EQ(list->sql, "SELECT id FROM users WHERE created_at < $1 LIMIT $2");
  EXPECT_THAT(list->params, ElementsAre("after", "limit"));
  EXPECT_EQ(list->line, 8);

  const Statement* touch = catalog->Find("TouchUser");
  ASSERT_NE(touch, nullptr);
  EXPECT_EQ(touch->cardinality, Cardinality::kExec);
  EXPECT_EQ(touch->line, 10);

  const Statement* del = catalog->Find("DeleteUser");
  ASSERT_NE(del, nullptr);
  EXPECT_EQ(del->cardinality, Cardinality::kExecRows);
  EXPECT_EQ(del->sql, "DELETE FROM users WHERE id = $1");
  EXPECT_EQ(del->line, 12);

  // Statements keep file order.
  EXPECT_EQ(catalog->statements()[0].name, "GetUser");
  EXPECT_EQ(catalog->statements()[3].name, "DeleteUser");
}

TEST(QueryCatalogParseTest, ParamsInCommentsOfTheBodyAreNotParams) {
  absl::StatusOr<QueryCatalog> catalog =
      ParseOne("q.sql",
               "-- name: Update :one\n"
               "-- Only the columns named in @update_mask change.\n"
               "UPDATE t SET a = @a WHERE id = @id RETURNING id;\n");
  ASSERT_TRUE(catalog.ok()) << catalog.status();
  const Statement* st = catalog->Find("Update");
  ASSERT_NE(st, nullptr);
  EXPECT_THAT(st->params, ElementsAre("a", "id"));
}

TEST(QueryCatalogParseTest, FindUnknownNameIsNull) {
  absl::StatusOr<QueryCatalog> catalog =
      ParseOne("q.sql", "-- name: A :one\nSELECT 1;\n");
  ASSERT_TRUE(catalog.ok()) << catalog.status();
  EXPECT_NE(catalog->Find("A"), nullptr);
  EXPECT_EQ(catalog->Find("B"), nullptr);
  EXPECT_EQ(catalog->Find("a"), nullptr);
}

TEST(QueryCatalogParseTest, SeveralFiles) {
  const EmbeddedFile files[] = {
      {"a.sql", "-- name: A :one\nSELECT 1;\n"},
      {"b.sql", "\n-- name: B :many\nSELECT 2;\n"},
  };
  absl::StatusOr<QueryCatalog> catalog = QueryCatalog::Parse(files);
  ASSERT_TRUE(catalog.ok()) << catalog.status();
  ASSERT_NE(catalog->Find("B"), nullptr);
  EXPECT_EQ(catalog->Find("B")->file, "b.sql");
  EXPECT_EQ(catalog->Find("B")->line, 2);
  EXPECT_EQ(catalog->Find("A")->sql, "SELECT 1");
}

TEST(QueryCatalogParseTest, HeaderWithoutKindIsInvalid) {
  absl::StatusOr<QueryCatalog> catalog =
      ParseOne("q.sql", "-- name: A :one\nSELECT 1;\n-- name: B\nSELECT 2;\n");
  ASSERT_FALSE(catalog.ok());
  EXPECT_EQ(catalog.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(catalog.status().message()), StartsWith("q.sql:3: "));
}

TEST(QueryCatalogParseTest, HeaderWithExtraWordsIsInvalid) {
  absl::StatusOr<QueryCatalog> catalog =
      ParseOne("q.sql", "-- name: A :one extra\nSELECT 1;\n");
  ASSERT_FALSE(catalog.ok());
  EXPECT_EQ(catalog.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(catalog.status().message()), StartsWith("q.sql:1: "));
}

TEST(QueryCatalogParseTest, UnknownKindIsInvalid) {
  absl::StatusOr<QueryCatalog> catalog =
      ParseOne("q.sql", "\n\n-- name: A :single\nSELECT 1;\n");
  ASSERT_FALSE(catalog.ok());
  EXPECT_EQ(catalog.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(catalog.status().message()), StartsWith("q.sql:3: "));
  EXPECT_THAT(std::string(catalog.status().message()), HasSubstr(":single"));
}

TEST(QueryCatalogParseTest, EmptyStatementIsInvalid) {
  absl::StatusOr<QueryCatalog> catalog =
      ParseOne("q.sql", "-- name: A :one\n\n  \n-- name: B :exec\nSELECT 1;\n");
  ASSERT_FALSE(catalog.ok());
  EXPECT_EQ(catalog.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(catalog.status().message()), StartsWith("q.sql:1: "));
}

TEST(QueryCatalogParseTest, LoneSemicolonIsAnEmptyStatement) {
  absl::StatusOr<QueryCatalog> catalog =
      ParseOne("q.sql", "-- name: A :one\nSELECT 1;\n-- name: B :exec\n ;\n");
  ASSERT_FALSE(catalog.ok());
  EXPECT_EQ(catalog.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(catalog.status().message()), StartsWith("q.sql:3: "));
}

TEST(QueryCatalogParseTest, EmptyLastStatementIsInvalid) {
  absl::StatusOr<QueryCatalog> catalog =
      ParseOne("q.sql", "-- name: A :one\nSELECT 1;\n-- name: B :exec\n");
  ASSERT_FALSE(catalog.ok());
  EXPECT_EQ(catalog.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(catalog.status().message()), StartsWith("q.sql:3: "));
}

TEST(QueryCatalogParseTest, DuplicateNameAcrossFilesIsInvalid) {
  const EmbeddedFile files[] = {
      {"a.sql", "-- name: GetUser :one\nSELECT 1;\n"},
      {"b.sql",
       "-- name: Other :one\nSELECT 2;\n"
       "-- name: GetUser :many\nSELECT 3;\n"},
  };
  absl::StatusOr<QueryCatalog> catalog = QueryCatalog::Parse(files);
  ASSERT_FALSE(catalog.ok());
  EXPECT_EQ(catalog.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(catalog.status().message()), StartsWith("b.sql:3: "));
  EXPECT_THAT(std::string(catalog.status().message()), HasSubstr("GetUser"));
}

TEST(QueryCatalogParseTest, SqlBeforeFirstHeaderIsInvalid) {
  absl::StatusOr<QueryCatalog> catalog = ParseOne(
      "q.sql", "-- a comment\nSELECT 0;\n-- name: A :one\nSELECT 1;\n");
  ASSERT_FALSE(catalog.ok());
  EXPECT_EQ(catalog.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(catalog.status().message()), StartsWith("q.sql:2: "));
}

TEST(QueryCatalogParseTest, NoFilesIsAnEmptyCatalog) {
  absl::StatusOr<QueryCatalog> catalog = QueryCatalog::Parse({});
  ASSERT_TRUE(catalog.ok()) << catalog.status();
  EXPECT_THAT(catalog->statements(), IsEmpty());
}

TEST(QueryCatalogBuiltinTest, HoldsTheStatementsSchemaLoadNeeds) {
  const QueryCatalog& catalog = QueryCatalog::Builtin();
  EXPECT_NE(catalog.Find("ListColumns"), nullptr);
  EXPECT_NE(catalog.Find("ListEnumTypes"), nullptr);
  const Statement* get = catalog.Find("GetUser");
  ASSERT_NE(get, nullptr);
  EXPECT_EQ(get->cardinality, Cardinality::kOne);
  EXPECT_EQ(get->file, "users.sql");
  EXPECT_THAT(get->params, ElementsAre("id"));
  for (const Statement& st : catalog.statements()) {
    EXPECT_FALSE(st.sql.empty()) << st.name;
    EXPECT_GT(st.line, 0) << st.name;
  }
}

}  // namespace
}  // namespace defifundr::db

namespace defifundr::db {
namespace {

// Which statements a hot standby may run (read routing to a replica).
TEST(IsReadOnlySqlTest, APlainSelectIsReadOnlyAndAnythingThatWritesIsNot) {
  EXPECT_TRUE(IsReadOnlySql("SELECT * FROM users WHERE id = $1"));
  EXPECT_TRUE(IsReadOnlySql("  -- a comment\n-- another\nselect 1"));
  EXPECT_TRUE(IsReadOnlySql("SELECT count(*) FROM users"));
  EXPECT_FALSE(IsReadOnlySql("SELECT * FROM users WHERE id = $1 FOR UPDATE"));
  EXPECT_FALSE(IsReadOnlySql("SELECT 1 FROM users FOR NO KEY UPDATE"));
  EXPECT_FALSE(IsReadOnlySql("SELECT 1 FROM users for share"));
  EXPECT_FALSE(IsReadOnlySql("SELECT 1 FROM users FOR KEY SHARE"));
  EXPECT_FALSE(IsReadOnlySql("SELECT nextval('s')"));
  EXPECT_FALSE(IsReadOnlySql("INSERT INTO users (id) VALUES ($1) RETURNING *"));
  EXPECT_FALSE(IsReadOnlySql("UPDATE users SET x = 1 RETURNING *"));
  EXPECT_FALSE(IsReadOnlySql("DELETE FROM users"));
  EXPECT_FALSE(IsReadOnlySql("WITH x AS (DELETE FROM users RETURNING *) "
                             "SELECT * FROM x"));
  EXPECT_FALSE(IsReadOnlySql("SELECTED"));
  EXPECT_FALSE(IsReadOnlySql(""));
}

// The service's own queries are classified as their SQL says.
TEST(IsReadOnlySqlTest, TheBuiltinQueriesAreClassified) {
  const QueryCatalog& catalog = QueryCatalog::Builtin();
  for (const char* read : {"GetUser", "ListUsers", "CountUsers",
                           "GetUserByEmail", "ReplicaCaughtUp"}) {
    ASSERT_NE(catalog.Find(read), nullptr) << read;
    EXPECT_TRUE(catalog.Find(read)->read_only) << read;
  }
  for (const char* write : {"CreateUser", "UpdateUser", "DeleteUser"}) {
    ASSERT_NE(catalog.Find(write), nullptr) << write;
    EXPECT_FALSE(catalog.Find(write)->read_only) << write;
  }
}

}  // namespace
}  // namespace defifundr::db
