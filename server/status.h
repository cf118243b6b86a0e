// The one conversion from absl::Status (used everywhere inside the service)
// to grpc::Status (at the service edge). Codes are numerically identical.
#ifndef DEFIFUNDR_SERVER_STATUS_H_
#define DEFIFUNDR_SERVER_STATUS_H_

#include <grpcpp/support/status.h>

#include "absl/status/status.h"

namespace defifundr::server {

/// Same code and message (messages never carry secret values; see
/// db/pg/error.h).
grpc::Status ToGrpcStatus(const absl::Status& status);

}  // namespace defifundr::server

#endif  // DEFIFUNDR_SERVER_STATUS_H_
