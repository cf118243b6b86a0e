// SQLSTATE -> absl::Status classification: the one table that decides which
// status code a PostgreSQL error becomes (see the PostgreSQL manual, Appendix
// A "PostgreSQL Error Codes"). The server converts the result to a gRPC status
// code of the same number.
#ifndef DEFIFUNDR_DB_PG_ERROR_H_
#define DEFIFUNDR_DB_PG_ERROR_H_

#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace defifundr::db::pg {

/// The fields of a PostgreSQL error report that classification uses. Values
/// of the offending row (the report's DETAIL) are never copied into a status
/// message, because they may hold secrets; only column names are taken from
/// it.
struct ErrorReport {
  std::string sqlstate;    ///< Five characters; empty = connection-level.
  std::string message;     ///< Primary message (PG_DIAG_MESSAGE_PRIMARY).
  std::string detail;      ///< PG_DIAG_MESSAGE_DETAIL (not copied; see above).
  std::string constraint;  ///< PG_DIAG_CONSTRAINT_NAME, if any.
  std::string table;       ///< PG_DIAG_TABLE_NAME, if any.
  std::string column;      ///< PG_DIAG_COLUMN_NAME, if any.
};

/// Maps an error report to a status (SQLSTATEs and classes from Appendix A):
///   UNAVAILABLE          "" (no SQLSTATE: connection lost), class 08
///                        connection exception, 28 invalid authorization,
///                        53 insufficient resources, 58 system error (I/O),
///                        57P01-57P05 (shutdowns, database dropped, idle
///                        session timeout), 25006 read_only_sql_transaction
///                        (a standby after a failover), 25P03 idle in
///                        transaction timeout, 40003 statement completion
///                        unknown, 3D000 unknown database, and the
///                        statement-state errors of IsStatementStateError:
///                        another attempt may succeed
///   ALREADY_EXISTS       23505 unique_violation, 23P01 exclusion_violation
///   FAILED_PRECONDITION  23503 foreign_key_violation, 23001
///                        restrict_violation, 23000 integrity_constraint
///   INVALID_ARGUMENT     class 22 data exception, 23502 not_null_violation,
///                        23514 check_violation, 54000
///                        program_limit_exceeded (a value too large to
///                        index), 54001 statement_too_complex
///   ABORTED              40001 serialization_failure, 40P01 deadlock,
///                        55P03 lock_not_available, 72000 snapshot_too_old
///   DEADLINE_EXCEEDED    57014 query_canceled
///   DATA_LOSS            XX001 data_corrupted, XX002 index_corrupted
///   INTERNAL             anything else: a fault of the service or of the
///                        schema, never of the caller (0A feature not
///                        supported, 21 cardinality, 25 other transaction
///                        states, 42 syntax or access rule (42501 a missing
///                        GRANT), 55 object state, P0 PL/pgSQL, XX000)
/// The message names the constraint and, for 23505/23503, its columns, e.g.
/// `duplicate key (lower(email::text)) violates users_email_lower_key`.
/// The SQLSTATE rides along as a payload (see SqlStateOf).
absl::Status StatusFromReport(const ErrorReport& report);

/// The SQLSTATE a status was built from, if StatusFromReport built it.
std::optional<std::string> SqlStateOf(const absl::Status& status);
/// `status` tagged with a stable reason (UPPER_SNAKE_CASE) that callers can
/// branch on; the server sends it as the google.rpc.ErrorInfo reason. The
/// pool and connections tag theirs: POOL_EXHAUSTED, SHUTTING_DOWN,
/// DATABASE_UNAVAILABLE (the database cannot be reached; its message may
/// name hosts and ports).
absl::Status WithReason(absl::Status status, absl::string_view reason);
/// The reason WithReason tagged `status` with, if any.
std::optional<std::string> TaggedReasonOf(const absl::Status& status);

/// `status` carrying `sqlstate` (see SqlStateOf): for errors that reach us
/// without a result, such as the server refusing a connection.
absl::Status WithSqlState(absl::Status status, absl::string_view sqlstate);

/// True when the server refused a connection for a reason that retrying does
/// not cure: class 28 invalid_authorization_specification (28P01 wrong
/// password, 28000 unknown role or no pg_hba.conf entry), 3D000
/// invalid_catalog_name (no such database) and 42501 insufficient_privilege
/// (no CONNECT privilege).
bool IsConnectionRefusedForGood(const absl::Status& status);

/// The constraint (or unique index) the report named, if any.
std::optional<std::string> ConstraintOf(const absl::Status& status);
/// The column the report named (e.g. a NOT NULL violation's), if any.
std::optional<std::string> ColumnOf(const absl::Status& status);

/// The column list of a 23505/23503 DETAIL such as
/// `Key (user_id, purpose)=(...) already exists.`: "user_id, purpose". Empty
/// when the detail has another shape.
std::string KeyColumnsFromDetail(absl::string_view detail);

/// True for the SQLSTATEs after which a whole transaction should be re-run:
/// 40001 serialization_failure and 40P01 deadlock_detected.
bool IsRetryableSqlState(absl::string_view sqlstate);

/// True when `status` reports that a prepared statement's server-side state
/// is gone or stale, a server fault that a new prepare cures: 26000
/// invalid_sql_statement_name (the server lost the statement: DISCARD ALL,
/// DEALLOCATE, a pooler that switched backends), 42P05
/// duplicate_prepared_statement (the backend has one of that name we did not
/// make), and 0A000 "cached plan must not change result type" (a schema
/// change since the prepare). StatusFromReport makes these UNAVAILABLE,
/// never INVALID_ARGUMENT.
bool IsStatementStateError(const absl::Status& status);

}  // namespace defifundr::db::pg

#endif  // DEFIFUNDR_DB_PG_ERROR_H_
