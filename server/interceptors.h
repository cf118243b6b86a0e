// Server interceptors: one log line per RPC (method, status code, duration,
// peer), and the per-method Prometheus metrics. Request and response bodies
// are never logged, so secrets cannot reach the log.
#ifndef DEFIFUNDR_SERVER_INTERCEPTORS_H_
#define DEFIFUNDR_SERVER_INTERCEPTORS_H_

#include <grpcpp/support/server_interceptor.h>

#include <memory>
#include <string>

#include "absl/strings/string_view.h"
#include "server/metrics.h"

namespace defifundr::server {

/// Parses a W3C Trace Context `traceparent` header
/// ("00-<32 hex trace id>-<16 hex parent id>-<2 hex flags>"): false for any
/// other form, version ff, or an all-zero id.
bool ParseTraceparent(absl::string_view header, std::string* trace_id,
                      std::string* span_id);

/// Creates the access-log interceptor for ServerBuilder::
/// experimental().SetInterceptorCreators(). Every RPC gets a request id: the
/// caller's `x-request-id` metadata (1 to 128 characters of
/// [A-Za-z0-9._:-]) or a random 32-hex-digit one, sent back as trailing
/// metadata `x-request-id`. Every log line written while the RPC runs
/// carries it as `request_id`, and `trace_id` and `span_id` when the caller
/// sent a valid W3C `traceparent`.
std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>
MakeAccessLogInterceptorFactory();

/// Creates the interceptor that counts every RPC in `metrics`
/// (grpc_server_started_total, _handled_total, _handling_seconds).
/// `metrics` must outlive the server.
std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>
MakeMetricsInterceptorFactory(Metrics* metrics);

}  // namespace defifundr::server

#endif  // DEFIFUNDR_SERVER_INTERCEPTORS_H_
