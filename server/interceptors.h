// Server interceptors: one log line per RPC (method, status code, duration,
// peer), and the per-method Prometheus metrics. Request and response bodies
// are never logged, so secrets cannot reach the log.
#ifndef DEFIFUNDR_SERVER_INTERCEPTORS_H_
#define DEFIFUNDR_SERVER_INTERCEPTORS_H_

#include <grpcpp/support/server_interceptor.h>

#include <memory>

#include "server/metrics.h"

namespace defifundr::server {

/// Creates the access-log interceptor for ServerBuilder::
/// experimental().SetInterceptorCreators().
std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>
MakeAccessLogInterceptorFactory();

/// Creates the interceptor that counts every RPC in `metrics`
/// (grpc_server_started_total, _handled_total, _handling_seconds).
/// `metrics` must outlive the server.
std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>
MakeMetricsInterceptorFactory(Metrics* metrics);

}  // namespace defifundr::server

#endif  // DEFIFUNDR_SERVER_INTERCEPTORS_H_
