// Statements of many concurrent callers on a few PostgreSQL connections,
// without a thread per caller: an event loop (one thread, epoll) drives
// libpq in non-blocking pipeline mode (PQenterPipelineMode, libpq 14+), so
// that while one statement runs on the server the next ones are already on
// their way, and a connection serves many callers at once.
//
// Each statement is sent as a pipeline segment of its own, ended by a Sync
// (so an error in one never aborts another's):
//   [Parse, when the named statement is not prepared on that connection yet]
//   Bind/Execute of `defifundr_call_settings`: set_config of application_name
//     and statement_timeout, is_local => true, so both end with the segment;
//   Bind/Execute of the statement;
//   Sync.
// statement_timeout makes the server itself end a statement at its caller's
// deadline (SQLSTATE 57014 -> DEADLINE_EXCEEDED), which, unlike a cancel
// request, cannot hit another caller's statement.
//
// A statement whose caller gives up (CallOptions::cancelled) is dropped if
// not sent yet; once sent, its caller is answered CANCELLED at once and its
// result is discarded; if it is running (first in its connection's line),
// a cancel request (PQcancel, on a thread of its own: libpq 15 has no
// non-blocking cancel) stops it on the server. Should that request reach
// the server after the statement ended and stop the next one instead, the
// next one (whose segment the server rolled back) is sent again: no other
// caller fails because of a cancel.
//
// Thread-safe. Results are delivered on the loop's thread: a `done` callback
// must be quick and must not block (no blocking call, no database call that
// waits).
#ifndef DEFIFUNDR_DB_PG_PIPELINE_H_
#define DEFIFUNDR_DB_PG_PIPELINE_H_

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "db/pg/connection.h"
#include "db/pg/result.h"

namespace defifundr::db::pg {

struct PipelineOptions {
  /// libpq connection string or URI.
  std::string conninfo;
  /// Connections the loop drives (each carries many statements at once).
  /// Must be >= 1.
  int connections = 2;
  /// Most statements sent on one connection and not yet answered; more wait
  /// in the loop's queue.
  int max_in_flight_per_connection = 64;
  /// kPrepared: each named statement is prepared (Parse) on a connection the
  /// first time it runs there, in the same round trip, then executed by
  /// name. kNone: every statement is sent as the unnamed statement (for a
  /// transaction-mode pooler).
  StatementCache statement_cache = StatementCache::kPrepared;
  /// How long opening a connection may take.
  absl::Duration connect_timeout = absl::Seconds(10);
};

/// One statement to run.
struct PipelineStatement {
  /// The statement's name (prepared under it) and its SQL with $n
  /// parameters. `sql` must stay valid until `done` ran (e.g. the text of
  /// a query catalog).
  absl::string_view name;
  absl::string_view sql;
  std::vector<Param> params;
};

/// The outcome of a statement: its result, or a status classified as
/// Connection's (db/pg/error.h), DEADLINE_EXCEEDED at the caller's deadline,
/// CANCELLED when the caller gave up, UNAVAILABLE (reason
/// DATABASE_UNAVAILABLE) when the connection was lost (a write's outcome is
/// then unknown) or no connection could take it before the deadline (reason
/// POOL_EXHAUSTED), or, when the prepared statement was lost or went stale
/// (26000, 0A000: a schema change), a statement-state error
/// (IsStatementStateError) and from then on UNAVAILABLE with reason
/// STATEMENT_STATE_LOST without sending it: the pipeline never prepares a
/// statement again, because its new result would go unchecked against
/// what its caller expects. The caller runs it its own, checked way.
using PipelineDone = std::function<void(absl::StatusOr<Result>)>;

class Pipeline {
 public:
  /// Opens the connections and starts the loop. UNAVAILABLE if the first
  /// connection cannot be opened (later ones are retried in the background).
  static absl::StatusOr<std::unique_ptr<Pipeline>> Start(
      PipelineOptions options);
  /// Answers every statement still waiting UNAVAILABLE (SHUTTING_DOWN),
  /// stops the loop and closes the connections.
  ~Pipeline();
  Pipeline(const Pipeline&) = delete;
  Pipeline& operator=(const Pipeline&) = delete;

  /// Queues `statement`; `done` runs exactly once, on the loop's thread (or,
  /// when the pipeline is shutting down, on the caller's). options.deadline
  /// bounds the wait for a connection and, as statement_timeout, the
  /// statement itself; options.cancelled is polled about every 20 ms;
  /// options.application_name is set for the statement (see CallOptions).
  void Run(PipelineStatement statement, CallOptions options, PipelineDone done);

  struct Stats {
    int connections = 0;  ///< Open now.
    int queued = 0;       ///< Waiting for room on a connection.
    int in_flight = 0;    ///< Sent, not yet answered.
    int64_t reconnects = 0;
    int64_t resent_after_foreign_cancel = 0;
  };
  Stats GetStats() const;

 private:
  class Loop;
  explicit Pipeline(std::unique_ptr<Loop> loop);
  std::unique_ptr<Loop> loop_;
};

}  // namespace defifundr::db::pg

#endif  // DEFIFUNDR_DB_PG_PIPELINE_H_
