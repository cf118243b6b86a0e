// One PostgreSQL connection (RAII over PGconn), driven through libpq's
// asynchronous API so that every call honours a deadline and a cancellation
// check: when either fires, the running statement is cancelled on the server
// (PQcancel) and the connection is drained back to idle.
//
// Not thread-safe: one thread uses a connection at a time (the pool hands it
// out to one owner).
#ifndef DEFIFUNDR_DB_PG_CONNECTION_H_
#define DEFIFUNDR_DB_PG_CONNECTION_H_

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

// libpq's connection type, declared as libpq-fe.h declares it.
typedef struct pg_conn PGconn;

namespace defifundr::db::pg {

/// Bounds one database call.
struct CallOptions {
  /// The statement is cancelled when this passes: DEADLINE_EXCEEDED.
  absl::Time deadline = absl::InfiniteFuture();
  /// Polled about every 50 ms while waiting; true cancels the statement:
  /// CANCELLED. May be empty.
  std::function<bool()> cancelled;
  /// When non-empty, the statements run by ExecStatement (and a transaction
  /// begun with these options) run with PostgreSQL's `application_name` set
  /// to this, so that pg_stat_activity and the server log (`%a` in
  /// log_line_prefix) show which request they serve. It is set with
  /// `set_config('application_name', ..., is_local => true)` sent in the
  /// same round trip as the statement (libpq pipeline mode), so it costs no
  /// round trip, keeps prepared statements prepared, and reverts when the
  /// statement's (implicit or explicit) transaction ends, also behind a
  /// transaction-mode pooler. The server keeps the first 63 bytes and turns
  /// non-ASCII bytes into '?'.
  std::string application_name;
};

/// The statement that carries a call's settings in the same round trip as
/// the call's statement, local to its (implicit) transaction: $1 the
/// application_name, $2 the statement_timeout in milliseconds ('' keeps the
/// session's value for either). Sending the deadline to the server makes it
/// end the statement itself, also when a cancel request is lost (one that
/// reaches the backend before the statement does has no effect).
inline constexpr char kCallSettingsStatement[] = "defifundr_call_settings";
inline constexpr char kCallSettingsSql[] =
    "SELECT pg_catalog.set_config('application_name', CASE WHEN $1 = '' "
    "THEN pg_catalog.current_setting('application_name') ELSE $1 END, true), "
    "pg_catalog.set_config('statement_timeout', CASE WHEN $2 = '' THEN "
    "pg_catalog.current_setting('statement_timeout') ELSE $2 END, true)";

/// $2 of kCallSettingsSql for `deadline`: the milliseconds left (at least
/// 1), or "" for no deadline.
std::string StatementTimeoutParam(absl::Time deadline);

/// A text-format parameter; nullopt is SQL NULL. Must not contain a NUL byte.
using Param = std::optional<std::string>;

/// How ExecStatement runs the service's named statements.
enum class StatementCache {
  /// Prepared by name once per connection (PREPARE/Parse), then executed by
  /// name: one planning per connection, and the least sent per call. Relies
  /// on session state, so it needs a direct connection or a session-mode
  /// pooler.
  kPrepared,
  /// Every call sends its SQL as the unnamed statement (Parse, Bind,
  /// Execute, Sync in one round trip): planned every time and a few hundred
  /// bytes more per call, but no state outlives the call, so it works
  /// behind a transaction-mode pooler (PgBouncer pool_mode=transaction).
  kNone,
};

/// Parses "prepared" or "none". INVALID_ARGUMENT otherwise.
absl::StatusOr<StatementCache> ParseStatementCache(absl::string_view text);

/// Checks a statement just prepared again (after its earlier preparation was
/// lost or went stale) against what its caller expects; a non-OK status is
/// returned to the caller instead of executing the statement.
using RepreparedCheck =
    std::function<absl::Status(class Connection&, absl::string_view name)>;

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

  /// Runs the service's statement `name`, whose text is `sql`, as the
  /// connection's statement_cache() says. Under kPrepared it is prepared on
  /// first use; when the server lost it (26000, 42P05) or a schema change
  /// made its result type stale (0A000), then:
  ///   * outside a transaction, it is prepared again, `check` (if any) is
  ///     asked whether it still fits (its status is returned if not, and
  ///     the statement is forgotten so that the next call checks again),
  ///     and the statement runs once more;
  ///   * inside a transaction (which the error has aborted), it is
  ///     forgotten and the UNAVAILABLE status is returned, which
  ///     RunInTransaction retries from BEGIN.
  /// No such error persists on the connection. Other errors as ExecPrepared.
  absl::StatusOr<Result> ExecStatement(absl::string_view name,
                                       absl::string_view sql,
                                       std::span<const Param> params,
                                       const CallOptions& options = {},
                                       const RepreparedCheck& check = nullptr);

  /// Describes `sql` (parameter types, result columns) through the unnamed
  /// statement, leaving nothing prepared. Call it inside a transaction when
  /// a transaction-mode pooler is in between, so that the Parse and the
  /// Describe reach the same server.
  absl::StatusOr<Result> DescribeSql(absl::string_view sql,
                                     const CallOptions& options = {});

  StatementCache statement_cache() const { return statement_cache_; }
  void set_statement_cache(StatementCache mode) { statement_cache_ = mode; }

  /// Sends COPY data rows (text format, already escaped, newline-terminated)
  /// after a `COPY ... FROM STDIN` started by Exec returned PGRES_COPY_IN.
  /// Call EndCopy when done.
  absl::Status PutCopyData(absl::string_view data);
  /// Ends a COPY; returns its result (rows in affected_rows()).
  absl::StatusOr<Result> EndCopy(const CallOptions& options = {});

  /// True when the connection is unusable (lost, or left in an unknown
  /// state by a cancellation that did not drain), or when its server
  /// refused a write as read-only (SQLSTATE 25006: a standby, e.g. the old
  /// primary after a failover), so that a pool replaces it.
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
  int backend_pid() const;
  PGconn* raw() { return conn_; }

 private:
  explicit Connection(PGconn* conn) : conn_(conn) {}
  // Waits for the reply of a query already sent, honouring `options`. In
  // pipeline mode, waits for every query up to the pipeline's sync point
  // and leaves pipeline mode; the result is the last query's, the status
  // the first error.
  absl::StatusOr<Result> Await(const CallOptions& options);
  // Sends kCallSettingsSql (application_name, statement_timeout) as the
  // first query of a pipeline the caller has entered (pipeline mode).
  absl::Status SendCallSettings(const CallOptions& options);
  // Enters pipeline mode and sends the call's settings first when `options`
  // carry an application name or a deadline and no transaction is open (a
  // transaction has them from Transaction::Begin); the caller then sends its
  // statement and calls FinishPipeline. Returns whether a pipeline was
  // started.
  absl::StatusOr<bool> StartTaggedPipeline(const CallOptions& options);
  // Marks the end of the pipeline (a Sync) after the caller's statement.
  absl::Status FinishPipeline();
  // Flushes the output buffer before `deadline`.
  absl::Status Flush(absl::Time deadline);
  absl::Status Cancel();
  absl::Status ConnectionError(absl::string_view what);
  // Waits until the socket is readable (or writable), at most until `until`.
  // Returns false on a poll error.
  bool Wait(bool for_write, absl::Time until);

  PGconn* conn_;
  bool broken_ = false;
  // Deallocates `name` on the server if it may exist there (IF EXISTS has
  // no DEALLOCATE form: 26000 is ignored).
  absl::Status Deallocate(absl::string_view name, const CallOptions& options);

  absl::flat_hash_set<std::string> prepared_;
  // Statements the server may still hold in a stale form (after 0A000 or
  // 42P05), to deallocate before they are prepared again.
  absl::flat_hash_set<std::string> stale_;
  // Statements to check (RepreparedCheck) once prepared again.
  absl::flat_hash_set<std::string> recheck_;
  StatementCache statement_cache_ = StatementCache::kPrepared;
  std::function<void(absl::string_view)> notice_handler_;
};

}  // namespace defifundr::db::pg

#endif  // DEFIFUNDR_DB_PG_CONNECTION_H_
