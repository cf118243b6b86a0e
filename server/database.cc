#include "server/database.h"

#include <algorithm>
#include <chrono>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "server/log/log.h"
#include "server/interceptors.h"
#include "server/status.h"

namespace defifundr::server {

db::pg::CallOptions CallOptionsFor(const grpc::ServerContextBase* context,
                                   absl::Duration max_timeout) {
  db::pg::CallOptions options;
  absl::Time deadline = absl::Now() + max_timeout;
  if (context != nullptr) {
    const auto d = context->deadline();
    if (d != std::chrono::system_clock::time_point::max()) {
      deadline = std::min(deadline, absl::FromChrono(d));
    }
    options.cancelled = [context] { return context->IsCancelled(); };
    options.application_name =
        DatabaseApplicationName(context->client_metadata());
  }
  options.deadline = deadline;
  return options;
}

absl::StatusOr<std::vector<db::pg::Param>> Database::Bind(
    absl::string_view statement, std::span<const ParamSource> sources,
    const ExtraParams& extras) const {
  const db::Statement* st = catalog_.Find(statement);
  const StatementInfo* info = schema_.statement(statement);
  if (st == nullptr || info == nullptr) {
    return absl::InternalError(absl::StrCat("unknown query ", statement));
  }
  return BindParams(*st, info->param_types, sources, extras);
}

absl::StatusOr<db::pg::Result> Database::RunOn(
    db::pg::Connection& conn, const db::pg::CallOptions& options,
    db::QueryName statement, std::span<const ParamSource> sources,
    const ExtraParams& extras) {
  auto params = Bind(statement, sources, extras);
  if (!params.ok()) return params.status();
  return Exec(conn, options, statement, *params);
}

absl::StatusOr<db::pg::Result> Database::Exec(
    db::pg::Connection& conn, const db::pg::CallOptions& options,
    absl::string_view statement, std::span<const db::pg::Param> params) {
  const db::Statement* st = catalog_.Find(statement);
  if (st == nullptr) {
    return absl::InternalError(absl::StrCat("unknown query ", statement));
  }
  // The RPC's log lines name the backend (pg_stat_activity.pid, %p in
  // PostgreSQL's log_line_prefix) its statements ran on.
  log::SetThreadContextField("backend_pid", conn.backend_pid());
  const absl::Time start = absl::Now();
  auto result =
      conn.ExecStatement(st->name, st->sql, params, options,
                         [this](db::pg::Connection& c, absl::string_view name) {
                           return CheckReprepared(c, name);
                         });
  if (statement_observer_) {
    statement_observer_(st->name, absl::Now() - start, result.status());
  }
  if (result.ok()) {
    if (absl::Status s = CheckShape(st->name, *result); !s.ok()) return s;
  }
  return result;
}

absl::StatusOr<int64_t> Database::SchemaVersion(
    const db::pg::CallOptions& options) {
  auto r = Run(options, db::queries::kSchemaVersion, {});
  if (!r.ok()) return r.status();
  auto row = r->SingleRow();
  if (!row.ok()) return row.status();
  return row->Get<int64_t>(0);
}

absl::Status Database::CheckReprepared(db::pg::Connection& conn,
                                       absl::string_view statement) {
  auto described = conn.Describe(statement);
  if (!described.ok()) return described.status();
  return CheckFits(statement, DescribeResult(*described));
}

absl::Status Database::CheckShape(absl::string_view statement,
                                  const db::pg::Result& result) {
  const StatementInfo* vetted = schema_.statement(statement);
  if (vetted == nullptr) return absl::OkStatus();
  const int n = result.columns();
  bool same = n == static_cast<int>(vetted->columns.size());
  for (int c = 0; same && c < n; ++c) {
    same = result.column_type(c) == vetted->columns[c].type;
  }
  // A command without a result set (INSERT without RETURNING) has none.
  if (same || (n == 0 && vetted->columns.empty())) return absl::OkStatus();
  StatementInfo now = DescribeResult(result);
  now.param_types = vetted->param_types;  // An executed result has none.
  return CheckFits(statement, now);
}

absl::Status Database::CheckFits(absl::string_view statement,
                                 const StatementInfo& info) {
  const db::Statement* st = catalog_.Find(statement);
  auto binding = bindings_.find(statement);
  if (st == nullptr || binding == bindings_.end()) return absl::OkStatus();
  std::vector<std::string> problems;
  VetStatement(schema_, *st, info, binding->second, &problems);
  absl::MutexLock lock(&mu_);
  if (problems.empty()) {
    if (mismatched_.erase(statement) > 0) {
      log::Info("query fits the schema again",
                {{"query", std::string(statement)}});
    }
    return absl::OkStatus();
  }
  if (mismatched_.insert(std::string(statement)).second) {
    log::Error("query no longer fits the schema; its service is NOT_SERVING",
               {{"query", std::string(statement)},
                {"problems", absl::StrJoin(problems, "; ")}});
  }
  return WithReason(absl::FailedPreconditionError(absl::StrCat(
                        "the database schema changed and ", statement,
                        " no longer fits it: ", absl::StrJoin(problems, "; "))),
                    "SCHEMA_MISMATCH");
}

void Database::SetBindings(std::span<const Binding> bindings) {
  for (const Binding& b : bindings) {
    bindings_.emplace(std::string(b.statement.name()), b);
  }
}

absl::Status Database::RecheckMismatched(const db::pg::CallOptions& options) {
  const absl::flat_hash_set<std::string> mismatched = MismatchedStatements();
  if (mismatched.empty()) return absl::OkStatus();
  auto conn = pool_.Acquire(options.deadline);
  if (!conn.ok()) return conn.status();
  for (const std::string& statement : mismatched) {
    const db::Statement* st = catalog_.Find(statement);
    if (st == nullptr) continue;
    auto described = (*conn)->DescribeSql(st->sql, options);
    if (!described.ok()) return described.status();
    CheckFits(statement, DescribeResult(*described)).IgnoreError();
  }
  return absl::OkStatus();
}

absl::flat_hash_set<std::string> Database::MismatchedStatements() const {
  absl::MutexLock lock(&mu_);
  return mismatched_;
}

absl::StatusOr<db::pg::Result> Database::Run(
    const db::pg::CallOptions& options, db::QueryName statement,
    std::span<const ParamSource> sources, const ExtraParams& extras,
    const ReadRoute& route) {
  // Bind first: bad input is rejected without taking a connection.
  auto params = Bind(statement, sources, extras);
  if (!params.ok()) return params.status();
  const db::Statement* st = catalog_.Find(statement);
  if (st != nullptr && UseReplica(*st, route)) {
    auto on_replica = RunOnReplica(options, *st, *params, route.min_lsn);
    if (on_replica.has_value()) return *std::move(on_replica);
  }
  auto conn = pool_.Acquire(options.deadline);
  if (!conn.ok()) return conn.status();
  return Exec(**conn, options, statement, *params);
}

absl::Status Database::FetchOne(const db::pg::CallOptions& options,
                                db::QueryName statement,
                                std::span<const ParamSource> sources,
                                google::protobuf::Message* out,
                                const ExtraParams& extras,
                                const ReadRoute& route) {
  auto result = Run(options, statement, sources, extras, route);
  if (!result.ok()) return result.status();
  auto row = result->SingleRow();
  if (!row.ok()) return row.status();
  return DecodeRow(*result, 0, out);
}

absl::StatusOr<int> Database::FetchMany(
    const db::pg::CallOptions& options, db::QueryName statement,
    std::span<const ParamSource> sources, const ExtraParams& extras,
    google::protobuf::Message* out,
    const google::protobuf::FieldDescriptor* field, const ReadRoute& route) {
  auto result = Run(options, statement, sources, extras, route);
  if (!result.ok()) return result.status();
  return DecodeRows(*result, out, field);
}

absl::StatusOr<int64_t> Database::Execute(const db::pg::CallOptions& options,
                                          db::QueryName statement,
                                          std::span<const ParamSource> sources,
                                          const ExtraParams& extras) {
  auto result = Run(options, statement, sources, extras);
  if (!result.ok()) return result.status();
  return result->affected_rows();
}

void Database::RunAsync(const db::pg::CallOptions& options,
                        db::QueryName statement,
                        std::span<const ParamSource> sources,
                        const ExtraParams& extras, ResultCallback done,
                        const ReadRoute& route) {
  // Bind first, on the caller's thread: bad input takes no connection.
  auto params = Bind(statement, sources, extras);
  if (!params.ok()) return done(params.status());
  const db::Statement* st = catalog_.Find(statement);
  if (UseReplica(*st, route)) {
    // Waiting for the replica blocks: on the executor.
    return executor_->Submit([this, options, st, params = *std::move(params),
                              min_lsn = route.min_lsn,
                              done = std::move(done)]() mutable {
      auto on_replica = RunOnReplica(options, *st, params, min_lsn);
      if (on_replica.has_value()) return done(*std::move(on_replica));
      PrimaryAsync(options, st, std::move(params), std::move(done));
    });
  }
  PrimaryAsync(options, st, *std::move(params), std::move(done));
}

void Database::PrimaryAsync(const db::pg::CallOptions& options,
                            const db::Statement* st,
                            std::vector<db::pg::Param> params,
                            ResultCallback done) {
  // Through the pool on the executor: the blocking path, with its
  // preparing again and checking.
  auto blocking = [this, options, st,
                   params](ResultCallback done) mutable {
    executor_->Submit([this, options, st, params = std::move(params),
                       done = std::move(done)] {
      auto conn = pool_.Acquire(options.deadline);
      if (!conn.ok()) return done(conn.status());
      done(Exec(**conn, options, st->name, params));
    });
  };
  if (pipeline_ == nullptr || OffPipeline(st->name)) {
    return blocking(std::move(done));
  }
  const absl::Time start = absl::Now();
  db::pg::PipelineStatement ps{st->name, st->sql, std::move(params)};
  pipeline_->Run(
      std::move(ps), options,
      [this, st, start, blocking = std::move(blocking),
       done = std::move(done)](absl::StatusOr<db::pg::Result> r) mutable {
        // Lost or stale on the pipeline (a schema change): from now on
        // through the pool, where preparing again is checked against the
        // statement's binding.
        if (!r.ok() &&
            (db::pg::IsStatementStateError(r.status()) ||
             db::pg::TaggedReasonOf(r.status()) == "STATEMENT_STATE_LOST")) {
          {
            absl::MutexLock lock(&mu_);
            off_pipeline_.insert(std::string(st->name));
          }
          return blocking(std::move(done));
        }
        if (statement_observer_) {
          statement_observer_(st->name, absl::Now() - start, r.status());
        }
        if (r.ok()) {
          if (absl::Status s = CheckShape(st->name, *r); !s.ok()) {
            return done(s);
          }
        }
        done(std::move(r));
      });
}

bool Database::OffPipeline(absl::string_view statement) const {
  absl::MutexLock lock(&mu_);
  return off_pipeline_.contains(statement);
}

void Database::FetchOneAsync(const db::pg::CallOptions& options,
                             db::QueryName statement,
                             std::span<const ParamSource> sources,
                             google::protobuf::Message* out,
                             StatusCallback done, const ReadRoute& route) {
  RunAsync(
      options, statement, sources, {},
      [out, done = std::move(done)](absl::StatusOr<db::pg::Result> r) {
        if (!r.ok()) return done(r.status());
        auto row = r->SingleRow();
        if (!row.ok()) return done(row.status());
        done(DecodeRow(*r, 0, out));
      },
      route);
}

void Database::FetchManyAsync(const db::pg::CallOptions& options,
                              db::QueryName statement,
                              std::span<const ParamSource> sources,
                              const ExtraParams& extras,
                              google::protobuf::Message* out,
                              const google::protobuf::FieldDescriptor* field,
                              RowsCallback done, const ReadRoute& route) {
  RunAsync(
      options, statement, sources, extras,
      [out, field, done = std::move(done)](absl::StatusOr<db::pg::Result> r) {
        if (!r.ok()) return done(r.status());
        done(DecodeRows(*r, out, field));
      },
      route);
}

// ---------------------------------------------------------------------------
// Read routing

absl::Status CheckConsistencyToken(absl::string_view token) {
  const size_t slash = token.find('/');
  auto hex = [](absl::string_view part) {
    if (part.empty() || part.size() > 8) return false;
    for (char c : part) {
      if (!absl::ascii_isxdigit(c)) return false;
    }
    return true;
  };
  if (slash == absl::string_view::npos || !hex(token.substr(0, slash)) ||
      !hex(token.substr(slash + 1))) {
    return absl::InvalidArgumentError(absl::StrCat(
        "metadata ", kConsistencyTokenKey,
        ": not a consistency token (a WAL position such as 16/B374D848, as "
        "a write's response metadata carries it)"));
  }
  return absl::OkStatus();
}

void Database::SetReadPool(db::pg::Pool* pool, absl::Duration consistency_wait,
                           int64_t max_lag_bytes, absl::Duration retry_after) {
  read_pool_ = pool;
  consistency_wait_ = consistency_wait;
  max_lag_bytes_ = max_lag_bytes;
  replica_retry_after_ = retry_after;
}

bool Database::UseReplica(const db::Statement& statement,
                          const ReadRoute& route) {
  if (!route.replica || read_pool_ == nullptr || !statement.read_only ||
      absl::ToUnixNanos(absl::Now()) < replica_down_until_.load()) {
    return false;
  }
  // A token says exactly how far the replica must be; without one, a
  // replica too far behind is not asked.
  if (route.min_lsn.empty() && max_lag_bytes_ > 0 &&
      replica_lag_bytes_.load() > max_lag_bytes_) {
    primary_lagging_.fetch_add(1, std::memory_order_relaxed);
    return false;
  }
  return true;
}

void Database::ReplicaFailed(const absl::Status& status) {
  const int64_t now = absl::ToUnixNanos(absl::Now());
  const int64_t was = replica_down_until_.exchange(
      now + absl::ToInt64Nanoseconds(replica_retry_after_));
  if (was <= now) {
    log::Warning("read replica unavailable; reads go to the primary",
                 {{"error", std::string(status.message())},
                  {"retry_after_seconds",
                   absl::ToDoubleSeconds(replica_retry_after_)}});
  }
}

std::optional<absl::StatusOr<db::pg::Result>> Database::RunOnReplica(
    const db::pg::CallOptions& options, const db::Statement& statement,
    std::span<const db::pg::Param> params, const std::string& min_lsn) {
  const absl::Time wait_until =
      std::min(options.deadline, absl::Now() + consistency_wait_);
  auto conn = read_pool_->Acquire(wait_until);
  if (!conn.ok()) {
    if (conn.status().code() == absl::StatusCode::kUnavailable &&
        absl::Now() < wait_until) {
      ReplicaFailed(conn.status());  // Not merely busy: unreachable.
    }
    primary_unavailable_.fetch_add(1, std::memory_order_relaxed);
    return std::nullopt;
  }
  if (!min_lsn.empty()) {
    // The check and the read on one connection: with several replicas
    // behind one address, the one that has caught up is the one that reads.
    const db::pg::Param lsn[] = {min_lsn};
    const db::Statement* check = catalog_.Find(db::queries::kReplicaCaughtUp.name());
    while (true) {
      auto r = (*conn)->ExecStatement(check->name, check->sql, lsn, options);
      if (!r.ok() || r->rows() != 1) {
        if (!r.ok() && r.status().code() == absl::StatusCode::kUnavailable) {
          ReplicaFailed(r.status());
        }
        primary_unavailable_.fetch_add(1, std::memory_order_relaxed);
        return std::nullopt;
      }
      auto caught_up = r->row(0).Get<bool>(0);
      if (caught_up.ok() && *caught_up) break;
      if (absl::Now() >= wait_until) {
        primary_lagging_.fetch_add(1, std::memory_order_relaxed);
        return std::nullopt;
      }
      absl::SleepFor(absl::Milliseconds(2));
    }
  }
  auto result = Exec(**conn, options, statement.name, params);
  if (!result.ok() && absl::Now() < options.deadline) {
    // The replica's connection failed (or it is shutting down), or it
    // cancelled the read in a conflict with recovery (40001): a read is
    // safe to run again, on the primary.
    if (result.status().code() == absl::StatusCode::kUnavailable) {
      ReplicaFailed(result.status());
      primary_unavailable_.fetch_add(1, std::memory_order_relaxed);
      return std::nullopt;
    }
    if (result.status().code() == absl::StatusCode::kAborted) {
      primary_lagging_.fetch_add(1, std::memory_order_relaxed);
      return std::nullopt;
    }
  }
  replica_reads_.fetch_add(1, std::memory_order_relaxed);
  return result;
}

absl::StatusOr<std::string> Database::CurrentWalLsn(
    const db::pg::CallOptions& options) {
  auto r = Run(options, db::queries::kCurrentWalLsn, {});
  if (!r.ok()) return r.status();
  auto row = r->SingleRow();
  if (!row.ok()) return row.status();
  return row->Get<std::string>(0);
}

void Database::CurrentWalLsnAsync(
    const db::pg::CallOptions& options,
    std::function<void(absl::StatusOr<std::string>)> done) {
  RunAsync(options, db::queries::kCurrentWalLsn, {}, {},
           [done = std::move(done)](absl::StatusOr<db::pg::Result> r) {
             if (!r.ok()) return done(r.status());
             auto row = r->SingleRow();
             if (!row.ok()) return done(row.status());
             done(row->Get<std::string>(0));
           });
}

absl::Status Database::CheckReplica(const db::pg::CallOptions& options) {
  if (read_pool_ == nullptr) return absl::OkStatus();
  auto lsn = CurrentWalLsn(options);
  if (!lsn.ok()) return lsn.status();
  auto conn = read_pool_->Acquire(options.deadline);
  if (!conn.ok()) {
    ReplicaFailed(conn.status());
    return conn.status();
  }
  const db::Statement* st = catalog_.Find(db::queries::kReplicaLagBytes.name());
  const db::pg::Param params[] = {*lsn};
  auto r = (*conn)->ExecStatement(st->name, st->sql, params, options);
  if (!r.ok()) {
    ReplicaFailed(r.status());
    return r.status();
  }
  auto row = r->SingleRow();
  if (!row.ok()) return row.status();
  auto lag = row->Get<int64_t>(0);
  if (!lag.ok()) return lag.status();
  replica_lag_bytes_ = *lag;
  if (replica_down_until_.exchange(0) > absl::ToUnixNanos(absl::Now())) {
    log::Info("read replica reachable again; reads go to it",
              {{"lag_bytes", *lag}});
  }
  return absl::OkStatus();
}

Database::ReadStats Database::GetReadStats() const {
  ReadStats stats;
  stats.replica_configured = read_pool_ != nullptr;
  stats.replica_available =
      read_pool_ != nullptr &&
      absl::ToUnixNanos(absl::Now()) >= replica_down_until_.load();
  stats.replica_lag_bytes = replica_lag_bytes_.load();
  stats.replica_reads = replica_reads_.load();
  stats.primary_lagging = primary_lagging_.load();
  stats.primary_unavailable = primary_unavailable_.load();
  return stats;
}

}  // namespace defifundr::server
