// Runs the named queries of db/queries/ for the gRPC handlers: borrows a
// pooled connection under the RPC's deadline, binds parameters by name from
// request messages, maps rows to messages. The only path from a handler to
// the database.
#ifndef DEFIFUNDR_SERVER_DATABASE_H_
#define DEFIFUNDR_SERVER_DATABASE_H_

#include <google/protobuf/message.h>
#include <grpcpp/server_context.h>

#include <atomic>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <span>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "db/pg/connection.h"
#include "db/pg/pipeline.h"
#include "db/pg/pool.h"
#include "db/pg/transaction.h"
#include "db/query_catalog.h"
#include "db/query_name.h"
#include "server/codec.h"
#include "server/executor.h"
#include "server/schema.h"

namespace defifundr::server {

/// The call options of an RPC: its deadline (capped at `max_timeout` from
/// now, also when the client set none) and its cancellation.
db::pg::CallOptions CallOptionsFor(const grpc::ServerContextBase* context,
                                   absl::Duration max_timeout);

/// The request and response metadata key of the consistency token: the
/// primary's WAL position after a write (CurrentWalLsn, "16/B374D848"),
/// sent on every write's response while reads go to a replica
/// (DATABASE_READ_URL); a read that sends it back sees that write.
inline constexpr char kConsistencyTokenKey[] = "defifundr-consistency-token";

/// INVALID_ARGUMENT naming the metadata key unless `token` is a WAL
/// position as PostgreSQL prints a pg_lsn: two hexadecimal numbers of 1 to
/// 8 digits joined by '/'.
absl::Status CheckConsistencyToken(absl::string_view token);

/// Where a read-only statement may run. The default: the primary.
struct ReadRoute {
  /// The read pool (DATABASE_READ_URL) may serve it: a read-only RPC.
  bool replica = false;
  /// The caller's consistency token (CheckConsistencyToken), or "": a
  /// replica serves the read only once it has replayed the WAL this far.
  std::string min_lsn;
};

class Database {
 public:
  /// `pool`, `catalog` and `schema` must outlive this object.
  Database(db::pg::Pool& pool, const db::QueryCatalog& catalog,
           const Schema& schema)
      : pool_(pool), catalog_(catalog), schema_(schema) {}

  /// Runs `statement` on a pooled connection and returns its raw result.
  /// Errors: INVALID_ARGUMENT from binding (see BindParams), UNAVAILABLE
  /// when no connection frees before the deadline, DEADLINE_EXCEEDED /
  /// CANCELLED (statement cancelled on the server), and the SQLSTATE
  /// classification of db/pg/error.h.
  ///
  /// With `route.replica`, a statement that writes nothing
  /// (db::Statement::read_only) runs on the read pool when one is set
  /// (SetReadPool) and the replica can serve it: reachable; for a
  /// `route.min_lsn`, caught up with it within the consistency wait; without
  /// one, no further behind than the read pool's max_lag_bytes. Else,
  /// and when the replica's connection fails, it runs on the primary: a
  /// replica that lags or is down costs time, never an error.
  absl::StatusOr<db::pg::Result> Run(const db::pg::CallOptions& options,
                                     db::QueryName statement,
                                     std::span<const ParamSource> sources,
                                     const ExtraParams& extras = {},
                                     const ReadRoute& route = {});
  /// The same on a given connection (inside a transaction).
  absl::StatusOr<db::pg::Result> RunOn(db::pg::Connection& conn,
                                       const db::pg::CallOptions& options,
                                       db::QueryName statement,
                                       std::span<const ParamSource> sources,
                                       const ExtraParams& extras = {});

  /// Runs a `:one` statement and fills `out` from its row. NOT_FOUND when
  /// it returns no row.
  absl::Status FetchOne(const db::pg::CallOptions& options,
                        db::QueryName statement,
                        std::span<const ParamSource> sources,
                        google::protobuf::Message* out,
                        const ExtraParams& extras = {},
                        const ReadRoute& route = {});

  /// Runs a statement and appends one message per row to the repeated
  /// message field `field` of `out`. Returns the number of rows.
  absl::StatusOr<int> FetchMany(const db::pg::CallOptions& options,
                                db::QueryName statement,
                                std::span<const ParamSource> sources,
                                const ExtraParams& extras,
                                google::protobuf::Message* out,
                                const google::protobuf::FieldDescriptor* field,
                                const ReadRoute& route = {});

  /// Runs an `:exec`/`:execrows` statement; returns the affected rows.
  absl::StatusOr<int64_t> Execute(const db::pg::CallOptions& options,
                                  db::QueryName statement,
                                  std::span<const ParamSource> sources,
                                  const ExtraParams& extras = {});

  /// Results of the asynchronous calls below, delivered on the database
  /// pipeline's thread or the executor's: they must not block.
  using ResultCallback = std::function<void(absl::StatusOr<db::pg::Result>)>;
  using StatusCallback = std::function<void(absl::Status)>;
  using RowsCallback = std::function<void(absl::StatusOr<int>)>;

  /// Where the asynchronous calls run: on `pipeline` (libpq pipeline mode;
  /// a statement whose prepared form was lost or went stale is prepared
  /// again and checked on `executor` through the pool, like Run), or, when
  /// `pipeline` is null, on `executor` through the pool. Both must outlive
  /// this object; call once, before serving.
  void SetAsync(db::pg::Pipeline* pipeline, Executor* executor) {
    pipeline_ = pipeline;
    executor_ = executor;
  }
  /// Runs `statement` through the pool, never on the pipeline: for a
  /// statement that may run long (a search), which on a pipeline connection
  /// would hold up every statement queued behind it.
  void KeepOffPipeline(db::QueryName statement) {
    absl::MutexLock lock(&mu_);
    off_pipeline_.insert(std::string(statement.name()));
  }
  /// Run, FetchOne and FetchMany without blocking the caller: the same
  /// outcomes, given to `done` (exactly once; `out` and the messages behind
  /// `sources` must live until then).
  /// `route` as for Run (a replica's statements run on the executor).
  void RunAsync(const db::pg::CallOptions& options, db::QueryName statement,
                std::span<const ParamSource> sources, const ExtraParams& extras,
                ResultCallback done, const ReadRoute& route = {});
  void FetchOneAsync(const db::pg::CallOptions& options,
                     db::QueryName statement,
                     std::span<const ParamSource> sources,
                     google::protobuf::Message* out, StatusCallback done,
                     const ReadRoute& route = {});
  void FetchManyAsync(const db::pg::CallOptions& options,
                      db::QueryName statement,
                      std::span<const ParamSource> sources,
                      const ExtraParams& extras, google::protobuf::Message* out,
                      const google::protobuf::FieldDescriptor* field,
                      RowsCallback done, const ReadRoute& route = {});

  /// Sends read-only statements of read-only RPCs (ReadRoute::replica) to
  /// `pool`, connected to a streaming replica (DATABASE_READ_URL). A read
  /// that carries a consistency token waits up to `consistency_wait` for
  /// the replica to replay that far (polling ReplicaCaughtUp on the
  /// connection that then runs it), then goes to the primary. A replica
  /// whose connection fails is skipped for `retry_after` (reads go to the
  /// primary), then tried again. A read without a token goes to the
  /// primary while the replica's lag, as CheckReplica last measured it, is
  /// over `max_lag_bytes` of WAL (0: no limit). `pool` must outlive this
  /// object; call once, before serving.
  void SetReadPool(db::pg::Pool* pool, absl::Duration consistency_wait,
                   int64_t max_lag_bytes = 0,
                   absl::Duration retry_after = absl::Seconds(1));
  /// Whether reads may go to a replica (SetReadPool was called): then
  /// every write's response carries a consistency token.
  bool has_read_pool() const { return read_pool_ != nullptr; }
  /// The primary's WAL position now (CurrentWalLsn, "16/B374D848"): read
  /// after a write committed, its consistency token. Errors: those of Run.
  absl::StatusOr<std::string> CurrentWalLsn(const db::pg::CallOptions& options);
  void CurrentWalLsnAsync(
      const db::pg::CallOptions& options,
      std::function<void(absl::StatusOr<std::string>)> done);
  /// Measures how far the replica's replay is behind the primary (bytes of
  /// WAL, ReplicaLagBytes) and whether it answers; a replica found
  /// reachable again takes reads at once. For the health loop.
  absl::Status CheckReplica(const db::pg::CallOptions& options);

  /// Read routing since start-up, for the metrics.
  struct ReadStats {
    bool replica_configured = false;
    bool replica_available = false;  ///< Its last connection worked.
    int64_t replica_lag_bytes = 0;   ///< As of the last CheckReplica.
    int64_t replica_reads = 0;       ///< Statements the replica served.
    /// Read-only statements sent to the primary instead: the replica had
    /// not caught up with the caller's token within the wait, or (reads
    /// without a token) was more than max_lag_bytes behind ...
    int64_t primary_lagging = 0;
    /// ... or was unreachable (or its connection failed).
    int64_t primary_unavailable = 0;
  };
  ReadStats GetReadStats() const;

  /// How the handlers use each statement; a statement prepared again after a
  /// schema change (see db::pg::Connection::ExecStatement) is checked against
  /// its binding. Call once, before serving.
  void SetBindings(std::span<const Binding> bindings);
  /// The statements whose last re-preparation no longer fit their binding
  /// (their RPCs answer FAILED_PRECONDITION until one fits again).
  absl::flat_hash_set<std::string> MismatchedStatements() const;
  /// Describes each mismatched statement afresh (the unnamed statement, on
  /// a pooled connection) and forgets those that fit again, so that a
  /// service recovers when the schema is put right even if no call comes.
  /// Errors are those of Pool::Acquire and the describe.
  absl::Status RecheckMismatched(const db::pg::CallOptions& options);

  /// The newest migration version applied (query SchemaVersion): one round
  /// trip, also the health service's database check.
  absl::StatusOr<int64_t> SchemaVersion(const db::pg::CallOptions& options);

  /// Called after every statement with its query name, duration and
  /// outcome (metrics). Set before serving; must be thread-safe.
  using StatementObserver = std::function<void(
      absl::string_view statement, absl::Duration, const absl::Status&)>;
  void SetStatementObserver(StatementObserver observer) {
    statement_observer_ = std::move(observer);
  }

  /// Whether `statement` writes nothing (db::Statement::read_only); false
  /// for an unknown one.
  bool IsReadOnly(db::QueryName statement) const {
    const db::Statement* st = catalog_.Find(statement.name());
    return st != nullptr && st->read_only;
  }

  db::pg::Pool& pool() { return pool_; }
  const Schema& schema() const { return schema_; }

 private:
  absl::StatusOr<std::vector<db::pg::Param>> Bind(
      absl::string_view statement, std::span<const ParamSource> sources,
      const ExtraParams& extras) const;

  // Runs `statement` on `conn` (see ExecStatement), checking a re-prepared
  // statement against its binding.
  absl::StatusOr<db::pg::Result> Exec(db::pg::Connection& conn,
                                      const db::pg::CallOptions& options,
                                      absl::string_view statement,
                                      std::span<const db::pg::Param> params);
  // The RepreparedCheck: FAILED_PRECONDITION naming the query and each
  // mismatch when the statement no longer fits its binding.
  absl::Status CheckReprepared(db::pg::Connection& conn,
                               absl::string_view statement);
  // Records whether `info` (the statement as the server now sees it) fits
  // its binding; FAILED_PRECONDITION if not.
  absl::Status CheckFits(absl::string_view statement,
                         const StatementInfo& info);
  // Whether `result` of `statement` has the columns it was vetted with at
  // start-up (same count, same type OIDs); when not, whether its columns
  // still fit the statement's binding (CheckFits). A statement prepared
  // for the first time on a connection opened after a schema change is
  // checked here, before any of its rows is decoded. FAILED_PRECONDITION
  // (SCHEMA_MISMATCH) when they no longer fit.
  absl::Status CheckShape(absl::string_view statement,
                          const db::pg::Result& result);

  // The statement on the read pool, if the replica can serve it now;
  // nullopt: run it on the primary (see Run).
  std::optional<absl::StatusOr<db::pg::Result>> RunOnReplica(
      const db::pg::CallOptions& options, const db::Statement& statement,
      std::span<const db::pg::Param> params, const std::string& min_lsn);
  // Whether the replica is tried for `statement` (counting a read sent to
  // the primary because the replica lags too far).
  bool UseReplica(const db::Statement& statement, const ReadRoute& route);
  // The replica's connection failed: reads skip it for retry_after_.
  void ReplicaFailed(const absl::Status& status);
  // The primary's path of RunAsync (pipeline, or pool on the executor).
  void PrimaryAsync(const db::pg::CallOptions& options,
                    const db::Statement* statement,
                    std::vector<db::pg::Param> params, ResultCallback done);

  db::pg::Pool& pool_;
  const db::QueryCatalog& catalog_;
  const Schema& schema_;
  absl::flat_hash_map<std::string, Binding> bindings_;
  StatementObserver statement_observer_;
  db::pg::Pipeline* pipeline_ = nullptr;
  Executor* executor_ = nullptr;
  mutable absl::Mutex mu_;
  absl::flat_hash_set<std::string> mismatched_ ABSL_GUARDED_BY(mu_);
  // Statements the pipeline does not run (long-running ones, or lost or
  // stale there): they run through the pool until the process restarts.
  absl::flat_hash_set<std::string> off_pipeline_ ABSL_GUARDED_BY(mu_);
  bool OffPipeline(absl::string_view statement) const;

  db::pg::Pool* read_pool_ = nullptr;
  absl::Duration consistency_wait_;
  absl::Duration replica_retry_after_;
  int64_t max_lag_bytes_ = 0;
  // Until when reads skip the replica (absl::ToUnixNanos); 0: they don't.
  std::atomic<int64_t> replica_down_until_{0};
  std::atomic<int64_t> replica_lag_bytes_{0};
  std::atomic<int64_t> replica_reads_{0};
  std::atomic<int64_t> primary_lagging_{0};
  std::atomic<int64_t> primary_unavailable_{0};
};

}  // namespace defifundr::server

#endif  // DEFIFUNDR_SERVER_DATABASE_H_
