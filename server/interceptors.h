// Server interceptors: one log line per RPC (method, status code, duration,
// peer). Request and response bodies are never logged, so secrets cannot
// reach the log.
#ifndef DEFIFUNDR_SERVER_INTERCEPTORS_H_
#define DEFIFUNDR_SERVER_INTERCEPTORS_H_

#include <grpcpp/support/server_interceptor.h>

#include <memory>

namespace defifundr::server {

/// Creates the access-log interceptor for ServerBuilder::
/// experimental().SetInterceptorCreators().
std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>
MakeAccessLogInterceptorFactory();

}  // namespace defifundr::server

#endif  // DEFIFUNDR_SERVER_INTERCEPTORS_H_
