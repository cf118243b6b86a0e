// Goose-format SQL migration files: parsing, statement splitting, and the
// file-level commands (create, fix, validate).
//
// Annotations (as Goose defines them): `-- +goose Up`, `-- +goose Down`,
// `-- +goose StatementBegin` / `-- +goose StatementEnd` (a statement that
// contains semicolons, such as a dollar-quoted function body),
// `-- +goose NO TRANSACTION` (run outside a transaction, e.g. for CREATE
// INDEX CONCURRENTLY) and `-- +goose ENVSUB ON` / `OFF` (${VAR} substitution
// from the environment). Outside StatementBegin/End a statement ends at a
// line whose last non-blank character, ignoring a trailing `-- comment`, is
// `;`: exactly where Goose splits. Where that rule would cut a statement in
// the middle of a dollar-quoted body, a multi-line string literal, a quoted
// identifier or a block comment (Goose would send the halves to the server),
// the file is rejected instead, naming the file and line.
#ifndef DEFIFUNDR_DB_MIGRATE_MIGRATION_H_
#define DEFIFUNDR_DB_MIGRATE_MIGRATION_H_

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
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

/// A migration file read from a directory: base name and bytes.
struct MigrationSource {
  std::string name;
  std::string contents;
};

/// The version of a migration file name "<digits>_<name>.sql", or
/// INVALID_ARGUMENT.
absl::StatusOr<int64_t> VersionFromFileName(absl::string_view file);

/// True if `version` is a Goose timestamp version: 14 digits forming a valid
/// UTC date and time "YYYYMMDDhhmmss" after 1970-01-01 00:00:00 (Goose's
/// rule for `fix`). Other versions are sequential ones.
bool IsTimestampVersion(int64_t version);

/// Parses one file. INVALID_ARGUMENT "<file>:<line>: <reason>" for: no
/// `-- +goose Up`, an unknown `+goose` annotation, StatementBegin without
/// StatementEnd (or the reverse), SQL left without a terminating `;` at the
/// end of a section, or a `;` at a line's end that would split a statement
/// inside a dollar-quoted body, string literal, quoted identifier or block
/// comment (wrap it in StatementBegin/StatementEnd). Nothing is applied from
/// a file that does not parse.
absl::StatusOr<Migration> ParseMigration(absl::string_view file,
                                         absl::string_view contents);

/// Parses all files and sorts them by version. INVALID_ARGUMENT (the first
/// problem ValidateMigrations reports) if a file does not parse or two files
/// share a version.
absl::StatusOr<std::vector<Migration>> ParseMigrations(
    std::span<const EmbeddedFile> files);

/// Checks every file without stopping at the first problem (goose
/// validate): one INVALID_ARGUMENT status per file that does not parse
/// ("<file>:<line>: <reason>", or "<file>: ..." for a bad file name) and one
/// per version shared by two files, in file-name order. Empty when all is
/// well.
std::vector<absl::Status> ValidateMigrations(
    std::span<const EmbeddedFile> files);

/// Reads every regular `*.sql` file of `dir` (not recursing), sorted by
/// name. NOT_FOUND if `dir` cannot be listed; INTERNAL if a file cannot be
/// read.
absl::StatusOr<std::vector<MigrationSource>> ReadMigrationDir(
    const std::string& dir);

/// Views of `sources` (which must outlive the result) as EmbeddedFiles.
std::vector<EmbeddedFile> AsEmbeddedFiles(
    const std::vector<MigrationSource>& sources);

/// Reads and parses every `*.sql` file of `dir` (ReadMigrationDir, then
/// ParseMigrations); their errors.
absl::StatusOr<std::vector<Migration>> LoadMigrationsFromDir(
    const std::string& dir);

/// The migrations compiled from db/migrations/ into this binary (library
/// defifundr_migrations: the tests, and the executable built with
/// DEFIFUNDR_EMBED_MIGRATIONS=ON).
std::span<const EmbeddedFile> BuiltinMigrationFiles();

/// The index name of a `CREATE [UNIQUE] INDEX CONCURRENTLY [IF NOT EXISTS]
/// name ON ...` statement (leading comments allowed; case-insensitive),
/// exactly as written (quotes and schema included); nullopt for any other
/// statement or one that names no index.
std::optional<std::string> ConcurrentIndexName(absl::string_view sql);

/// Goose's file-name form of a migration name: letters and digits
/// lower-cased, each run of other characters one `_`, leading ones dropped
/// ("Add users!" -> "add_users_", as Goose does).
std::string SnakeCaseName(absl::string_view name);

/// The contents of a new SQL migration (Goose's template: an Up and a Down
/// section, each with a StatementBegin/StatementEnd placeholder).
absl::string_view NewMigrationTemplate();

struct CreateOptions {
  /// Number the file after the highest sequential version in the
  /// directory, as "%05d" (goose create -s). Otherwise the version is the
  /// UTC time `now` as YYYYMMDDhhmmss.
  bool sequential = false;
  absl::Time now = absl::Now();
};

/// goose create: writes "<version>_<SnakeCaseName(name)>.sql" with
/// NewMigrationTemplate() into `dir` and returns its path. `type` must be
/// "sql" (Goose's "go" migrations do not exist here). INVALID_ARGUMENT for
/// another type or a name without a letter or digit; NOT_FOUND if `dir` is
/// not a directory; ALREADY_EXISTS if the file exists (it is not touched)
/// or another file has the same version (created in the same second);
/// INTERNAL if it cannot be written.
absl::StatusOr<std::string> CreateMigration(const std::string& dir,
                                            absl::string_view name,
                                            absl::string_view type,
                                            const CreateOptions& options = {});

/// One file renamed by FixMigrations (base names).
struct Rename {
  std::string from;
  std::string to;
};

/// goose fix: renames the timestamp-versioned `*.sql` files of `dir`, in
/// version order, to sequential versions ("%05d") following the highest
/// sequential version there, replacing only the version prefix of the name.
/// Returns the renames in the order done (empty when there is nothing to
/// fix). Checks everything before renaming anything: NOT_FOUND if `dir`
/// cannot be listed; INVALID_ARGUMENT for a `*.sql` file whose name has no
/// version or for two files sharing a version; ALREADY_EXISTS if a new name
/// is already taken. INTERNAL if a rename fails part way.
absl::StatusOr<std::vector<Rename>> FixMigrations(const std::string& dir);

}  // namespace defifundr::db::migrate

#endif  // DEFIFUNDR_DB_MIGRATE_MIGRATION_H_
