// Test support: throwaway databases on the test PostgreSQL server.
#ifndef DEFIFUNDR_TESTS_SUPPORT_TEST_DATABASE_H_
#define DEFIFUNDR_TESTS_SUPPORT_TEST_DATABASE_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "db/pg/connection.h"

namespace defifundr::testing {

/// DEFIFUNDR_TEST_DATABASE_URL; fails the current test (ADD_FAILURE) and
/// returns "" when unset.
std::string AdminUrl();

/// `url` with its database name replaced by `dbname`.
std::string WithDatabase(const std::string& url, const std::string& dbname);

/// `pg_dump --schema-only --no-owner --no-privileges` of the database at
/// `url`, with `extra_args` (e.g. "-T 'goose_db_version*'") and without the
/// lines that differ between two dumps of the same schema (pg_dump's random
/// \restrict key, its version comments). Fails the test if pg_dump fails.
std::string SchemaDump(const std::string& url,
                       const std::string& extra_args = "");

/// A database created for one test and dropped (WITH FORCE) on destruction.
class TestDatabase {
 public:
  /// Creates a fresh database: migrated to the newest version (a copy of a
  /// template migrated once per migration set), or empty when
  /// `migrated` is false.
  static absl::StatusOr<std::unique_ptr<TestDatabase>> Create(
      bool migrated = true);
  ~TestDatabase();

  const std::string& url() const { return url_; }
  const std::string& name() const { return name_; }

  /// Opens a new connection to this database.
  std::unique_ptr<db::pg::Connection> Connect() const;
  /// Runs SQL and returns the first column of the first row as text ("" if
  /// none or NULL); fails the test on error.
  std::string Scalar(const std::string& sql) const;
  /// Runs SQL; fails the test on error.
  void Exec(const std::string& sql) const;

 private:
  TestDatabase(std::string name, std::string url)
      : name_(std::move(name)), url_(std::move(url)) {}
  std::string name_;
  std::string url_;
};

}  // namespace defifundr::testing

#endif  // DEFIFUNDR_TESTS_SUPPORT_TEST_DATABASE_H_
