#include "client/errors.h"

#include <grpcpp/support/error_details.h>

#include "google/rpc/status.pb.h"

namespace defifundr::client {
namespace {

template <typename Detail>
std::optional<Detail> DetailOf(const grpc::Status& status) {
  if (status.ok() || status.error_details().empty()) return std::nullopt;
  google::rpc::Status rpc;
  if (!grpc::ExtractErrorDetails(status, &rpc).ok()) return std::nullopt;
  for (const google::protobuf::Any& any : rpc.details()) {
    Detail detail;
    if (any.Is<Detail>() && any.UnpackTo(&detail)) return detail;
  }
  return std::nullopt;
}

}  // namespace

std::optional<google::rpc::ErrorInfo> ErrorInfoOf(const grpc::Status& status) {
  return DetailOf<google::rpc::ErrorInfo>(status);
}

std::optional<google::rpc::BadRequest> BadRequestOf(
    const grpc::Status& status) {
  return DetailOf<google::rpc::BadRequest>(status);
}

}  // namespace defifundr::client
