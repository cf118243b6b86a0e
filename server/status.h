// The one conversion from absl::Status (used everywhere inside the service)
// to grpc::Status (at the service edge), with the error details of AIP-193:
//   INVALID_ARGUMENT                  google.rpc.BadRequest, one FieldViolation
//                                     (the "field.path: description" of the
//                                     message, or the column a database check
//                                     named)
//   NOT_FOUND, ALREADY_EXISTS,        google.rpc.ErrorInfo, domain
//   FAILED_PRECONDITION, ABORTED,     "data.defifundr", a stable reason
//   UNAVAILABLE                       (WithReason, else from the SQLSTATE and
//                                     constraint) and metadata (constraint,
//                                     sqlstate)
// Codes are numerically identical. UNAVAILABLE caused by the database's
// connection (which may name hosts and ports) gets a generic message; the
// original goes to the log.
#ifndef DEFIFUNDR_SERVER_STATUS_H_
#define DEFIFUNDR_SERVER_STATUS_H_

#include <grpcpp/support/status.h>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "db/pg/error.h"

namespace defifundr::server {

/// The ErrorInfo domain of every error of this service.
inline constexpr absl::string_view kErrorDomain = "data.defifundr";

/// `status` with the ErrorInfo reason `reason` (UPPER_SNAKE_CASE, stable:
/// clients branch on it), e.g. WithReason(absl::FailedPreconditionError(..),
/// "SESSION_NOT_ACTIVE"). The same as the database layer's.
using db::pg::WithReason;

/// The ErrorInfo reason ToGrpcStatus gives `status` ("" for codes without
/// ErrorInfo).
std::string ReasonOf(const absl::Status& status);

/// Same code and message (messages never carry secret values; see
/// db/pg/error.h), plus the details above.
grpc::Status ToGrpcStatus(const absl::Status& status);

}  // namespace defifundr::server

#endif  // DEFIFUNDR_SERVER_STATUS_H_
