// Prometheus metrics of the server, in the text exposition format on
// METRICS_LISTEN (`/metrics`), served by prometheus-cpp's embedded HTTP
// server (civetweb).
//
// Families (names of the grpc-ecosystem Go middleware where they exist, so
// that existing dashboards work):
//   grpc_server_started_total{grpc_type,grpc_service,grpc_method}      counter
//   grpc_server_handled_total{grpc_type,grpc_service,grpc_method,grpc_code}
//                                                                        counter
//   grpc_server_handling_seconds{grpc_type,grpc_service,grpc_method} histogram
//   defifundr_db_pool_{max,open,in_use,idle}_connections, _waiters      gauges
//   defifundr_db_pool_acquire_seconds histogram
//   defifundr_db_pool_{opened,discarded}_connections_total             counters
//   defifundr_db_statement_duration_seconds{query} histogram
//   defifundr_db_errors_total{sqlstate_class}                           counter
//   defifundr_health_serving{service}        gauge: 1 SERVING, 0 NOT_SERVING
//   defifundr_schema_version                 gauge: newest applied migration
//   defifundr_replica_lag_bytes, defifundr_replica_available   gauges
//   defifundr_db_reads_total{target="replica"|"primary",reason} counter: read
//     statements of read-only RPCs by where they ran (with a replica)
//   defifundr_build_info{version,commit}     gauge: 1
// Seconds throughout; every family is thread-safe.
#ifndef DEFIFUNDR_SERVER_METRICS_H_
#define DEFIFUNDR_SERVER_METRICS_H_

#include <grpcpp/support/status.h>

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "db/pg/pipeline.h"
#include "db/pg/pool.h"

namespace prometheus {
class Collectable;
class Counter;
class Exposer;
class Histogram;
class Registry;
template <typename T>
class Family;
}  // namespace prometheus

namespace defifundr::server {

/// Read routing to a replica (DATABASE_READ_URL), as of a scrape.
struct ReadSample {
  bool available = false;  ///< The replica's last connection worked.
  int64_t lag_bytes = 0;   ///< Its replay's lag behind the primary (WAL bytes).
  int64_t replica = 0;     ///< Read statements it served.
  /// Read statements the primary served instead: the replica had not
  /// caught up with the caller's consistency token in time, or was past
  /// MAX_REPLICA_LAG_BYTES for a read without one ...
  int64_t primary_lagging = 0;
  int64_t primary_unavailable = 0;  ///< ... or could not be reached.
};

/// Values read when Prometheus scrapes (not counted as they happen).
struct ScrapeSources {
  /// The pool whose connections are reported; may be null.
  const db::pg::Pool* pool = nullptr;
  /// The database pipeline (DB_PIPELINE_CONNECTIONS); null when off.
  const db::pg::Pipeline* pipeline = nullptr;
  /// Each data service's readiness ("" included): true = SERVING.
  std::function<std::map<std::string, bool>()> health;
  /// The newest applied migration version (0 when unknown).
  std::function<int64_t()> schema_version;
  /// Read routing; empty when no replica is configured.
  std::function<ReadSample()> reads;
};

class Metrics {
 public:
  /// Creates every family. `version` and `commit` label build_info.
  Metrics(absl::string_view version, absl::string_view commit);
  ~Metrics();
  Metrics(const Metrics&) = delete;
  Metrics& operator=(const Metrics&) = delete;

  /// Serves `/metrics` on `listen` ("host:port"; port 0 picks a free one).
  /// UNAVAILABLE if it cannot listen there.
  absl::Status Serve(const std::string& listen, ScrapeSources sources);
  /// The port `/metrics` is served on (0 before Serve).
  int port() const { return port_; }

  /// One RPC of `full_method` ("/package.Service/Method") started.
  void RpcStarted(absl::string_view full_method);
  /// It ended with `code` after `elapsed`.
  void RpcHandled(absl::string_view full_method, grpc::StatusCode code,
                  absl::Duration elapsed);
  /// One statement of the query `name` ran for `elapsed`; a non-OK
  /// `status` with a SQLSTATE counts in db_errors_total by its class
  /// ("" when the connection failed).
  void StatementRan(absl::string_view name, absl::Duration elapsed,
                    const absl::Status& status);
  /// One Pool::Acquire took `waited`.
  void PoolAcquired(absl::Duration waited);

  /// The registry, for further families (e.g. authorization).
  prometheus::Registry& registry() { return *registry_; }

 private:
  struct MethodMetrics;
  MethodMetrics& ForMethod(absl::string_view full_method);

  std::shared_ptr<prometheus::Registry> registry_;
  std::shared_ptr<prometheus::Collectable> scrape_;
  std::unique_ptr<prometheus::Exposer> exposer_;
  int port_ = 0;
  prometheus::Family<prometheus::Counter>* started_;
  prometheus::Family<prometheus::Counter>* handled_;
  prometheus::Family<prometheus::Histogram>* handling_;
  prometheus::Family<prometheus::Histogram>* statement_duration_;
  prometheus::Family<prometheus::Counter>* db_errors_;
  prometheus::Histogram* pool_acquire_;
  absl::Mutex mu_;
  absl::flat_hash_map<std::string, std::unique_ptr<MethodMetrics>> methods_
      ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<std::string, prometheus::Histogram*> statements_
      ABSL_GUARDED_BY(mu_);
};

/// The status code as grpc-go spells it (codes.Code.String()): "OK",
/// "NotFound", "InvalidArgument", ...: the values of the grpc_code label.
absl::string_view GoCodeName(grpc::StatusCode code);

}  // namespace defifundr::server

#endif  // DEFIFUNDR_SERVER_METRICS_H_
