// One PostgreSQL connection (RAII over PGconn), driven through libpq's
// asynchronous API so that every call honours a deadline and a cancellation
// check: when either fires, the running statement is cancelled on the server
// (PQcancel) and the connection is drained back to idle.
//
// Not thread-safe: one thread uses a connection at a time (the pool hands it
// out to one owner).
#ifndef DEFIFUNDR_DB_PG_CONNECTION_H_
#define DEFIFUNDR_DB_PG_CONNECTION_H_

#include <libpq-fe.h>

#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>

#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "db/pg/result.h"

namespace defifundr::db::pg {

/// Bounds one database call.
struct CallOptions {
  /// The statement is cancelled when this passes: DEADLINE_EXCEEDED.
  absl::Time deadline = absl::InfiniteFuture();
  /// Polled about every 50 ms while waiting; true cancels the statement:
  /// CANCELLED. May be empty.
  std::function<bool()> cancelled;
};

/// A text-format parameter; nullopt is SQL NULL. Must not contain a NUL byte.
using Param = std::optional<std::string>;

class Connection {
 public:
  /// Connects with a libpq connection string or URI (`conninfo`), then sets
  /// the session's TimeZone to UTC and DateStyle to ISO (which Result's
  /// timestamp decoding relies on). UNAVAILABLE if the server cannot be
  /// reached or refuses; DEADLINE_EXCEEDED if `deadline` passes first.
  static absl::StatusOr<std::unique_ptr<Connection>> Open(
      absl::string_view conninfo, absl::Time deadline);

  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  /// Runs one or more SQL commands with no parameters (simple query
  /// protocol). Returns the last command's result; the first error stops.
  absl::StatusOr<Result> Exec(absl::string_view sql,
                              const CallOptions& options = {});

  /// Runs one statement with `$n` parameters through the unnamed statement.
  absl::StatusOr<Result> ExecParams(absl::string_view sql,
                                    std::span<const Param> params,
                                    const CallOptions& options = {});

  /// Prepares `sql` as the named statement `name` on this connection.
  absl::Status Prepare(absl::string_view name, absl::string_view sql,
                       const CallOptions& options = {});
  /// True if Prepare(name, ...) succeeded on this connection.
  bool IsPrepared(absl::string_view name) const;
  /// Describes a prepared statement: parameter types and result columns.
  absl::StatusOr<Result> Describe(absl::string_view name,
                                  const CallOptions& options = {});
  /// Executes the prepared statement `name`.
  absl::StatusOr<Result> ExecPrepared(absl::string_view name,
                                      std::span<const Param> params,
                                      const CallOptions& options = {});

  /// Sends COPY data rows (text format, already escaped, newline-terminated)
  /// after a `COPY ... FROM STDIN` started by Exec returned PGRES_COPY_IN.
  /// Call EndCopy when done.
  absl::Status PutCopyData(absl::string_view data);
  /// Ends a COPY; returns its result (rows in affected_rows()).
  absl::StatusOr<Result> EndCopy(const CallOptions& options = {});

  /// True when the connection is unusable (lost, or left in an unknown
  /// state by a cancellation that did not drain).
  bool IsBroken() const;
  /// True when no transaction is open (PQTRANS_IDLE).
  bool IsIdle() const;
  /// Cheap, non-blocking liveness check of an idle connection: reads any
  /// bytes the server sent (e.g. a FATAL termination notice after
  /// pg_terminate_backend) and reports whether the connection still stands.
  bool CheckAlive();

  /// Sends the server's notices (RAISE NOTICE, warnings), without the
  /// trailing newline, to `handler` instead of the debug log. Empty restores
  /// the log.
  void SetNoticeHandler(std::function<void(absl::string_view)> handler) {
    notice_handler_ = std::move(handler);
  }

  /// The server process serving this connection (pg_backend_pid()).
  int backend_pid() const { return PQbackendPID(conn_); }
  PGconn* raw() { return conn_; }

 private:
  explicit Connection(PGconn* conn) : conn_(conn) {}
  // Waits for the reply of a query already sent, honouring `options`.
  absl::StatusOr<Result> Await(const CallOptions& options);
  // Flushes the output buffer before `deadline`.
  absl::Status Flush(absl::Time deadline);
  absl::Status Cancel();
  absl::Status ConnectionError(absl::string_view what);
  // Waits until the socket is readable (or writable), at most until `until`.
  // Returns false on a poll error.
  bool Wait(bool for_write, absl::Time until);

  PGconn* conn_;
  bool broken_ = false;
  absl::flat_hash_set<std::string> prepared_;
  std::function<void(absl::string_view)> notice_handler_;
};

/// Builds a status from a failed result, or from the connection's error
/// message when `res` is null. Never includes row values.
absl::Status StatusFromPgResult(const PGresult* res, PGconn* conn);

}  // namespace defifundr::db::pg

#endif  // DEFIFUNDR_DB_PG_CONNECTION_H_
