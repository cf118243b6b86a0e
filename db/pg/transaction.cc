#include "db/pg/transaction.h"

#include <libpq-fe.h>

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "server/log/log.h"
#include "db/pg/error.h"

namespace defifundr::db::pg {
namespace {

absl::string_view BeginSql(IsolationLevel isolation) {
  switch (isolation) {
    case IsolationLevel::kReadCommitted:
      return "BEGIN ISOLATION LEVEL READ COMMITTED";
    case IsolationLevel::kRepeatableRead:
      return "BEGIN ISOLATION LEVEL REPEATABLE READ";
    case IsolationLevel::kSerializable:
      return "BEGIN ISOLATION LEVEL SERIALIZABLE";
  }
  return "BEGIN";
}

}  // namespace

absl::StatusOr<Transaction> Transaction::Begin(Connection& conn,
                                               IsolationLevel isolation,
                                               const CallOptions& options) {
  std::string sql(BeginSql(isolation));
  if (!options.application_name.empty()) {
    // The transaction's statements show the request they serve; set in the
    // same round trip, and reverted when the transaction ends.
    char* quoted = PQescapeLiteral(conn.raw(), options.application_name.data(),
                                   options.application_name.size());
    if (quoted == nullptr) {
      return absl::InvalidArgumentError("application_name cannot be quoted");
    }
    absl::StrAppend(&sql, "; SELECT pg_catalog.set_config('application_name', ",
                    quoted, ", true)");
    PQfreemem(quoted);
  }
  auto r = conn.Exec(sql, options);
  if (!r.ok()) return r.status();
  return Transaction(&conn);
}

Transaction::Transaction(Transaction&& other) noexcept
    : conn_(other.conn_), open_(other.open_) {
  other.open_ = false;
}

Transaction::~Transaction() {
  if (open_) Rollback().IgnoreError();
}

absl::Status Transaction::Commit(const CallOptions& options) {
  if (!open_) return absl::FailedPreconditionError("transaction is not open");
  open_ = false;
  auto r = conn_->Exec("COMMIT", options);
  if (r.ok()) return absl::OkStatus();
  if (conn_->IsBroken()) {
    return absl::UnavailableError(absl::StrCat(
        "the connection was lost during COMMIT; the transaction may or may "
        "not have been committed: ",
        r.status().message()));
  }
  return r.status();
}

absl::Status Transaction::Rollback() {
  if (!open_) return absl::OkStatus();
  open_ = false;
  if (conn_->IsBroken()) return absl::OkStatus();  // Nothing to roll back on.
  CallOptions options;
  options.deadline = absl::Now() + absl::Seconds(5);
  auto r = conn_->Exec("ROLLBACK", options);
  if (!r.ok()) {
    log::Warning("ROLLBACK failed; the connection will be closed",
                 {{"error", std::string(r.status().message())}});
    return r.status();
  }
  return absl::OkStatus();
}

absl::Status RunInTransaction(Pool& pool, IsolationLevel isolation,
                              const CallOptions& options, TransactionBody body,
                              int max_attempts) {
  absl::Status last;
  for (int attempt = 1; attempt <= std::max(1, max_attempts); ++attempt) {
    auto conn = pool.Acquire(options.deadline);
    if (!conn.ok()) return conn.status();
    auto tx = Transaction::Begin(**conn, isolation, options);
    if (!tx.ok()) return tx.status();
    last = body(**conn);
    if (last.ok()) last = tx->Commit(options);
    if (last.ok()) return last;
    const std::optional<std::string> sqlstate = SqlStateOf(last);
    if (!sqlstate.has_value() ||
        !(IsRetryableSqlState(*sqlstate) || IsStatementStateError(last))) {
      return last;
    }
    if (absl::Now() >= options.deadline) break;
    log::Debug("retrying transaction",
               {{"sqlstate", *sqlstate}, {"attempt", attempt}});
  }
  return absl::AbortedError(
      absl::StrCat("transaction aborted after retries: ", last.message()));
}

}  // namespace defifundr::db::pg
