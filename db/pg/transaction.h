// Explicit transactions: the only place BEGIN, COMMIT and ROLLBACK are issued.
#ifndef DEFIFUNDR_DB_PG_TRANSACTION_H_
#define DEFIFUNDR_DB_PG_TRANSACTION_H_

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "db/pg/connection.h"
#include "db/pg/pool.h"

namespace defifundr::db::pg {

/// PostgreSQL's isolation levels (SET TRANSACTION ISOLATION LEVEL).
enum class IsolationLevel { kReadCommitted, kRepeatableRead, kSerializable };

/// An open transaction on one connection. Move-only. Commit() ends it; if it
/// is destroyed without a successful Commit(), it rolls back (noexcept; a
/// failed ROLLBACK is logged and leaves the connection non-idle, so the pool
/// closes it).
class Transaction {
 public:
  /// Sends BEGIN with the given isolation level, and sets the transaction's
  /// application_name to options.application_name (when not empty) in the
  /// same round trip.
  static absl::StatusOr<Transaction> Begin(Connection& conn,
                                           IsolationLevel isolation,
                                           const CallOptions& options);
  Transaction(Transaction&& other) noexcept;
  Transaction& operator=(Transaction&&) = delete;
  ~Transaction();

  /// COMMIT. On a lost connection the outcome is unknown: UNAVAILABLE with a
  /// message saying so. Other failures (e.g. 40001 at commit under
  /// SERIALIZABLE) are classified as usual.
  absl::Status Commit(const CallOptions& options);
  /// ROLLBACK now (also what the destructor does).
  absl::Status Rollback();

  Connection& connection() const { return *conn_; }

 private:
  explicit Transaction(Connection* conn) : conn_(conn) {}
  Connection* conn_;
  bool open_ = true;
};

/// The body of RunInTransaction: statements on the transaction's connection.
using TransactionBody = absl::FunctionRef<absl::Status(Connection&)>;

/// Borrows a connection from `pool`, runs `body` between BEGIN and COMMIT,
/// and rolls back on any error. When the body or COMMIT fails with 40001
/// (serialization_failure) or 40P01 (deadlock_detected), or a statement of
/// the body found its prepared state gone or stale (IsStatementStateError:
/// the statement is prepared again on the next attempt), the whole
/// transaction runs again, at most `max_attempts` times in all and never past
/// options.deadline; after that the status is ABORTED. Other errors are
/// returned as they are.
absl::Status RunInTransaction(Pool& pool, IsolationLevel isolation,
                              const CallOptions& options, TransactionBody body,
                              int max_attempts = 5);

}  // namespace defifundr::db::pg

#endif  // DEFIFUNDR_DB_PG_TRANSACTION_H_
