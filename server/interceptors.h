// Server interceptors: one log line per RPC (method, status code, duration,
// peer), and the per-method Prometheus metrics. Request and response bodies
// are never logged, so secrets cannot reach the log.
#ifndef DEFIFUNDR_SERVER_INTERCEPTORS_H_
#define DEFIFUNDR_SERVER_INTERCEPTORS_H_

#include <grpcpp/server_context.h>
#include <grpcpp/support/server_interceptor.h>
#include <grpcpp/support/string_ref.h>

#include <map>
#include <memory>
#include <string>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "server/admission.h"
#include "server/metrics.h"

namespace defifundr::server {

/// Parses a W3C Trace Context `traceparent` header
/// ("00-<32 hex trace id>-<16 hex parent id>-<2 hex flags>"): false for any
/// other form, version ff, or an all-zero id.
bool ParseTraceparent(absl::string_view header, std::string* trace_id,
                      std::string* span_id);

/// The ids that tie an RPC's log lines (and its statements) together.
struct RequestIds {
  /// The caller's `x-request-id` when acceptable (1 to 128 characters of
  /// [A-Za-z0-9._:-]), else empty.
  std::string request_id;
  /// From a valid W3C `traceparent`, else empty: 32 and 16 hex digits.
  std::string trace_id;
  std::string span_id;
};

/// Reads the ids from an RPC's request metadata. The access-log interceptor
/// stores the id it generates there as `x-request-id`, so after it ran
/// request_id is never empty.
RequestIds ReadRequestIds(
    const std::multimap<grpc::string_ref, grpc::string_ref>& metadata);

/// The application_name an RPC's statements run under
/// (db::pg::CallOptions::application_name): "defifundr-data trace_id=<32
/// hex>" when the caller sent a valid traceparent, else "defifundr-data
/// request_id=<id>", cut to PostgreSQL's 63 bytes. pg_stat_activity and the
/// server log (%a) then lead back to the RPC's log lines.
std::string DatabaseApplicationName(
    const std::multimap<grpc::string_ref, grpc::string_ref>& metadata);

/// How often, at most, the log gets a line about requests that did not
/// parse (bad protobuf wire format, invalid UTF-8 in a string field): one
/// WARNING "unparseable request" naming the last method and peer and how
/// many such requests arrived since the previous line. Anyone can send them,
/// so they must not flood the log, nor count as the service's errors.
inline constexpr absl::Duration kUnparseableLogInterval = absl::Seconds(10);

/// Counts a request that did not parse and writes the rate-limited WARNING
/// above when one is due. `detail` is the parser's message, if any (it names
/// the field, never its value).
void NoteUnparseableRequest(absl::string_view method, absl::string_view peer,
                            absl::string_view detail);

/// Routes protobuf's own log messages (which it writes to stderr) into the
/// service's log: a parser complaint (invalid UTF-8 in a request) is counted
/// by NoteUnparseableRequest; any other is a WARNING, or an ERROR for
/// protobuf's ERROR and FATAL. Process-wide; call once at start-up.
void InstallProtobufLogHandler();

/// For a callback RPC about to finish on this thread: hands this thread's
/// log context (the RPC's ids and the database backend its statements ran
/// on) to the RPC's access-log line, which gRPC may write on another thread.
/// The access-log interceptor takes it back when it writes the line (or
/// drops it when the call ends without one).
void KeepLogContextForAccessLog(const grpc::ServerContextBase* ctx);

/// Creates the access-log interceptor for ServerBuilder::
/// experimental().SetInterceptorCreators(). Every RPC gets a request id: the
/// caller's `x-request-id` metadata (1 to 128 characters of
/// [A-Za-z0-9._:-]) or a random 32-hex-digit one, sent back as trailing
/// metadata `x-request-id` (and, when generated, stored as the request's
/// `x-request-id` for ReadRequestIds). Every log line written while the RPC
/// runs carries it as `request_id`, and `trace_id` and `span_id` when the
/// caller sent a valid W3C `traceparent`. A request whose message did not
/// parse is answered INVALID_ARGUMENT "request: not a valid <type>" (gRPC
/// itself would answer INTERNAL with no message) and logged only through
/// NoteUnparseableRequest.
std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>
MakeAccessLogInterceptorFactory();

/// Creates the interceptor that counts every RPC in `metrics`
/// (grpc_server_started_total, _handled_total, _handling_seconds).
/// `metrics` must outlive the server.
std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>
MakeMetricsInterceptorFactory(Metrics* metrics);

/// Counts the calls running in `admission` (Admission::CallStarted and
/// CallEnded), all but grpc.health.v1.Health/Watch, whose streams last as
/// long as their clients: shutdown waits for the calls, then ends the
/// watches at once. `admission` must outlive the server.
std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>
MakeAdmissionInterceptorFactory(Admission* admission);

}  // namespace defifundr::server

#endif  // DEFIFUNDR_SERVER_INTERCEPTORS_H_
