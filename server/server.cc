#include "server/server.h"

#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/health_check_service_interface.h>
#include <grpcpp/security/server_credentials.h>
#include <grpcpp/server_builder.h>

#include <algorithm>
#include <fstream>
#include <sstream>

#include "absl/base/call_once.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "server/log/log.h"
#include "db/pg/error.h"
#include "db/query_catalog.h"
#include "grpc/health/v1/health.pb.h"
#include "server/authz.h"
#include "server/build_info.h"
#include "server/interceptors.h"
#include "server/service.h"

namespace defifundr::server {
namespace {

absl::StatusOr<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read ", path));
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> Credentials(
    const ServerConfig& config) {
  if (config.tls_cert_file.empty() && config.tls_key_file.empty()) {
    if (!config.tls_client_ca_file.empty()) {
      return absl::InvalidArgumentError(
          "TLS_CLIENT_CA_FILE needs TLS: set TLS_CERT_FILE and TLS_KEY_FILE");
    }
    if (!IsLoopbackListen(config.listen)) {
      log::Warning(
          "serving without TLS on a non-loopback address: any host that "
          "reaches the port can call every RPC; set TLS_CERT_FILE, "
          "TLS_KEY_FILE and TLS_CLIENT_CA_FILE",
          {{"listen", config.listen}});
    }
    return grpc::InsecureServerCredentials();
  }
  if (config.tls_cert_file.empty() || config.tls_key_file.empty()) {
    return absl::InvalidArgumentError(
        "TLS needs both a certificate file and a key file");
  }
  auto cert = ReadFile(config.tls_cert_file);
  if (!cert.ok()) return cert.status();
  auto key = ReadFile(config.tls_key_file);
  if (!key.ok()) return key.status();
  grpc::SslServerCredentialsOptions options(
      GRPC_SSL_DONT_REQUEST_CLIENT_CERTIFICATE);
  options.pem_key_cert_pairs.push_back({*key, *cert});
  if (!config.tls_client_ca_file.empty()) {
    auto ca = ReadFile(config.tls_client_ca_file);
    if (!ca.ok()) return ca.status();
    options.pem_root_certs = *ca;
    options.client_certificate_request =
        GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY;
  }
  return grpc::SslServerCredentials(options);
}

}  // namespace

bool IsLoopbackListen(absl::string_view listen) {
  absl::string_view host = listen;
  if (const size_t colon = listen.rfind(':');
      colon != absl::string_view::npos) {
    host = listen.substr(0, colon);
  }
  host = absl::StripPrefix(absl::StripSuffix(host, "]"), "[");
  return host == "localhost" || host == "::1" || absl::StartsWith(host, "127.");
}

absl::StatusOr<std::unique_ptr<DataServer>> DataServer::Start(
    const ServerConfig& config) {
  std::unique_ptr<DataServer> s(new DataServer());
  s->health_interval_ = config.health_interval;
  s->metrics_ = std::make_unique<Metrics>(BuildVersion(), BuildCommit());
  const db::QueryCatalog& catalog = db::QueryCatalog::Builtin();

  db::pg::PoolOptions pool_options;
  pool_options.conninfo = config.database_url;
  pool_options.max_size = config.pool_size;
  db::pg::PoolOptions read_pool_options;
  pool_options.statement_cache = config.statement_cache;
  pool_options.on_acquire = [metrics = s->metrics_.get()](absl::Duration d) {
    metrics->PoolAcquired(d);
  };
  if (config.statement_cache == db::pg::StatementCache::kPrepared) {
    pool_options.on_connect = [&catalog](db::pg::Connection& conn,
                                         absl::Time deadline) {
      db::pg::CallOptions options;
      options.deadline = deadline;
      absl::Status s = catalog.PrepareAll(conn, options);
      // A statement the schema does not take right now (a migration under
      // way) leaves the connection usable: the statements not prepared here
      // are prepared on first use, each with its own outcome.
      if (!s.ok() && !conn.IsBroken() && conn.IsIdle() &&
          db::pg::SqlStateOf(s).has_value()) {
        log::Info("a query did not prepare on a new connection; it is "
                  "prepared on first use",
                  {{"error", std::string(s.message())}});
        return absl::OkStatus();
      }
      return s;
    };
  }
  if (!config.read_database_url.empty()) {
    read_pool_options = pool_options;
    read_pool_options.conninfo = config.read_database_url;
    read_pool_options.max_size = config.read_pool_size;
    // The read pool's waits are not the primary's: keep them out of
    // defifundr_db_pool_acquire_seconds.
    read_pool_options.on_acquire = nullptr;
  }
  s->pool_ = std::make_unique<db::pg::Pool>(std::move(pool_options));

  // Wait for the database (it may still be starting, e.g. in Kubernetes).
  const absl::Time deadline = absl::Now() + config.startup_timeout;
  absl::StatusOr<db::pg::PooledConnection> conn =
      absl::UnavailableError("not tried");
  while (true) {
    conn = s->pool_->Acquire(absl::Now() + absl::Seconds(5));
    // Only an unreachable server is waited for: a refusal (wrong password,
    // unknown role or database) or a malformed URL fails at once.
    if (!conn.ok() && db::pg::IsConnectionRefusedForGood(conn.status())) {
      return absl::FailedPreconditionError(absl::StrCat(
          "the database refused the connection; check DATABASE_URL (user, "
          "password, database name): ",
          conn.status().message(), " [SQLSTATE ",
          db::pg::SqlStateOf(conn.status()).value_or(""), "]"));
    }
    if (conn.ok() || conn.status().code() != absl::StatusCode::kUnavailable ||
        absl::Now() >= deadline) {
      break;
    }
    log::Warning("database not reachable yet; retrying",
                 {{"error", std::string(conn.status().message())}});
    absl::SleepFor(absl::Seconds(1));
  }
  if (!conn.ok()) return conn.status();
  db::pg::CallOptions options;
  options.deadline = absl::Now() + absl::Seconds(30);
  const std::vector<const ServiceDeclaration*> declarations =
      AllServiceDeclarations();
  std::vector<absl::string_view> tables;
  for (const ServiceDeclaration* d : declarations) {
    tables.push_back(d->table.table);
  }
  auto schema = Schema::Load(**conn, catalog, tables, options);
  if (!schema.ok()) return schema.status();
  s->schema_ = *std::move(schema);
  conn = absl::UnavailableError("released");  // Back to the pool.

  s->db_ = std::make_unique<Database>(*s->pool_, catalog, *s->schema_);
  // Blocking work of the callback handlers: as many threads as the pool has
  // connections, and some to spare for the calls that wait for one.
  s->executor_ = std::make_unique<Executor>(std::max(4, 2 * config.pool_size));
  if (config.pipeline_connections > 0) {
    db::pg::PipelineOptions pipeline;
    pipeline.conninfo = config.database_url;
    pipeline.connections = config.pipeline_connections;
    pipeline.statement_cache = config.statement_cache;
    auto p = db::pg::Pipeline::Start(std::move(pipeline));
    if (!p.ok()) return p.status();
    s->pipeline_ = *std::move(p);
  }
  s->db_->SetAsync(s->pipeline_.get(), s->executor_.get());
  if (!config.read_database_url.empty()) {
    // Not waited for at start-up: reads go to the primary until the
    // replica answers.
    s->read_pool_ = std::make_unique<db::pg::Pool>(std::move(read_pool_options));
    s->db_->SetReadPool(s->read_pool_.get(), config.read_consistency_wait,
                        config.max_replica_lag_bytes);
  }
  s->db_->SetStatementObserver(
      [metrics = s->metrics_.get()](absl::string_view statement,
                                    absl::Duration elapsed,
                                    const absl::Status& status) {
        metrics->StatementRan(statement, elapsed, status);
      });
  HandlerOptions handler = config.handler;
  handler.admission = &s->admission_;
  s->drain_quiet_ = config.drain_quiet;
  s->drain_max_ = config.drain_max;
  std::vector<Binding> bindings;
  for (const ServiceDeclaration* d : declarations) {
    auto service = DeclaredService::Create(*d, *s->db_, handler);
    if (!service.ok()) return service.status();
    std::vector<std::string> statements;
    for (Binding& b : (*service)->Bindings()) {
      statements.push_back(std::string(b.statement.name()));
      bindings.push_back(std::move(b));
    }
    s->service_statements_.emplace_back((*service)->name(),
                                        std::move(statements));
    s->services_.push_back(*std::move(service));
  }
  std::vector<Binding> vetted = bindings;
  for (Binding& b : InternalBindings()) vetted.push_back(std::move(b));
  auto checked = Vet(*s->schema_, catalog, vetted);
  if (!checked.ok()) return checked.status();
  s->vetted_queries_ = *checked;
  s->db_->SetBindings(bindings);

  auto credentials = Credentials(config);
  if (!credentials.ok()) return credentials.status();
  if (!config.authz_policy_file.empty()) {
    if (config.tls_client_ca_file.empty()) {
      return absl::InvalidArgumentError(
          "AUTHZ_POLICY_FILE needs mutual TLS (TLS_CERT_FILE, TLS_KEY_FILE, "
          "TLS_CLIENT_CA_FILE): the policy's principals come from client "
          "certificates");
    }
    auto policy = AuthzPolicyWatcher::Start(config.authz_policy_file,
                                            config.authz_policy_refresh);
    if (!policy.ok()) return policy.status();
    log::Info("authorization policy loaded",
              {{"policy", (*policy)->current()->name()},
               {"file", config.authz_policy_file},
               {"refresh_seconds",
                absl::ToDoubleSeconds(config.authz_policy_refresh)}});
    (*credentials)
        ->SetAuthMetadataProcessor(
            MakeAuthzProcessor(*std::move(policy), s->metrics_.get()));
  }

  grpc::EnableDefaultHealthCheckService(true);
  // gRPC's health service is not built from our generated code: reference
  // health.proto's so that it is linked and reflection can describe it.
  grpc::health::v1::HealthCheckRequest::descriptor();
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  // protobuf's complaints about requests go to our log, rate-limited.
  static absl::once_flag protobuf_log;
  absl::call_once(protobuf_log, InstallProtobufLogHandler);
  grpc::ServerBuilder builder;
  // Without SO_REUSEPORT a second server on the same port fails to start
  // instead of silently sharing the port (and its calls) with the first.
  builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
  // Per-call bookkeeping nobody reads here (no channelz service is
  // registered).
  builder.AddChannelArgument(GRPC_ARG_ENABLE_CHANNELZ, 0);
  builder.SetMaxReceiveMessageSize(config.max_receive_message_bytes);
  auto ms = [](absl::Duration d) {
    return static_cast<int>(std::clamp<int64_t>(absl::ToInt64Milliseconds(d),
                                                1, INT32_MAX));
  };
  builder.AddChannelArgument(GRPC_ARG_MAX_CONNECTION_AGE_MS,
                             ms(config.max_connection_age));
  builder.AddChannelArgument(GRPC_ARG_MAX_CONNECTION_AGE_GRACE_MS,
                             ms(config.max_connection_age_grace));
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_TIME_MS,
                             ms(config.keepalive_time));
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_TIMEOUT_MS,
                             ms(config.keepalive_timeout));
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 1);
  // Clients may ping idle connections too, as often as every 20 s.
  builder.AddChannelArgument(
      GRPC_ARG_HTTP2_MIN_RECV_PING_INTERVAL_WITHOUT_DATA_MS, 20000);
  builder.AddListeningPort(config.listen, *credentials, &s->port_);
  for (auto& service : s->services_) builder.RegisterService(service.get());
  std::vector<
      std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>>
      interceptors;
  interceptors.push_back(MakeAdmissionInterceptorFactory(&s->admission_));
  interceptors.push_back(MakeMetricsInterceptorFactory(s->metrics_.get()));
  interceptors.push_back(MakeAccessLogInterceptorFactory());
  builder.experimental().SetInterceptorCreators(std::move(interceptors));
  s->server_ = builder.BuildAndStart();
  if (s->server_ == nullptr || s->port_ == 0) {
    return absl::UnavailableError(absl::StrCat(
        "cannot listen on ", config.listen,
        ": the port is taken (another server?) or the address is not this "
        "host's; set GRPC_LISTEN"));
  }
  if (!config.health_listen.empty()) {
    grpc::ServerBuilder health_builder;
    health_builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
    health_builder.AddListeningPort(config.health_listen,
                                    grpc::InsecureServerCredentials(),
                                    &s->health_port_);
    // No service registered: the default health service is its only one.
    s->health_server_ = health_builder.BuildAndStart();
    if (s->health_server_ == nullptr || s->health_port_ == 0) {
      s->server_->Shutdown();
      return absl::UnavailableError(
          absl::StrCat("cannot listen on ", config.health_listen,
                       ": the port is taken or the address is not this "
                       "host's; set HEALTH_LISTEN"));
    }
  }
  if (!config.metrics_listen.empty()) {
    ScrapeSources sources;
    sources.pool = s->pool_.get();
    sources.pipeline = s->pipeline_.get();
    sources.health = [raw = s.get()] {
      absl::MutexLock lock(&raw->health_mu_);
      return raw->health_;
    };
    sources.schema_version = [raw = s.get()] {
      return raw->schema_version_.load();
    };
    if (s->read_pool_ != nullptr) {
      sources.reads = [raw = s.get()] {
        const Database::ReadStats r = raw->db_->GetReadStats();
        ReadSample sample;
        sample.available = r.replica_available;
        sample.lag_bytes = r.replica_lag_bytes;
        sample.replica = r.replica_reads;
        sample.primary_lagging = r.primary_lagging;
        sample.primary_unavailable = r.primary_unavailable;
        return sample;
      };
    }
    if (absl::Status m = s->metrics_->Serve(config.metrics_listen, sources);
        !m.ok()) {
      s->server_->Shutdown();
      if (s->health_server_ != nullptr) s->health_server_->Shutdown();
      return m;
    }
  }
  // Readiness ("" and each data service) is NOT_SERVING until the first
  // successful database check; liveness is SERVING while the process runs.
  s->SetReadiness(false);
  for (grpc::Server* server : s->servers()) {
    server->GetHealthCheckService()->SetServingStatus(
        std::string(kLivenessService), true);
  }
  s->health_thread_ = std::thread([raw = s.get()] { raw->HealthLoop(); });
  log::Info("serving", {{"listen", config.listen},
                        {"port", s->port_},
                        {"pool_size", config.pool_size},
                        {"read_replica", !config.read_database_url.empty()},
                        {"pipeline_connections", config.pipeline_connections},
                        {"health_port", s->health_port_},
                        {"metrics_port", s->metrics_port()}});
  return s;
}

void DataServer::HealthLoop() {
  bool serving = false;
  bool first = true;
  do {
    db::pg::CallOptions options;
    options.deadline = absl::Now() + absl::Seconds(2);
    // One round trip: the schema version read is the database check.
    auto version = db_->SchemaVersion(options);
    const absl::Status s = version.status();
    if (s.ok()) {
      schema_version_ = *version;
      db_->RecheckMismatched(options).IgnoreError();
      // The replica's lag, and whether it is back (reads go to it again).
      db_->CheckReplica(options).IgnoreError();
    }
    if (s.ok() != serving || first) {
      serving = s.ok();
      first = false;
      if (serving) {
        log::Info("health: SERVING");
      } else {
        log::Warning("health: NOT_SERVING",
                     {{"error", std::string(s.message())}});
      }
    }
    SetReadiness(serving);
  } while (!stopping_.WaitForNotificationWithTimeout(health_interval_));
}

std::vector<grpc::Server*> DataServer::servers() const {
  std::vector<grpc::Server*> all = {server_.get()};
  if (health_server_ != nullptr) all.push_back(health_server_.get());
  return all;
}

void DataServer::SetReadiness(bool serving) {
  std::map<std::string, bool> reported = {{"", serving}};
  const absl::flat_hash_set<std::string> mismatched =
      db_ != nullptr ? db_->MismatchedStatements()
                     : absl::flat_hash_set<std::string>();
  for (const auto& [name, statements] : service_statements_) {
    bool fits = true;
    for (const std::string& st : statements)
      fits = fits && !mismatched.contains(st);
    reported[name] = serving && fits;
  }
  for (grpc::Server* server : servers()) {
    auto* health = server->GetHealthCheckService();
    for (const auto& [name, status] : reported) {
      health->SetServingStatus(name, status);
    }
  }
  absl::MutexLock lock(&health_mu_);
  health_ = std::move(reported);
}

void DataServer::Shutdown(absl::Duration grace) {
  {
    absl::MutexLock lock(&shutdown_mu_);
    if (shut_down_) return;
    shut_down_ = true;
  }
  log::Info("shutting down");
  stopping_.Notify();
  if (health_thread_.joinable()) health_thread_.join();
  for (grpc::Server* server : servers()) {
    server->GetHealthCheckService()->SetServingStatus(false);
  }
  // Lame duck: gRPC cancels a call that reaches a server whose shutdown has
  // begun (the caller sees CANCELLED), so callers are first turned away
  // with UNAVAILABLE until they stop coming.
  const absl::Time deadline = absl::Now() + grace;
  admission_.BeginDrain();
  admission_.AwaitQuiet(drain_quiet_, std::min(drain_max_, grace / 2));
  log::Info("draining done; stopping",
            {{"refused_calls", admission_.refused()}});
  // Clients that balance by health (round_robin with healthCheckConfig)
  // keep a Health/Watch stream open on every server, which gRPC's shutdown
  // would wait for until the grace is over. So: the running calls first,
  // then gRPC's shutdown, which ends the watches after a moment for a call
  // that raced the drain.
  admission_.AwaitIdle(deadline);
  server_->Shutdown(
      absl::ToChronoTime(std::min(deadline, absl::Now() + drain_quiet_)));
  server_->Wait();
  if (health_server_ != nullptr) health_server_->Shutdown();
  pool_->Close();
  if (read_pool_ != nullptr) read_pool_->Close();
  log::Info("stopped");
  stopped_.Notify();
}

void DataServer::Wait() { stopped_.WaitForNotification(); }

DataServer::~DataServer() {
  if (server_ != nullptr) Shutdown(absl::Seconds(1));
}

}  // namespace defifundr::server
