// Goose-format SQL migration files: parsing and statement splitting.
//
// Annotations (as Goose defines them): `-- +goose Up`, `-- +goose Down`,
// `-- +goose StatementBegin` / `-- +goose StatementEnd` (a statement that
// contains semicolons, such as a dollar-quoted function body),
// `-- +goose NO TRANSACTION` (run outside a transaction, e.g. for CREATE
// INDEX CONCURRENTLY) and `-- +goose ENVSUB ON` / `OFF` (${VAR} substitution
// from the environment). Outside StatementBegin/End a statement ends at a
// line whose last non-blank character is `;`.
#ifndef DEFIFUNDR_DB_MIGRATE_MIGRATION_H_
#define DEFIFUNDR_DB_MIGRATE_MIGRATION_H_

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "db/embedded_file.h"

namespace defifundr::db::migrate {

struct SqlStatement {
  std::string sql;
  int line = 0;  ///< 1-based line where the statement starts in its file.
};

struct Migration {
  int64_t version = 0;  ///< The file name's numeric prefix.
  std::string file;     ///< Base name, e.g. "00002_create_users_table.sql".
  std::vector<SqlStatement> up;
  std::vector<SqlStatement> down;
  bool no_transaction = false;  ///< `-- +goose NO TRANSACTION` present.
};

/// The version of a migration file name "<digits>_<name>.sql", or
/// INVALID_ARGUMENT.
absl::StatusOr<int64_t> VersionFromFileName(absl::string_view file);

/// Parses one file. INVALID_ARGUMENT "<file>:<line>: <reason>" for: no
/// `-- +goose Up`, an unknown `+goose` annotation, StatementBegin without
/// StatementEnd (or the reverse), SQL left without a terminating `;` at the
/// end of a section, or a dollar-quoted body that a `;` at a line's end would
/// split (wrap it in StatementBegin/StatementEnd). Nothing is applied from a
/// file that does not parse.
absl::StatusOr<Migration> ParseMigration(absl::string_view file,
                                         absl::string_view contents);

/// Parses all files and sorts them by version. INVALID_ARGUMENT if a file
/// does not parse or two files share a version.
absl::StatusOr<std::vector<Migration>> ParseMigrations(
    std::span<const EmbeddedFile> files);

/// Reads every `*.sql` file of `dir` and parses them as ParseMigrations.
absl::StatusOr<std::vector<Migration>> LoadMigrationsFromDir(
    const std::string& dir);

/// The migrations compiled from db/migrations/ into this binary.
std::span<const EmbeddedFile> BuiltinMigrationFiles();

}  // namespace defifundr::db::migrate

#endif  // DEFIFUNDR_DB_MIGRATE_MIGRATION_H_
