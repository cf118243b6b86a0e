// Unit tests of server/schema.h Vet() with a hand-built Schema.
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "db/embedded_file.h"
#include "db/pg/result.h"
#include "db/query_catalog.h"
#include "defifundr/data/v1/otp.pb.h"
#include "defifundr/data/v1/users.pb.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/schema.h"

namespace defifundr::server {
namespace {

using ::defifundr::data::v1::DeleteUserRequest;
using ::defifundr::data::v1::GetUserRequest;
using ::defifundr::data::v1::ListUsersRequest;
using ::defifundr::data::v1::Otp;
using ::defifundr::data::v1::User;
using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr Oid kUsersTable = 16400;

constexpr absl::string_view kQueries =
    "-- name: GetUser :one\n"                                            // 1
    "SELECT id, email, profile_picture FROM users WHERE id = @id;\n"     // 2
    "\n"                                                                 // 3
    "-- name: DeleteUser :execrows\n"                                    // 4
    "DELETE FROM users WHERE id = @id;\n"                                // 5
    "\n"                                                                 // 6
    "-- name: ListUsers :many\n"                                         // 7
    "SELECT id, created_at FROM users\n"                                 // 8
    "WHERE account_type = @account_type AND created_at < @after_time\n"  // 9
    "LIMIT @page_limit;\n";                                              // 10

// A query of this test's own catalog (kQueries), not of db/queries.
db::QueryName Q(absl::string_view name) {
  return db::QueryName(db::QueryName::Generated{}, name);
}

db::QueryCatalog Catalog() {
  const db::EmbeddedFile files[] = {{"users.sql", kQueries}};
  absl::StatusOr<db::QueryCatalog> catalog = db::QueryCatalog::Parse(files);
  EXPECT_TRUE(catalog.ok()) << catalog.status();
  return *std::move(catalog);
}

// An expression column (no source table): nullability unknown, not vetted.
ResultColumn Expr(absl::string_view name, Oid type) {
  return ResultColumn{std::string(name), type, 0, 0};
}

// A column of the users table; a hand-built Schema knows no NOT NULL
// columns, so every table column counts as nullable.
ResultColumn TableColumn(absl::string_view name, Oid type, int attnum) {
  return ResultColumn{std::string(name), type, kUsersTable, attnum};
}

StatementInfo GoodGetUser() {
  StatementInfo info;
  info.param_types = {db::pg::kUuidOid};
  info.columns = {Expr("id", db::pg::kUuidOid),
                  Expr("email", db::pg::kVarcharOid),
                  TableColumn("profile_picture", db::pg::kVarcharOid, 4)};
  return info;
}

StatementInfo GoodDeleteUser() {
  StatementInfo info;
  info.param_types = {db::pg::kUuidOid};
  return info;
}

StatementInfo GoodListUsers() {
  StatementInfo info;
  info.param_types = {db::pg::kVarcharOid, db::pg::kTimestamptzOid,
                      db::pg::kInt4Oid};
  info.columns = {Expr("id", db::pg::kUuidOid),
                  Expr("created_at", db::pg::kTimestamptzOid)};
  return info;
}

Schema MakeSchema(StatementInfo get_user, StatementInfo delete_user,
                  StatementInfo list_users) {
  absl::flat_hash_map<std::string, StatementInfo> statements;
  statements["GetUser"] = std::move(get_user);
  statements["DeleteUser"] = std::move(delete_user);
  statements["ListUsers"] = std::move(list_users);
  return Schema(std::move(statements), {});
}

Binding GetUserBinding() {
  return Binding{
      Q("GetUser"), User::descriptor(), {GetUserRequest::descriptor()}, {}};
}

Binding DeleteUserBinding() {
  return Binding{Q("DeleteUser"), nullptr, {DeleteUserRequest::descriptor()}, {}};
}

Binding ListUsersBinding() {
  return Binding{Q("ListUsers"),
                 User::descriptor(),
                 {ListUsersRequest::descriptor()},
                 {"after_time", "page_limit"}};
}

// Vets `binding` with the good bindings of the catalog's other queries
// (every query needs one).
absl::Status VetOne(const Schema& schema, const Binding& binding) {
  const db::QueryCatalog catalog = Catalog();
  std::vector<Binding> bindings;
  for (Binding b : {GetUserBinding(), DeleteUserBinding(), ListUsersBinding()}) {
    if (b.statement != binding.statement) bindings.push_back(std::move(b));
  }
  bindings.push_back(binding);
  return Vet(schema, catalog, bindings).status();
}

TEST(VetTest, MatchingBindingsPass) {
  const Schema schema =
      MakeSchema(GoodGetUser(), GoodDeleteUser(), GoodListUsers());
  const db::QueryCatalog catalog = Catalog();
  const Binding bindings[] = {GetUserBinding(), DeleteUserBinding(),
                              ListUsersBinding()};
  const absl::StatusOr<int> checked = Vet(schema, catalog, bindings);
  ASSERT_TRUE(checked.ok()) << checked.status();
  EXPECT_EQ(*checked, 3);
}

// A named query no method declares would go unchecked: vet names it.
TEST(VetTest, AQueryWithoutABindingIsInvalid) {
  const Schema schema =
      MakeSchema(GoodGetUser(), GoodDeleteUser(), GoodListUsers());
  const db::QueryCatalog catalog = Catalog();
  const Binding bindings[] = {GetUserBinding(), ListUsersBinding()};
  const absl::Status s = Vet(schema, catalog, bindings).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(s.message()),
              AllOf(HasSubstr("query DeleteUser (users.sql:4): no method "
                              "declares it"),
                    Not(HasSubstr("GetUser"))));
}

// Queries the service reads column by column: the columns it reads must be
// exactly those returned.
TEST(VetTest, AnInternalQueryMustReturnExactlyTheColumnsRead) {
  const Schema schema =
      MakeSchema(GoodGetUser(), GoodDeleteUser(), GoodListUsers());
  Binding get_user{Q("GetUser"), nullptr, {GetUserRequest::descriptor()}, {},
                   {"id", "email", "profile_picture"}};
  EXPECT_TRUE(VetOne(schema, get_user).ok());
  get_user.extra_columns = {"id", "email", "phone"};
  const absl::Status s = VetOne(schema, get_user);
  EXPECT_THAT(std::string(s.message()),
              AllOf(HasSubstr("returns no column phone"),
                    HasSubstr("column profile_picture is read by nobody")));
}

TEST(VetTest, ResultColumnWithoutFieldIsInvalid) {
  StatementInfo info = GoodGetUser();
  info.columns.push_back(Expr("password_hash", db::pg::kVarcharOid));
  const Schema schema = MakeSchema(info, GoodDeleteUser(), GoodListUsers());
  const absl::Status s = VetOne(schema, GetUserBinding());
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(s.message()),
              AllOf(HasSubstr("GetUser"), HasSubstr("users.sql:1"),
                    HasSubstr("password_hash")));
}

TEST(VetTest, NullableColumnIntoFieldWithoutPresenceIsInvalid) {
  StatementInfo info = GoodGetUser();
  info.columns[1] = TableColumn("email", db::pg::kVarcharOid, 3);
  const Schema schema = MakeSchema(info, GoodDeleteUser(), GoodListUsers());
  const absl::Status s = VetOne(schema, GetUserBinding());
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(s.message()),
              AllOf(HasSubstr("GetUser"), HasSubstr("email"),
                    HasSubstr("nullable"), Not(HasSubstr("profile_picture"))));
}

TEST(VetTest, NullableColumnIntoOptionalFieldPasses) {
  // profile_picture is a table column (nullable) into `optional string`.
  const Schema schema =
      MakeSchema(GoodGetUser(), GoodDeleteUser(), GoodListUsers());
  const absl::Status s = VetOne(schema, GetUserBinding());
  EXPECT_TRUE(s.ok()) << s;
}

TEST(VetTest, ColumnTypeThatDoesNotFitIsInvalid) {
  StatementInfo info = GoodGetUser();
  info.columns[1] = Expr("email", db::pg::kInt4Oid);
  const Schema schema = MakeSchema(info, GoodDeleteUser(), GoodListUsers());
  const absl::Status s = VetOne(schema, GetUserBinding());
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(s.message()),
              AllOf(HasSubstr("GetUser"), HasSubstr("email")));
}

TEST(VetTest, TimestampWithoutTimeZoneDoesNotFitTimestamp) {
  StatementInfo info = GoodListUsers();
  info.columns[1] = Expr("created_at", db::pg::kTimestampOid);
  const Schema schema = MakeSchema(GoodGetUser(), GoodDeleteUser(), info);
  const absl::Status s = VetOne(schema, ListUsersBinding());
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(s.message()),
              AllOf(HasSubstr("ListUsers"), HasSubstr("created_at")));
}

TEST(VetTest, ParameterWithoutSourceIsInvalid) {
  const Schema schema =
      MakeSchema(GoodGetUser(), GoodDeleteUser(), GoodListUsers());
  Binding binding = GetUserBinding();
  binding.sources = {Otp::descriptor()};  // Otp has an id, GetUser's source.
  EXPECT_TRUE(VetOne(schema, binding).ok());
  binding.sources = {ListUsersRequest::descriptor()};  // No `id` field.
  const absl::Status s = VetOne(schema, binding);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(s.message()),
              AllOf(HasSubstr("GetUser"), HasSubstr("@id")));
}

TEST(VetTest, ServerSuppliedParametersNeedExtras) {
  const Schema schema =
      MakeSchema(GoodGetUser(), GoodDeleteUser(), GoodListUsers());
  Binding binding = ListUsersBinding();
  binding.extras = {"after_time"};
  const absl::Status s = VetOne(schema, binding);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(
      std::string(s.message()),
      AllOf(HasSubstr("ListUsers"), HasSubstr("@page_limit"),
            Not(HasSubstr("@after_time")), Not(HasSubstr("@account_type"))));
}

TEST(VetTest, UnknownStatementIsInvalid) {
  const Schema schema =
      MakeSchema(GoodGetUser(), GoodDeleteUser(), GoodListUsers());
  const absl::Status s =
      VetOne(schema, Binding{Q("GetNobody"), User::descriptor(), {}, {}});
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(s.message()), HasSubstr("GetNobody"));
}

TEST(VetTest, StatementMissingFromSchemaIsInvalid) {
  absl::flat_hash_map<std::string, StatementInfo> statements;
  statements["GetUser"] = GoodGetUser();
  const Schema schema(std::move(statements), {});
  const absl::Status s = VetOne(schema, DeleteUserBinding());
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(s.message()), HasSubstr("DeleteUser"));
}

TEST(VetTest, RowsWithoutResultMessageAreInvalid) {
  StatementInfo info = GoodDeleteUser();
  info.columns = {Expr("id", db::pg::kUuidOid)};  // DELETE ... RETURNING id
  const Schema schema = MakeSchema(GoodGetUser(), info, GoodListUsers());
  const absl::Status s = VetOne(schema, DeleteUserBinding());
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(s.message()), HasSubstr("DeleteUser"));
}

TEST(VetTest, ListsEveryMismatch) {
  StatementInfo get_user = GoodGetUser();
  get_user.columns.push_back(Expr("password_hash", db::pg::kVarcharOid));
  StatementInfo list_users = GoodListUsers();
  list_users.columns.push_back(Expr("secret_column", db::pg::kTextOid));
  const Schema schema = MakeSchema(get_user, GoodDeleteUser(), list_users);
  const db::QueryCatalog catalog = Catalog();
  const Binding bindings[] = {GetUserBinding(), DeleteUserBinding(),
                              ListUsersBinding()};
  const absl::Status s = Vet(schema, catalog, bindings).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(s.message()),
              AllOf(HasSubstr("GetUser"), HasSubstr("password_hash"),
                    HasSubstr("ListUsers"), HasSubstr("users.sql:7"),
                    HasSubstr("secret_column"), Not(HasSubstr("DeleteUser"))));
}

}  // namespace
}  // namespace defifundr::server
