// The DefiFundr data gRPC server: pool, vetted queries, the six table
// services, gRPC health and reflection, request logging.
#ifndef DEFIFUNDR_SERVER_SERVER_H_
#define DEFIFUNDR_SERVER_SERVER_H_

#include <grpcpp/server.h>

#include <atomic>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "db/pg/pool.h"
#include "server/database.h"
#include "server/metrics.h"
#include "server/table.h"

namespace defifundr::server {

/// Health service name that stays SERVING while the process runs (for a
/// liveness probe); "" and each data service's name report readiness
/// (SERVING only while the database answers).
inline constexpr absl::string_view kLivenessService = "liveness";

struct ServerConfig {
  /// libpq URI or key=value string (DATABASE_URL).
  std::string database_url;
  /// libpq URI of a streaming replica, or of a read-only service in front
  /// of several (DATABASE_READ_URL; CloudNativePG's `<cluster>-ro`). When
  /// set, the read-only RPCs (Get, List, and the domain lookups, counts and
  /// searches whose query is a plain SELECT) read there, and every write's
  /// response carries a consistency token (kConsistencyTokenKey) that a
  /// later read presents to see the write (Database::SetReadPool). Empty:
  /// everything on the primary.
  std::string read_database_url;
  /// Most connections to read_database_url (DB_READ_POOL_SIZE).
  int read_pool_size = 10;
  /// How long a read with a consistency token waits for the replica to
  /// replay that far before the primary serves it
  /// (READ_CONSISTENCY_WAIT_MS).
  absl::Duration read_consistency_wait = absl::Milliseconds(500);
  /// Reads without a consistency token go to the primary while the
  /// replica's replay is more than this many bytes of WAL behind the
  /// primary (MAX_REPLICA_LAG_BYTES; measured by the health loop every
  /// health_interval); 0: no limit.
  int64_t max_replica_lag_bytes = 16 * 1024 * 1024;
  /// host:port to listen on (GRPC_LISTEN); port 0 picks a free port.
  std::string listen = "0.0.0.0:50051";
  /// Most database connections (DB_POOL_SIZE).
  int pool_size = 10;
  HandlerOptions handler;
  /// Largest request message the server takes, in bytes
  /// (MAX_RECEIVE_MESSAGE_BYTES). A larger one is RESOURCE_EXHAUSTED from
  /// gRPC before any handler runs. 2 MiB: the largest valid request (a
  /// session with two 16 KiB OAuth tokens) is under 40 KiB, and every
  /// request up to this size that breaks a field's limit gets
  /// INVALID_ARGUMENT naming the field.
  int max_receive_message_bytes = 2 * 1024 * 1024;
  /// How long a client connection lives (MAX_CONNECTION_AGE_SECONDS): then
  /// the server sends GOAWAY, the client reconnects (through its load
  /// balancer or resolver), and replicas added since get their share of
  /// long-lived clients. gRPC adds +-10% jitter.
  absl::Duration max_connection_age = absl::Minutes(5);
  /// How long calls running on a connection past its age may go on before
  /// it is closed (MAX_CONNECTION_AGE_GRACE_SECONDS); by default the
  /// longest RPC (HandlerOptions::max_rpc_timeout) plus 5 s.
  absl::Duration max_connection_age_grace = absl::Seconds(35);
  /// Keepalive pings on idle connections (KEEPALIVE_TIME_SECONDS): often
  /// enough that NATs and load balancers (which drop idle flows after 350 s
  /// and more) keep the connection; a ping not answered within
  /// keepalive_timeout closes it.
  absl::Duration keepalive_time = absl::Seconds(60);
  absl::Duration keepalive_timeout = absl::Seconds(20);
  /// How often the health service checks the database.
  absl::Duration health_interval = absl::Seconds(2);
  /// How long start-up waits for the database to accept connections.
  absl::Duration startup_timeout = absl::Seconds(30);
  /// Connections of the database pipeline (DB_PIPELINE_CONNECTIONS): when
  /// > 0, the standard Create/Get/List methods run their statements through
  /// db::pg::Pipeline (libpq pipeline mode, one event-loop thread, many
  /// statements in flight per connection) instead of one pooled connection
  /// each; 0 turns it off (they then run through the pool, on the
  /// executor's threads). The pool (pool_size) still serves everything
  /// else: transactions and the domain methods.
  int pipeline_connections = 2;
  /// How pooled connections run the queries (DB_STATEMENT_CACHE): kPrepared
  /// (named prepared statements, for a direct connection or a session-mode
  /// pooler) or kNone (unnamed statements, for a transaction-mode pooler
  /// such as PgBouncer's pool_mode=transaction).
  db::pg::StatementCache statement_cache = db::pg::StatementCache::kPrepared;
  /// host:port of the Prometheus `/metrics` endpoint (METRICS_LISTEN); port
  /// 0 picks a free port; empty serves no metrics.
  std::string metrics_listen = "0.0.0.0:9464";
  /// host:port of a second, plaintext gRPC port that serves only
  /// grpc.health.v1.Health, with the same statuses as the main port
  /// (HEALTH_LISTEN), for probes that cannot present a client certificate
  /// (the kubelet's gRPC probes speak plaintext only). Other services there
  /// answer UNIMPLEMENTED. Port 0 picks a free port; empty: none.
  std::string health_listen;
  /// PEM files for TLS (both or neither); plaintext when empty.
  std::string tls_cert_file;
  std::string tls_key_file;
  /// PEM file of the CA(s) client certificates must chain to
  /// (TLS_CLIENT_CA_FILE). When set (TLS required), every client must
  /// present a certificate that verifies against it (mutual TLS); a client
  /// without one fails the handshake (UNAVAILABLE on its side).
  std::string tls_client_ca_file;
  /// File of the authorization policy, in gRPC's authorization JSON format
  /// (AUTHZ_POLICY_FILE; see server/authz.h). Needs tls_client_ca_file.
  /// Empty: every caller may call every RPC.
  std::string authz_policy_file;
  /// How often the policy file is read again (AUTHZ_POLICY_REFRESH_SECONDS):
  /// a changed, valid file is in force from the next read; a bad one is
  /// logged and the previous policy stays.
  absl::Duration authz_policy_refresh = absl::Seconds(5);
  /// Shutdown's lame-duck phase (server/admission.h): health turns
  /// NOT_SERVING and every new call is answered UNAVAILABLE (reason
  /// SHUTTING_DOWN) while running calls go on. It ends once no call has
  /// arrived for `drain_quiet` (callers have moved elsewhere), or after
  /// `drain_max` (at most half of Shutdown's grace); then gRPC's shutdown
  /// stops the listener and waits for the running calls.
  absl::Duration drain_quiet = absl::Milliseconds(250);
  absl::Duration drain_max = absl::Seconds(5);
};

/// Whether `listen` ("host:port") binds only the loopback interface
/// (localhost, 127.0.0.0/8, [::1]).
bool IsLoopbackListen(absl::string_view listen);

class DataServer {
 public:
  /// Connects to the database, prepares and vets every query (failing with
  /// the bad query's name), then starts serving. UNAVAILABLE if the database
  /// cannot be reached within startup_timeout; INVALID_ARGUMENT if the
  /// queries do not match the schema; FAILED_PRECONDITION if the schema is
  /// not migrated.
  static absl::StatusOr<std::unique_ptr<DataServer>> Start(
      const ServerConfig& config);
  ~DataServer();

  /// The port actually bound (useful with port 0).
  int port() const { return port_; }
  /// How many named queries start-up vetting checked, parameters and result
  /// columns (every one the service embeds; see Vet).
  int vetted_queries() const { return vetted_queries_; }
  /// Drains and stops: health NOT_SERVING; the lame-duck phase (new calls
  /// get UNAVAILABLE, see ServerConfig::drain_quiet); then stops accepting
  /// connections and lets in-flight RPCs finish within what is left of
  /// `grace` (then cancels them); stops the health checker and closes the
  /// pool. Idempotent.
  void Shutdown(absl::Duration grace = absl::Seconds(10));
  /// Blocks until Shutdown has completed.
  void Wait();

  db::pg::Pool& pool() { return *pool_; }
  /// The port of the health-only plaintext port (health_listen); 0 if none.
  int health_port() const { return health_port_; }
  /// The port `/metrics` is served on; 0 when metrics are off.
  int metrics_port() const {
    return metrics_ != nullptr ? metrics_->port() : 0;
  }

 private:
  DataServer() = default;
  void HealthLoop();
  // Readiness of "" and of each data service: the database answers and, for
  // a service, none of its queries was found not to fit the schema.
  void SetReadiness(bool serving);
  // The main server and the health-only one, if any.
  std::vector<grpc::Server*> servers() const;

  // Whether handlers still take calls; outlives the services.
  Admission admission_;
  absl::Duration drain_quiet_, drain_max_;
  std::unique_ptr<Metrics> metrics_;
  std::unique_ptr<db::pg::Pool> pool_;
  // Connections to the read replica (read_database_url), or null.
  std::unique_ptr<db::pg::Pool> read_pool_;
  std::unique_ptr<Schema> schema_;
  std::unique_ptr<Database> db_;
  // Where the callback handlers' statements run (Database::SetAsync).
  std::unique_ptr<db::pg::Pipeline> pipeline_;
  std::unique_ptr<Executor> executor_;
  std::vector<std::unique_ptr<grpc::Service>> services_;
  // Each data service's full name and the statements its handlers run.
  std::vector<std::pair<std::string, std::vector<std::string>>>
      service_statements_;
  std::unique_ptr<grpc::Server> server_;
  int port_ = 0;
  int vetted_queries_ = 0;
  // The health-only plaintext server (health_listen), or null.
  std::unique_ptr<grpc::Server> health_server_;
  int health_port_ = 0;
  absl::Duration health_interval_;
  // What the health service last reported, per service ("" included), and
  // the schema version last read: for the metrics.
  mutable absl::Mutex health_mu_;
  std::map<std::string, bool> health_ ABSL_GUARDED_BY(health_mu_);
  std::atomic<int64_t> schema_version_{0};
  std::thread health_thread_;
  absl::Notification stopping_;
  absl::Notification stopped_;
  absl::Mutex shutdown_mu_;
  bool shut_down_ ABSL_GUARDED_BY(shutdown_mu_) = false;
};

}  // namespace defifundr::server

#endif  // DEFIFUNDR_SERVER_SERVER_H_
