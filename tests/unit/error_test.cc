// Unit tests of db/pg/error.h: SQLSTATE classification.
#include "db/pg/error.h"

#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace defifundr::db::pg {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::Optional;

struct CodeCase {
  const char* sqlstate;
  absl::StatusCode code;
};

class StatusFromReportCodeTest : public ::testing::TestWithParam<CodeCase> {};

TEST_P(StatusFromReportCodeTest, MapsSqlStateToCode) {
  ErrorReport report;
  report.sqlstate = GetParam().sqlstate;
  report.message = "some failure";
  const absl::Status s = StatusFromReport(report);
  EXPECT_EQ(s.code(), GetParam().code) << "SQLSTATE " << report.sqlstate;
  EXPECT_THAT(SqlStateOf(s), Optional(std::string(GetParam().sqlstate)));
}

INSTANTIATE_TEST_SUITE_P(
    Table, StatusFromReportCodeTest,
    ::testing::Values(
        // Connection-level and server availability.
        CodeCase{"", absl::StatusCode::kUnavailable},
        CodeCase{"08000", absl::StatusCode::kUnavailable},
        CodeCase{"08006", absl::StatusCode::kUnavailable},
        CodeCase{"08P01", absl::StatusCode::kUnavailable},
        CodeCase{"53000", absl::StatusCode::kUnavailable},
        CodeCase{"53300", absl::StatusCode::kUnavailable},
        CodeCase{"57P01", absl::StatusCode::kUnavailable},
        CodeCase{"57P02", absl::StatusCode::kUnavailable},
        CodeCase{"57P03", absl::StatusCode::kUnavailable},
        // Integrity constraints.
        CodeCase{"23505", absl::StatusCode::kAlreadyExists},
        CodeCase{"23P01", absl::StatusCode::kAlreadyExists},
        CodeCase{"23503", absl::StatusCode::kFailedPrecondition},
        CodeCase{"23502", absl::StatusCode::kInvalidArgument},
        CodeCase{"23514", absl::StatusCode::kInvalidArgument},
        CodeCase{"54000", absl::StatusCode::kInvalidArgument},
        CodeCase{"23000", absl::StatusCode::kFailedPrecondition},
        CodeCase{"23001", absl::StatusCode::kFailedPrecondition},
        CodeCase{"54001", absl::StatusCode::kInvalidArgument},
        CodeCase{"54011", absl::StatusCode::kInternal},
        // Data exceptions.
        CodeCase{"22000", absl::StatusCode::kInvalidArgument},
        CodeCase{"22001", absl::StatusCode::kInvalidArgument},
        CodeCase{"22003", absl::StatusCode::kInvalidArgument},
        CodeCase{"22P02", absl::StatusCode::kInvalidArgument},
        CodeCase{"22007", absl::StatusCode::kInvalidArgument},
        // Transaction rollback and locks.
        CodeCase{"40001", absl::StatusCode::kAborted},
        CodeCase{"40P01", absl::StatusCode::kAborted},
        CodeCase{"55P03", absl::StatusCode::kAborted},
        CodeCase{"72000", absl::StatusCode::kAborted},
        CodeCase{"40000", absl::StatusCode::kInternal},
        CodeCase{"55000", absl::StatusCode::kInternal},
        // Another attempt may succeed: a standby after a failover, timeouts,
        // I/O, unknown completion, authorization and database changes.
        CodeCase{"25006", absl::StatusCode::kUnavailable},
        CodeCase{"25P03", absl::StatusCode::kUnavailable},
        CodeCase{"40003", absl::StatusCode::kUnavailable},
        CodeCase{"58030", absl::StatusCode::kUnavailable},
        CodeCase{"28P01", absl::StatusCode::kUnavailable},
        CodeCase{"3D000", absl::StatusCode::kUnavailable},
        CodeCase{"25P02", absl::StatusCode::kInternal},
        // Corruption.
        CodeCase{"XX001", absl::StatusCode::kDataLoss},
        CodeCase{"XX002", absl::StatusCode::kDataLoss},
        // Cancellation (statement_timeout).
        CodeCase{"57014", absl::StatusCode::kDeadlineExceeded},
        CodeCase{"57000", absl::StatusCode::kInternal},
        CodeCase{"57P04", absl::StatusCode::kUnavailable},
        CodeCase{"57P05", absl::StatusCode::kUnavailable},
        // Everything else.
        CodeCase{"42601", absl::StatusCode::kInternal},
        CodeCase{"42P01", absl::StatusCode::kInternal},
        CodeCase{"42501", absl::StatusCode::kInternal},
        CodeCase{"0A000", absl::StatusCode::kInternal},
        CodeCase{"21000", absl::StatusCode::kInternal},
        CodeCase{"42703", absl::StatusCode::kInternal},
        CodeCase{"XX000", absl::StatusCode::kInternal},
        CodeCase{"P0001", absl::StatusCode::kInternal}));

TEST(SqlStateOfTest, NulloptForOtherStatuses) {
  EXPECT_EQ(SqlStateOf(absl::OkStatus()), std::nullopt);
  EXPECT_EQ(SqlStateOf(absl::InternalError("x")), std::nullopt);
  EXPECT_EQ(SqlStateOf(absl::AlreadyExistsError("x")), std::nullopt);
}

TEST(KeyColumnsFromDetailTest, SingleColumn) {
  EXPECT_EQ(KeyColumnsFromDetail("Key (email)=(a@example.com) already exists."),
            "email");
}

TEST(KeyColumnsFromDetailTest, SeveralColumns) {
  EXPECT_EQ(KeyColumnsFromDetail(
                "Key (user_id, purpose)=(0b6f, email_verification) already "
                "exists."),
            "user_id, purpose");
}

TEST(KeyColumnsFromDetailTest, ExpressionColumn) {
  EXPECT_EQ(KeyColumnsFromDetail(
                "Key (lower(email::text))=(a@example.com) already exists."),
            "lower(email::text)");
}

TEST(KeyColumnsFromDetailTest, ForeignKeyShapes) {
  EXPECT_EQ(KeyColumnsFromDetail(
                "Key (user_id)=(0b6f) is not present in table \"users\"."),
            "user_id");
  EXPECT_EQ(KeyColumnsFromDetail(
                "Key (id)=(0b6f) is still referenced from table \"otp\"."),
            "id");
}

TEST(KeyColumnsFromDetailTest, OtherShapesAreEmpty) {
  EXPECT_EQ(KeyColumnsFromDetail(""), "");
  EXPECT_EQ(KeyColumnsFromDetail("Failing row contains (1, secret)."), "");
  EXPECT_EQ(KeyColumnsFromDetail("Key (email) without values"), "");
  EXPECT_EQ(KeyColumnsFromDetail(" Key (a)=(b) already exists."), "");
}

TEST(IsRetryableSqlStateTest, OnlySerializationFailureAndDeadlock) {
  EXPECT_TRUE(IsRetryableSqlState("40001"));
  EXPECT_TRUE(IsRetryableSqlState("40P01"));
  EXPECT_FALSE(IsRetryableSqlState("40000"));
  EXPECT_FALSE(IsRetryableSqlState("40002"));
  EXPECT_FALSE(IsRetryableSqlState("55P03"));
  EXPECT_FALSE(IsRetryableSqlState("23505"));
  EXPECT_FALSE(IsRetryableSqlState("57014"));
  EXPECT_FALSE(IsRetryableSqlState(""));
}

TEST(StatusFromReportTest, UniqueViolationNamesColumnsAndConstraint) {
  ErrorReport report;
  report.sqlstate = "23505";
  report.message =
      "duplicate key value violates unique constraint "
      "\"users_email_lower_key\"";
  report.detail =
      "Key (lower(email::text))=(alice@example.com) already exists.";
  report.constraint = "users_email_lower_key";
  report.table = "users";
  const absl::Status s = StatusFromReport(report);
  EXPECT_EQ(s.code(), absl::StatusCode::kAlreadyExists);
  EXPECT_THAT(std::string(s.message()), HasSubstr("(lower(email::text))"));
  EXPECT_THAT(std::string(s.message()), HasSubstr("users_email_lower_key"));
  EXPECT_THAT(std::string(s.message()), Not(HasSubstr("alice")));
}

TEST(StatusFromReportTest, ForeignKeyViolationOnInsertNamesColumns) {
  ErrorReport report;
  report.sqlstate = "23503";
  report.message =
      "insert or update on table \"otp_verifications\" violates foreign key "
      "constraint \"otp_verifications_user_id_fkey\"";
  report.detail =
      "Key (user_id)=(8d1c1f6e-2b1a-4a55-9a0e-4c8f3a1f2b3c) is not present in "
      "table \"users\".";
  report.constraint = "otp_verifications_user_id_fkey";
  report.table = "otp_verifications";
  const absl::Status s = StatusFromReport(report);
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(s.message()), HasSubstr("user_id"));
  EXPECT_THAT(std::string(s.message()),
              HasSubstr("otp_verifications_user_id_fkey"));
  EXPECT_THAT(std::string(s.message()), Not(HasSubstr("8d1c1f6e")));
}

TEST(StatusFromReportTest, ForeignKeyViolationOnDeleteSaysReferenced) {
  ErrorReport report;
  report.sqlstate = "23503";
  report.message =
      "update or delete on table \"users\" violates foreign key constraint "
      "\"kyc_user_id_fkey\" on table \"kyc\"";
  report.detail =
      "Key (id)=(8d1c1f6e-2b1a-4a55-9a0e-4c8f3a1f2b3c) is still referenced "
      "from table \"kyc\".";
  report.constraint = "kyc_user_id_fkey";
  report.table = "kyc";
  const absl::Status s = StatusFromReport(report);
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(s.message()), HasSubstr("referenced"));
  EXPECT_THAT(std::string(s.message()), HasSubstr("kyc_user_id_fkey"));
  EXPECT_THAT(std::string(s.message()), Not(HasSubstr("8d1c1f6e")));
}

TEST(StatusFromReportTest, CheckViolationNamesConstraintOnce) {
  ErrorReport report;
  report.sqlstate = "23514";
  report.message =
      "new row for relation \"users\" violates check constraint "
      "\"users_account_type_check\"";
  report.detail = "Failing row contains (1, s3cr3t-hash, corporate).";
  report.constraint = "users_account_type_check";
  report.table = "users";
  const absl::Status s = StatusFromReport(report);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(s.message()), HasSubstr("users_account_type_check"));
  EXPECT_THAT(std::string(s.message()), Not(HasSubstr("s3cr3t")));
}

TEST(StatusFromReportTest, ConstraintMissingFromMessageIsAppended) {
  ErrorReport report;
  report.sqlstate = "23P01";
  report.message = "conflicting key value violates exclusion constraint";
  report.detail = "Key (room)=(secret-room) conflicts with existing key.";
  report.constraint = "bookings_no_overlap";
  const absl::Status s = StatusFromReport(report);
  EXPECT_EQ(s.code(), absl::StatusCode::kAlreadyExists);
  EXPECT_THAT(std::string(s.message()), HasSubstr("bookings_no_overlap"));
  EXPECT_THAT(std::string(s.message()), Not(HasSubstr("secret-room")));
}

TEST(StatusFromReportTest, ConnectionFailureKeepsLibpqMessage) {
  ErrorReport report;
  report.message = "server closed the connection unexpectedly";
  const absl::Status s = StatusFromReport(report);
  EXPECT_EQ(s.code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(std::string(s.message()),
              HasSubstr("server closed the connection unexpectedly"));
}

// No classification copies a value of the DETAIL into the message.
class DetailNeverLeaksTest : public ::testing::TestWithParam<const char*> {};

TEST_P(DetailNeverLeaksTest, MessageOmitsDetailValues) {
  constexpr absl::string_view kSecret = "hunter2-TOPSECRET";
  for (const char* detail :
       {"Key (password_hash)=(hunter2-TOPSECRET) already exists.",
        "Key (password_hash)=(hunter2-TOPSECRET) is not present in table "
        "\"users\".",
        "Key (id)=(hunter2-TOPSECRET) is still referenced from table \"x\".",
        "Failing row contains (1, hunter2-TOPSECRET, null).",
        "hunter2-TOPSECRET"}) {
    ErrorReport report;
    report.sqlstate = GetParam();
    report.message = "primary message";
    report.detail = detail;
    report.constraint = "some_constraint";
    report.table = "users";
    const absl::Status s = StatusFromReport(report);
    EXPECT_FALSE(s.ok());
    EXPECT_THAT(std::string(s.message()), Not(HasSubstr(kSecret)))
        << "SQLSTATE " << GetParam() << ", detail " << detail;
  }
}

INSTANTIATE_TEST_SUITE_P(AllClasses, DetailNeverLeaksTest,
                         ::testing::Values("", "23505", "23503", "23502",
                                           "23514", "23P01", "22001", "22P02",
                                           "40001", "57014", "42601", "XX000"));

TEST(StatementStateTest, LostOrStaleStatementsAreUnavailableNeverCallersFault) {
  for (const char* sqlstate : {"26000", "42P05"}) {
    ErrorReport report;
    report.sqlstate = sqlstate;
    report.message = "prepared statement \"GetUser\" does not exist";
    const absl::Status s = StatusFromReport(report);
    EXPECT_EQ(s.code(), absl::StatusCode::kUnavailable) << sqlstate;
    EXPECT_TRUE(IsStatementStateError(s)) << sqlstate;
  }
  ErrorReport plan;
  plan.sqlstate = "0A000";
  plan.message = "cached plan must not change result type";
  const absl::Status s = StatusFromReport(plan);
  EXPECT_EQ(s.code(), absl::StatusCode::kUnavailable);
  EXPECT_TRUE(IsStatementStateError(s));
}

TEST(StatementStateTest, OtherErrorsAreNotStatementState) {
  ErrorReport other;
  other.sqlstate = "0A000";
  other.message = "cannot use subquery in check constraint";
  const absl::Status s = StatusFromReport(other);
  EXPECT_EQ(s.code(), absl::StatusCode::kInternal);
  EXPECT_FALSE(IsStatementStateError(s));
  ErrorReport serialization;
  serialization.sqlstate = "40001";
  EXPECT_FALSE(IsStatementStateError(StatusFromReport(serialization)));
  // A status of another origin with the same words is not one.
  EXPECT_FALSE(IsStatementStateError(
      absl::UnavailableError("cached plan must not change result type")));
}

}  // namespace
}  // namespace defifundr::db::pg

namespace defifundr::db::pg {
namespace {

TEST(StatusFromReportTest, AQuotedValueInPostgresMessageIsBounded) {
  ErrorReport report;
  report.sqlstate = "22P02";
  report.message = "invalid input syntax for type uuid: \"" +
                   std::string(100000, 'x') + "\"";
  const absl::Status s = StatusFromReport(report);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_LT(s.message().size(), 320u);
  EXPECT_THAT(std::string(s.message()),
              ::testing::HasSubstr("... (100038 bytes) [SQLSTATE 22P02]"));
}

}  // namespace
}  // namespace defifundr::db::pg
