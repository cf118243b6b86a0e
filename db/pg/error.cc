#include "db/pg/error.h"

#include "absl/strings/cord.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace defifundr::db::pg {
namespace {

constexpr absl::string_view kSqlStatePayload = "defifundr.data/sqlstate";
constexpr absl::string_view kConstraintPayload = "defifundr.data/constraint";
constexpr absl::string_view kColumnPayload = "defifundr.data/column";
constexpr absl::string_view kReasonPayload = "defifundr.data/reason";

std::optional<std::string> Payload(const absl::Status& status,
                                   absl::string_view url) {
  absl::optional<absl::Cord> payload = status.GetPayload(url);
  if (!payload.has_value()) return std::nullopt;
  return std::string(*payload);
}
// PostgreSQL's message for 0A000 when a prepared statement's result type
// changed (src/backend/utils/cache/plancache.c).
constexpr absl::string_view kCachedPlanChanged =
    "cached plan must not change result type";

bool IsStatementState(absl::string_view sqlstate, absl::string_view message) {
  return sqlstate == "26000" || sqlstate == "42P05" ||
         (sqlstate == "0A000" &&
          absl::StrContains(message, kCachedPlanChanged));
}

absl::StatusCode CodeFor(absl::string_view s) {
  if (s.empty()) return absl::StatusCode::kUnavailable;
  const absl::string_view cls = s.substr(0, 2);
  if (s == "23505" || s == "23P01") return absl::StatusCode::kAlreadyExists;
  if (s == "23503" || s == "23001" || s == "23000")
    return absl::StatusCode::kFailedPrecondition;
  // 54000 program_limit_exceeded: a value too large to index (the request
  // validation catches it first where it knows the column); 54001
  // statement_too_complex.
  if (s == "23502" || s == "23514" || cls == "22" || s == "54000" ||
      s == "54001")
    return absl::StatusCode::kInvalidArgument;
  if (s == "40001" || s == "40P01" || s == "55P03" || s == "72000")
    return absl::StatusCode::kAborted;
  if (s == "57014") return absl::StatusCode::kDeadlineExceeded;
  // The server cannot serve now, and another attempt (on another
  // connection, or after a failover) may succeed: connection exceptions,
  // insufficient resources, shutdowns, a standby that refuses a write
  // (25006, after a failover), an idle-timeout or dropped database, an
  // I/O error, a statement whose completion is unknown.
  if (cls == "08" || cls == "53" || cls == "58" || s == "57P01" ||
      s == "57P02" || s == "57P03" || s == "57P04" || s == "57P05" ||
      s == "25006" || s == "25P03" || s == "40003" || s == "3D000" ||
      cls == "28")
    return absl::StatusCode::kUnavailable;
  if (s == "XX001" || s == "XX002") return absl::StatusCode::kDataLoss;
  return absl::StatusCode::kInternal;
}

}  // namespace

std::string KeyColumnsFromDetail(absl::string_view detail) {
  constexpr absl::string_view kPrefix = "Key (";
  if (!absl::StartsWith(detail, kPrefix)) return "";
  const size_t end = detail.find(")=(");
  if (end == absl::string_view::npos) return "";
  return std::string(detail.substr(kPrefix.size(), end - kPrefix.size()));
}

bool IsRetryableSqlState(absl::string_view sqlstate) {
  return sqlstate == "40001" || sqlstate == "40P01";
}

bool IsStatementStateError(const absl::Status& status) {
  const std::optional<std::string> sqlstate = SqlStateOf(status);
  return sqlstate.has_value() && IsStatementState(*sqlstate, status.message());
}

absl::Status StatusFromReport(const ErrorReport& r) {
  const absl::StatusCode code = IsStatementState(r.sqlstate, r.message)
                                    ? absl::StatusCode::kUnavailable
                                    : CodeFor(r.sqlstate);
  std::string message;
  const std::string columns = KeyColumnsFromDetail(r.detail);
  if (r.sqlstate == "23505") {
    message = absl::StrCat("already exists: a row with the same (", columns,
                           ") exists in ", r.table, " (constraint ",
                           r.constraint, ")");
  } else if (r.sqlstate == "23503") {
    if (absl::StrContains(r.detail, "is still referenced")) {
      message = absl::StrCat("row is still referenced by ", r.table,
                             " (constraint ", r.constraint, ")");
    } else {
      message =
          absl::StrCat("referenced row does not exist: (", columns, ") of ",
                       r.table, " (constraint ", r.constraint, ")");
    }
  } else if (r.sqlstate.empty()) {
    message = absl::StrCat("database connection failed: ", r.message);
  } else {
    // PostgreSQL quotes the offending value in a data exception's message
    // (22P02 "invalid input syntax for type uuid: \"...\""): at most 256
    // bytes of it reach a caller or the log.
    constexpr size_t kMaxMessage = 256;
    message = r.message;
    if (absl::StartsWith(r.sqlstate, "22") && message.size() > kMaxMessage) {
      size_t n = kMaxMessage;
      while (n > 0 && (static_cast<unsigned char>(message[n]) & 0xC0) == 0x80) {
        --n;
      }
      message = absl::StrCat(message.substr(0, n), "... (", r.message.size(),
                             " bytes)");
    }
    if (!r.constraint.empty() && !absl::StrContains(message, r.constraint)) {
      absl::StrAppend(&message, " (constraint ", r.constraint, ")");
    }
  }
  absl::Status status(
      code, absl::StrCat(message, r.sqlstate.empty() ? "" : " [SQLSTATE ",
                         r.sqlstate, r.sqlstate.empty() ? "" : "]"));
  status.SetPayload(kSqlStatePayload, absl::Cord(r.sqlstate));
  if (r.sqlstate.empty()) status = WithReason(status, "DATABASE_UNAVAILABLE");
  if (!r.constraint.empty()) {
    status.SetPayload(kConstraintPayload, absl::Cord(r.constraint));
  }
  if (!r.column.empty())
    status.SetPayload(kColumnPayload, absl::Cord(r.column));
  return status;
}

std::optional<std::string> SqlStateOf(const absl::Status& status) {
  return Payload(status, kSqlStatePayload);
}

absl::Status WithReason(absl::Status status, absl::string_view reason) {
  status.SetPayload(kReasonPayload, absl::Cord(reason));
  return status;
}

absl::Status WithSqlState(absl::Status status, absl::string_view sqlstate) {
  status.SetPayload(kSqlStatePayload, absl::Cord(sqlstate));
  return status;
}

bool IsConnectionRefusedForGood(const absl::Status& status) {
  const std::string sqlstate = SqlStateOf(status).value_or("");
  return absl::StartsWith(sqlstate, "28") || sqlstate == "3D000" ||
         sqlstate == "42501";
}

std::optional<std::string> TaggedReasonOf(const absl::Status& status) {
  return Payload(status, kReasonPayload);
}

std::optional<std::string> ConstraintOf(const absl::Status& status) {
  return Payload(status, kConstraintPayload);
}

std::optional<std::string> ColumnOf(const absl::Status& status) {
  return Payload(status, kColumnPayload);
}

}  // namespace defifundr::db::pg
