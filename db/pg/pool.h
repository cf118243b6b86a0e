// The bounded connection pool: the only way to a database connection.
#ifndef DEFIFUNDR_DB_PG_POOL_H_
#define DEFIFUNDR_DB_PG_POOL_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "db/pg/connection.h"

namespace defifundr::db::pg {

struct PoolOptions {
  /// libpq connection string or URI.
  std::string conninfo;
  /// Most connections open at once (idle + in use). Must be >= 1.
  int max_size = 10;
  /// How new connections run named statements (Connection::ExecStatement).
  StatementCache statement_cache = StatementCache::kPrepared;
  /// Called after every Acquire, successful or not, with how long it took
  /// (waiting for a free connection, and opening one). May be empty; must
  /// be thread-safe.
  std::function<void(absl::Duration)> on_acquire;
  /// Runs on every new connection before first use (e.g. to prepare the
  /// service's statements). A failure discards the connection and fails the
  /// Acquire that opened it.
  std::function<absl::Status(Connection&, absl::Time deadline)> on_connect;
};

class Pool;

/// A connection borrowed from a Pool: move-only; returns the connection on
/// destruction. A connection that is broken or still inside a transaction
/// is closed instead of being reused.
class PooledConnection {
 public:
  PooledConnection(Pool* pool, std::unique_ptr<Connection> conn)
      : pool_(pool), conn_(std::move(conn)) {}
  PooledConnection(PooledConnection&&) = default;
  PooledConnection& operator=(PooledConnection&& other) noexcept;
  ~PooledConnection();

  Connection& operator*() const { return *conn_; }
  Connection* operator->() const { return conn_.get(); }

 private:
  void Return();
  Pool* pool_;
  std::unique_ptr<Connection> conn_;
};

/// Thread-safe. Connections are opened lazily, up to max_size, and reused
/// most-recently-released first. An idle connection found dead at Acquire
/// (server restarted, backend terminated) is closed and replaced there, so
/// the caller gets a live one.
class Pool {
 public:
  explicit Pool(PoolOptions options);
  /// Closes idle connections. Every PooledConnection must be gone first.
  ~Pool();
  Pool(const Pool&) = delete;
  Pool& operator=(const Pool&) = delete;

  /// Borrows a connection, waiting until `deadline` for one to free.
  /// UNAVAILABLE if none frees in time, if the pool is closed, or if a new
  /// connection cannot be opened (the database is unreachable).
  absl::StatusOr<PooledConnection> Acquire(absl::Time deadline);

  /// Closes idle connections now and makes later Acquire calls fail;
  /// connections in use are closed as they come back.
  void Close();

  struct Stats {
    int max_size = 0;
    int open = 0;  ///< Idle + in use.
    int in_use = 0;
    int waiters = 0;        ///< Acquire calls waiting for a connection.
    int64_t opened = 0;     ///< Connections opened over the pool's life.
    int64_t discarded = 0;  ///< Closed because broken or not idle.
  };
  Stats GetStats() const;

 private:
  friend class PooledConnection;
  void Release(std::unique_ptr<Connection> conn);
  absl::StatusOr<PooledConnection> AcquireImpl(absl::Time deadline);

  const PoolOptions options_;
  mutable absl::Mutex mu_;
  std::vector<std::unique_ptr<Connection>> idle_ ABSL_GUARDED_BY(mu_);
  int open_ ABSL_GUARDED_BY(mu_) = 0;
  int waiters_ ABSL_GUARDED_BY(mu_) = 0;
  bool closed_ ABSL_GUARDED_BY(mu_) = false;
  int64_t opened_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t discarded_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace defifundr::db::pg

#endif  // DEFIFUNDR_DB_PG_POOL_H_
