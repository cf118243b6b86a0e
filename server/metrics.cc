#include "server/metrics.h"

#include <prometheus/collectable.h>
#include <prometheus/counter.h>
#include <prometheus/exposer.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/metric_family.h>
#include <prometheus/registry.h>

#include <exception>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "db/pg/error.h"

namespace defifundr::server {
namespace {

// The buckets of grpc-ecosystem's go-grpc-prometheus (Prometheus' default
// buckets), in seconds.
const prometheus::Histogram::BucketBoundaries& LatencyBuckets() {
  static const auto* b = new prometheus::Histogram::BucketBoundaries{
      0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
  return *b;
}

prometheus::ClientMetric Value(double v) {
  prometheus::ClientMetric m;
  m.gauge.value = v;
  return m;
}

prometheus::MetricFamily GaugeFamily(std::string name, std::string help,
                                     prometheus::MetricType type,
                                     std::vector<prometheus::ClientMetric> m) {
  prometheus::MetricFamily f;
  f.name = std::move(name);
  f.help = std::move(help);
  f.type = type;
  f.metric = std::move(m);
  return f;
}

// Values read at scrape time: the pool, health, the schema version.
class ScrapeCollector : public prometheus::Collectable {
 public:
  explicit ScrapeCollector(ScrapeSources sources)
      : sources_(std::move(sources)) {}

  std::vector<prometheus::MetricFamily> Collect() const override {
    std::vector<prometheus::MetricFamily> out;
    using prometheus::MetricType;
    if (sources_.pool != nullptr) {
      const db::pg::Pool::Stats s = sources_.pool->GetStats();
      auto gauge = [&](const char* name, const char* help, double v) {
        out.push_back(GaugeFamily(name, help, MetricType::Gauge, {Value(v)}));
      };
      gauge("defifundr_db_pool_max_connections",
            "Most database connections the pool opens (DB_POOL_SIZE).",
            s.max_size);
      gauge("defifundr_db_pool_open_connections",
            "Database connections open, idle or in use.", s.open);
      gauge("defifundr_db_pool_in_use_connections",
            "Database connections lent to a call.", s.in_use);
      gauge("defifundr_db_pool_idle_connections",
            "Database connections open and free.", s.open - s.in_use);
      gauge("defifundr_db_pool_waiters",
            "Calls waiting for a free database connection.", s.waiters);
      auto counter = [&](const char* name, const char* help, double v) {
        prometheus::ClientMetric m;
        m.counter.value = v;
        out.push_back(GaugeFamily(name, help, MetricType::Counter, {m}));
      };
      counter("defifundr_db_pool_opened_connections_total",
              "Database connections opened over the process's life.",
              static_cast<double>(s.opened));
      counter("defifundr_db_pool_discarded_connections_total",
              "Database connections closed because broken or left inside a "
              "transaction.",
              static_cast<double>(s.discarded));
    }
    if (sources_.pipeline != nullptr) {
      const db::pg::Pipeline::Stats s = sources_.pipeline->GetStats();
      auto metric = [&](const char* name, const char* help, MetricType type,
                        double v) {
        prometheus::ClientMetric m;
        if (type == MetricType::Counter) {
          m.counter.value = v;
        } else {
          m.gauge.value = v;
        }
        out.push_back(GaugeFamily(name, help, type, {m}));
      };
      metric("defifundr_db_pipeline_open_connections",
             "Database connections of the pipeline open now.",
             MetricType::Gauge, s.connections);
      metric("defifundr_db_pipeline_in_flight_statements",
             "Statements sent on the pipeline and not yet answered.",
             MetricType::Gauge, s.in_flight);
      metric("defifundr_db_pipeline_queued_statements",
             "Statements waiting for room on a pipeline connection.",
             MetricType::Gauge, s.queued);
      metric("defifundr_db_pipeline_reconnects_total",
             "Pipeline connections lost and opened again.", MetricType::Counter,
             static_cast<double>(s.reconnects));
      metric("defifundr_db_pipeline_resent_statements_total",
             "Statements sent again because another caller's cancel request "
             "hit them.",
             MetricType::Counter,
             static_cast<double>(s.resent_after_foreign_cancel));
    }
    if (sources_.health) {
      std::vector<prometheus::ClientMetric> serving;
      for (const auto& [service, up] : sources_.health()) {
        prometheus::ClientMetric m = Value(up ? 1 : 0);
        m.label.push_back({"service", service});
        serving.push_back(std::move(m));
      }
      out.push_back(GaugeFamily(
          "defifundr_health_serving",
          "Readiness per service as the gRPC health service reports it: 1 "
          "SERVING, 0 NOT_SERVING (\"\" is the server as a whole).",
          MetricType::Gauge, std::move(serving)));
    }
    if (sources_.schema_version) {
      out.push_back(
          GaugeFamily("defifundr_schema_version",
                      "The newest migration version applied to the database.",
                      MetricType::Gauge,
                      {Value(static_cast<double>(sources_.schema_version()))}));
    }
    if (sources_.reads) {
      const ReadSample r = sources_.reads();
      out.push_back(GaugeFamily(
          "defifundr_replica_lag_bytes",
          "How far the read replica's replay is behind the primary, in bytes "
          "of WAL, as of the last health check.",
          MetricType::Gauge, {Value(static_cast<double>(r.lag_bytes))}));
      out.push_back(GaugeFamily(
          "defifundr_replica_available",
          "1 while reads go to the replica, 0 while it is skipped "
          "(unreachable) and reads go to the primary.",
          MetricType::Gauge, {Value(r.available ? 1 : 0)}));
      std::vector<prometheus::ClientMetric> reads;
      auto read = [&](const char* target, const char* reason, int64_t n) {
        prometheus::ClientMetric m;
        m.counter.value = static_cast<double>(n);
        m.label.push_back({"reason", reason});
        m.label.push_back({"target", target});
        reads.push_back(std::move(m));
      };
      read("replica", "", r.replica);
      read("primary", "replica_lagging", r.primary_lagging);
      read("primary", "replica_unavailable", r.primary_unavailable);
      out.push_back(GaugeFamily(
          "defifundr_db_reads_total",
          "Read statements of read-only RPCs by where they ran: the replica, "
          "or the primary because the replica lagged (behind the caller's "
          "consistency token past the wait, or past MAX_REPLICA_LAG_BYTES) "
          "or could not be reached.",
          MetricType::Counter, std::move(reads)));
    }
    return out;
  }

 private:
  ScrapeSources sources_;
};

}  // namespace

struct Metrics::MethodMetrics {
  prometheus::Counter* started;
  prometheus::Histogram* handling;
  std::map<std::string, std::string> labels;
  absl::Mutex mu;
  absl::flat_hash_map<int, prometheus::Counter*> handled ABSL_GUARDED_BY(mu);
};

absl::string_view GoCodeName(grpc::StatusCode code) {
  static constexpr absl::string_view kNames[] = {"OK",
                                                 "Canceled",
                                                 "Unknown",
                                                 "InvalidArgument",
                                                 "DeadlineExceeded",
                                                 "NotFound",
                                                 "AlreadyExists",
                                                 "PermissionDenied",
                                                 "ResourceExhausted",
                                                 "FailedPrecondition",
                                                 "Aborted",
                                                 "OutOfRange",
                                                 "Unimplemented",
                                                 "Internal",
                                                 "Unavailable",
                                                 "DataLoss",
                                                 "Unauthenticated"};
  const int i = static_cast<int>(code);
  return (i >= 0 && i < 17) ? kNames[i] : "Unknown";
}

Metrics::Metrics(absl::string_view version, absl::string_view commit)
    : registry_(std::make_shared<prometheus::Registry>()) {
  started_ = &prometheus::BuildCounter()
                  .Name("grpc_server_started_total")
                  .Help("Total number of RPCs started on the server.")
                  .Register(*registry_);
  handled_ = &prometheus::BuildCounter()
                  .Name("grpc_server_handled_total")
                  .Help(
                      "Total number of RPCs completed on the server, "
                      "regardless of success or failure.")
                  .Register(*registry_);
  handling_ = &prometheus::BuildHistogram()
                   .Name("grpc_server_handling_seconds")
                   .Help(
                       "Histogram of response latency (seconds) of gRPC "
                       "that had been application-level handled by the "
                       "server.")
                   .Register(*registry_);
  statement_duration_ =
      &prometheus::BuildHistogram()
           .Name("defifundr_db_statement_duration_seconds")
           .Help(
               "Time of one statement on a database connection, by the "
               "name of its query (db/queries/).")
           .Register(*registry_);
  db_errors_ = &prometheus::BuildCounter()
                    .Name("defifundr_db_errors_total")
                    .Help(
                        "Statements that failed, by SQLSTATE class (the "
                        "first two characters; \"\" for a connection "
                        "failure).")
                    .Register(*registry_);
  pool_acquire_ = &prometheus::BuildHistogram()
                       .Name("defifundr_db_pool_acquire_seconds")
                       .Help(
                           "Time to get a pooled database connection, "
                           "waiting and opening included.")
                       .Register(*registry_)
                       .Add({}, LatencyBuckets());
  prometheus::BuildGauge()
      .Name("defifundr_build_info")
      .Help(
          "The running build: always 1, labelled with its version and git "
          "commit.")
      .Register(*registry_)
      .Add({{"version", std::string(version)}, {"commit", std::string(commit)}})
      .Set(1);
}

Metrics::~Metrics() = default;

absl::Status Metrics::Serve(const std::string& listen, ScrapeSources sources) {
  scrape_ = std::make_shared<ScrapeCollector>(std::move(sources));
  try {
    exposer_ = std::make_unique<prometheus::Exposer>(listen, 1);
  } catch (const std::exception& e) {
    return absl::UnavailableError(
        absl::StrCat("metrics: cannot listen on ", listen, ": ", e.what()));
  }
  exposer_->RegisterCollectable(registry_);
  exposer_->RegisterCollectable(scrape_);
  const std::vector<int> ports = exposer_->GetListeningPorts();
  port_ = ports.empty() ? 0 : ports.front();
  return absl::OkStatus();
}

Metrics::MethodMetrics& Metrics::ForMethod(absl::string_view full_method) {
  absl::MutexLock lock(&mu_);
  auto it = methods_.find(full_method);
  if (it != methods_.end()) return *it->second;
  // "/package.Service/Method"
  std::vector<std::string> parts =
      absl::StrSplit(absl::StripPrefix(full_method, "/"), '/');
  if (parts.size() != 2) parts = {std::string(full_method), ""};
  auto m = std::make_unique<MethodMetrics>();
  m->labels = {{"grpc_type", "unary"},
               {"grpc_service", parts[0]},
               {"grpc_method", parts[1]}};
  m->started = &started_->Add(m->labels);
  m->handling = &handling_->Add(m->labels, LatencyBuckets());
  MethodMetrics& ref = *m;
  methods_.emplace(std::string(full_method), std::move(m));
  return ref;
}

void Metrics::RpcStarted(absl::string_view full_method) {
  ForMethod(full_method).started->Increment();
}

void Metrics::RpcHandled(absl::string_view full_method, grpc::StatusCode code,
                         absl::Duration elapsed) {
  MethodMetrics& m = ForMethod(full_method);
  m.handling->Observe(absl::ToDoubleSeconds(elapsed));
  prometheus::Counter* handled;
  {
    absl::MutexLock lock(&m.mu);
    auto it = m.handled.find(static_cast<int>(code));
    if (it == m.handled.end()) {
      auto labels = m.labels;
      labels["grpc_code"] = std::string(GoCodeName(code));
      it = m.handled.emplace(static_cast<int>(code), &handled_->Add(labels))
               .first;
    }
    handled = it->second;
  }
  handled->Increment();
}

void Metrics::StatementRan(absl::string_view name, absl::Duration elapsed,
                           const absl::Status& status) {
  prometheus::Histogram* h;
  {
    absl::MutexLock lock(&mu_);
    auto it = statements_.find(name);
    if (it == statements_.end()) {
      it = statements_
               .emplace(std::string(name),
                        &statement_duration_->Add(
                            {{"query", std::string(name)}}, LatencyBuckets()))
               .first;
    }
    h = it->second;
  }
  h->Observe(absl::ToDoubleSeconds(elapsed));
  if (status.ok()) return;
  const std::optional<std::string> sqlstate = db::pg::SqlStateOf(status);
  if (!sqlstate.has_value()) return;  // Not a database error (e.g. binding).
  db_errors_->Add({{"sqlstate_class", sqlstate->substr(0, 2)}}).Increment();
}

void Metrics::PoolAcquired(absl::Duration waited) {
  pool_acquire_->Observe(absl::ToDoubleSeconds(waited));
}

}  // namespace defifundr::server
