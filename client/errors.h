// The error details the service sends (AIP-193), read back from a
// grpc::Status: which field was wrong (google.rpc.BadRequest, with
// INVALID_ARGUMENT) and why a call failed (google.rpc.ErrorInfo, with
// NOT_FOUND, ALREADY_EXISTS, FAILED_PRECONDITION, ABORTED and UNAVAILABLE:
// a stable `reason` such as EMAIL_TAKEN or SESSION_NOT_ACTIVE, domain
// "data.defifundr", and metadata such as "constraint" and "sqlstate").
//
//   grpc::Status s = stub.CreateUser(&ctx, req, &user);
//   if (auto info = defifundr::client::ErrorInfoOf(s);
//       info && info->reason() == "EMAIL_TAKEN") { ... }
#ifndef DEFIFUNDR_CLIENT_ERRORS_H_
#define DEFIFUNDR_CLIENT_ERRORS_H_

#include <grpcpp/support/status.h>

#include <optional>

#include "google/rpc/error_details.pb.h"

namespace defifundr::client {

/// The ErrorInfo of `status`, or nullopt when it carries none (OK, codes
/// without one, or a status from elsewhere).
std::optional<google::rpc::ErrorInfo> ErrorInfoOf(const grpc::Status& status);

/// The BadRequest of an INVALID_ARGUMENT `status`, or nullopt.
std::optional<google::rpc::BadRequest> BadRequestOf(const grpc::Status& status);

}  // namespace defifundr::client

#endif  // DEFIFUNDR_CLIENT_ERRORS_H_
