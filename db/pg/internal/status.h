// libpq-facing helpers of db/pg's own .cc files; not for other code.
#ifndef DEFIFUNDR_DB_PG_INTERNAL_STATUS_H_
#define DEFIFUNDR_DB_PG_INTERNAL_STATUS_H_

#include <libpq-fe.h>

#include "absl/status/status.h"

namespace defifundr::db::pg::internal {

/// Builds a status from a failed result, or from the connection's error
/// message when `res` is null: the SQLSTATE classification of
/// db/pg/error.h, with PostgreSQL's message (class-22 messages bounded).
/// Never includes row values.
absl::Status StatusFromPgResult(const PGresult* res, PGconn* conn);

}  // namespace defifundr::db::pg::internal

#endif  // DEFIFUNDR_DB_PG_INTERNAL_STATUS_H_
