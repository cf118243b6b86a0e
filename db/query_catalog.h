// The named SQL statements of db/queries/*.sql, sqlc-style.
//
// A file holds statements, each introduced by a header comment
//   -- name: GetUser :one
// where the suffix says what the caller expects: `:one` (exactly one row,
// NOT_FOUND for none), `:many` (any number of rows), `:exec` (no rows) or
// `:execrows` (the affected-row count). Parameters are written `@name`
// (sqlc's shorthand); the catalog rewrites them to `$1..$n` in order of first
// appearance and records the names, so callers bind by name.
#ifndef DEFIFUNDR_DB_QUERY_CATALOG_H_
#define DEFIFUNDR_DB_QUERY_CATALOG_H_

#include <initializer_list>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "db/embedded_file.h"
#include "db/pg/connection.h"

namespace defifundr::db {

enum class Cardinality { kOne, kMany, kExec, kExecRows };

struct Statement {
  std::string name;                 ///< e.g. "GetUser"; also the prepared name.
  Cardinality cardinality;          ///< From the header's suffix.
  std::string sql;                  ///< With `$n` placeholders.
  std::vector<std::string> params;  ///< params[i] is the name of `$i+1`.
  std::string file;                 ///< Source file base name.
  int line = 0;                     ///< 1-based line of the `-- name:` header.
  /// A plain SELECT (first keyword, after comments), without a row lock
  /// (FOR UPDATE/SHARE) or a sequence call: it writes nothing, so a hot
  /// standby may run it (a read replica; see IsReadOnlySql).
  bool read_only = false;
};

/// Whether `sql` is a plain SELECT that a hot standby can run: its first
/// keyword (after whitespace and `--` comments) is SELECT, and it takes no
/// row lock (FOR UPDATE / FOR NO KEY UPDATE / FOR SHARE / FOR KEY SHARE)
/// and calls no nextval/setval. Conservative: WITH, INSERT ... RETURNING
/// and everything else count as writes.
bool IsReadOnlySql(absl::string_view sql);

class QueryCatalog {
 public:
  /// Parses every file. INVALID_ARGUMENT naming file and line for a
  /// malformed header, an unknown suffix, an empty statement, or a name used
  /// twice.
  static absl::StatusOr<QueryCatalog> Parse(
      std::span<const EmbeddedFile> files);

  /// The statements compiled from db/queries/ into this binary.
  static const QueryCatalog& Builtin();

  /// Parses files compiled into the binary, which cannot fail at run time
  /// unless the build is broken: aborts with the parse error then. The
  /// result lives for the program's lifetime.
  static const QueryCatalog* ParseEmbedded(std::span<const EmbeddedFile> files);

  /// Runs the statement `name` on `conn` (unprepared: the unnamed
  /// statement), binding `args` to its @parameters by name. INTERNAL for an
  /// unknown statement or a parameter `args` lacks; otherwise the statement's
  /// own status (see db/pg/error.h).
  absl::StatusOr<pg::Result> Run(
      pg::Connection& conn, absl::string_view name,
      std::initializer_list<std::pair<absl::string_view, pg::Param>> args = {},
      const pg::CallOptions& options = {}) const;

  /// Rewrites `@name` parameters of one statement to `$n`, skipping string
  /// literals, quoted identifiers, dollar-quoted strings and comments.
  /// Appends the names in `$n` order to `*params`.
  static std::string RewriteParams(absl::string_view sql,
                                   std::vector<std::string>* params);

  /// The statement called `name`, or nullptr.
  const Statement* Find(absl::string_view name) const;
  const std::vector<Statement>& statements() const { return statements_; }

  /// Prepares every statement on `conn`. INVALID_ARGUMENT naming the
  /// statement (and its file and line) whose SQL does not prepare against
  /// the live schema (with the SQLSTATE of the error, see db/pg/error.h).
  absl::Status PrepareAll(pg::Connection& conn,
                          const pg::CallOptions& options) const;

 private:
  std::vector<Statement> statements_;
  absl::flat_hash_map<std::string, size_t> by_name_;
};

}  // namespace defifundr::db

#endif  // DEFIFUNDR_DB_QUERY_CATALOG_H_
