#include "server/status.h"

#include <grpcpp/support/error_details.h>

#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "server/log/log.h"
#include "db/pg/error.h"
#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"

namespace defifundr::server {
namespace {

// The reason of a unique violation, by the constraint (or unique index).
std::string UniqueReason(absl::string_view constraint) {
  if (constraint == "users_email_lower_key" ||
      constraint == "users_email_key") {
    return "EMAIL_TAKEN";
  }
  if (constraint == "transactions_tx_hash_key") return "TX_HASH_TAKEN";
  if (constraint == "user_device_tokens_device_token_key") {
    return "DEVICE_TOKEN_TAKEN";
  }
  if (constraint == "otp_verifications_pending_key")
    return "PENDING_OTP_EXISTS";
  if (absl::EndsWith(constraint, "_request_id_key")) return "REQUEST_ID_TAKEN";
  if (absl::EndsWith(constraint, "_pkey")) return "ID_TAKEN";
  return "DUPLICATE_KEY";
}

// "field.path: description" -> field and description; field "" when the
// message does not start with a field path.
std::pair<std::string, std::string> FieldOf(absl::string_view message) {
  const size_t colon = message.find(": ");
  if (colon == absl::string_view::npos || colon == 0) {
    return {"", std::string(message)};
  }
  const absl::string_view path = message.substr(0, colon);
  for (char c : path) {
    if (!absl::ascii_isalnum(c) && c != '_' && c != '.' && c != '[' &&
        c != ']') {
      return {"", std::string(message)};
    }
  }
  return {std::string(path), std::string(message.substr(colon + 2))};
}

}  // namespace

std::string ReasonOf(const absl::Status& status) {
  if (auto reason = db::pg::TaggedReasonOf(status); reason.has_value()) {
    return *reason;
  }
  const std::string sqlstate = db::pg::SqlStateOf(status).value_or("");
  switch (status.code()) {
    case absl::StatusCode::kNotFound:
      return "NOT_FOUND";
    case absl::StatusCode::kAlreadyExists:
      return sqlstate == "23505"
                 ? UniqueReason(db::pg::ConstraintOf(status).value_or(""))
                 : "ALREADY_EXISTS";
    case absl::StatusCode::kFailedPrecondition:
      if (sqlstate == "23503") {
        return absl::StrContains(status.message(), "still referenced")
                   ? "ROW_REFERENCED"
                   : "REFERENCED_ROW_NOT_FOUND";
      }
      return "FAILED_PRECONDITION";
    case absl::StatusCode::kAborted:
      return sqlstate == "55P03" ? "LOCK_NOT_AVAILABLE"
                                 : "TRANSACTION_CONFLICT";
    case absl::StatusCode::kUnavailable:
      // The pool and connections tag theirs (POOL_EXHAUSTED,
      // DATABASE_UNAVAILABLE, ...: db/pg/error.h).
      return db::pg::IsStatementStateError(status) ? "STATEMENT_STATE_LOST"
                                                   : "UNAVAILABLE";
    default:
      return "";
  }
}

grpc::Status ToGrpcStatus(const absl::Status& status) {
  if (status.ok()) return grpc::Status::OK;
  const auto code = static_cast<grpc::StatusCode>(status.code());
  std::string message(status.message());
  const std::optional<std::string> sqlstate = db::pg::SqlStateOf(status);
  google::rpc::Status rpc;
  rpc.set_code(static_cast<int>(code));
  if (code == grpc::StatusCode::INVALID_ARGUMENT) {
    google::rpc::BadRequest bad;
    auto* v = bad.add_field_violations();
    auto [field, description] = FieldOf(message);
    if (field.empty()) field = db::pg::ColumnOf(status).value_or("");
    v->set_field(field);
    v->set_description(description);
    rpc.add_details()->PackFrom(bad);
  } else if (const std::string reason = ReasonOf(status); !reason.empty()) {
    google::rpc::ErrorInfo info;
    info.set_reason(reason);
    info.set_domain(std::string(kErrorDomain));
    if (auto constraint = db::pg::ConstraintOf(status);
        constraint.has_value()) {
      (*info.mutable_metadata())["constraint"] = *constraint;
    }
    if (sqlstate.has_value() && !sqlstate->empty()) {
      (*info.mutable_metadata())["sqlstate"] = *sqlstate;
    }
    if (code == grpc::StatusCode::UNAVAILABLE &&
        reason == "DATABASE_UNAVAILABLE") {
      // The connection's message may name the database's host and port.
      log::Warning("database unavailable", {{"error", message}});
      message = "the database is unavailable; try again later";
    }
    rpc.add_details()->PackFrom(info);
  }
  rpc.set_message(message);
  grpc::Status out;
  grpc::SetErrorDetails(rpc, &out);
  return out;
}

}  // namespace defifundr::server
