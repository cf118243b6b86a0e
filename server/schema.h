// What the service knows about the live database, read once at start-up:
// every prepared statement's parameter and result types, and the columns of
// the service's tables. Vet() checks the SQL against the protobuf messages
// it fills, the service's compile-time type safety ("our sqlc").
#ifndef DEFIFUNDR_SERVER_SCHEMA_H_
#define DEFIFUNDR_SERVER_SCHEMA_H_

#include <google/protobuf/descriptor.h>

#include <memory>
#include <span>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "db/pg/connection.h"
#include "db/query_catalog.h"
#include "db/query_name.h"
#include "db/query_names.h"

namespace defifundr::server {

/// One column of a table (information_schema.columns).
struct ColumnMeta {
  std::string udt_name;  ///< e.g. "varchar", "uuid", "otp_purpose".
  bool nullable = true;
  bool has_default = false;
  int max_length = 0;  ///< varchar(n) limit in characters; 0 = none.
};
/// Column name -> metadata.
using TableMeta = absl::flat_hash_map<std::string, ColumnMeta>;

/// Result column of a prepared statement.
struct ResultColumn {
  std::string name;
  Oid type = 0;
  Oid table = 0;   ///< Source table OID, 0 for an expression.
  int attnum = 0;  ///< Source column number, 0 for an expression.
};

struct StatementInfo {
  std::vector<Oid> param_types;  ///< param_types[i] is the type of `$i+1`.
  std::vector<ResultColumn> columns;
};

class Schema {
 public:
  /// Describes every statement of `catalog` (through the unnamed statement,
  /// in one transaction, so that it works behind a transaction-mode pooler)
  /// and reads the columns of `tables`. INVALID_ARGUMENT naming the query
  /// (file and line) whose SQL does not prepare. FAILED_PRECONDITION if one of
  /// the tables does not exist (the database is not migrated).
  static absl::StatusOr<std::unique_ptr<Schema>> Load(
      db::pg::Connection& conn, const db::QueryCatalog& catalog,
      std::span<const absl::string_view> tables,
      const db::pg::CallOptions& options);

  /// Info of a statement, or nullptr.
  const StatementInfo* statement(absl::string_view name) const;
  /// Columns of a table, or nullptr.
  const TableMeta* table(absl::string_view name) const;
  /// Whether the result column comes from a nullable table column; true for
  /// expressions (unknown).
  bool MaybeNull(const ResultColumn& column) const;
  bool IsEnumType(Oid oid) const { return enum_types_.contains(oid); }

  /// Builds a Schema from parts (unit tests).
  Schema(absl::flat_hash_map<std::string, StatementInfo> statements,
         absl::flat_hash_map<std::string, TableMeta> tables)
      : statements_(std::move(statements)), tables_(std::move(tables)) {}

 private:
  absl::flat_hash_map<std::string, StatementInfo> statements_;
  absl::flat_hash_map<std::string, TableMeta> tables_;
  absl::flat_hash_map<std::pair<Oid, int>, bool> nullable_;  // (table, attnum)
  absl::flat_hash_set<Oid> enum_types_;
};

/// How a handler uses a statement: which message its rows fill and which
/// messages its `@name` parameters come from.
struct Binding {
  /// The named query (db/query_names.h).
  db::QueryName statement;
  /// Message each row fills; nullptr for statements without rows.
  const google::protobuf::Descriptor* result = nullptr;
  std::vector<const google::protobuf::Descriptor*> sources;
  /// Parameters the server supplies itself (cursor, page limit).
  std::vector<std::string> extras;
  /// Result columns the handler reads itself rather than into `result`.
  std::vector<std::string> extra_columns = {};
};

/// The parameter types and result columns of a described statement.
StatementInfo DescribeResult(const db::pg::Result& described);

/// Appends to `problems` every way `statement`, described as `info`, fails
/// `binding` (see Vet), each naming the query.
void VetStatement(const Schema& schema, const db::Statement& statement,
                  const StatementInfo& info, const Binding& binding,
                  std::vector<std::string>* problems);

/// The bindings of the queries the service runs about itself
/// (db/queries/schema.sql: ListColumns, ListEnumTypes, SchemaVersion), which
/// it reads column by column rather than into a message: `extra_columns`
/// lists exactly the columns each must return.
std::vector<Binding> InternalBindings();

/// Checks every binding against the live schema: the statement exists; each
/// result column names a field of `result` with a fitting type (or, with no
/// `result`, is one of `extra_columns`, all of which must be there), and a
/// nullable column fills a field with presence; each parameter has a
/// source. Every named query of `catalog` must have a binding, so that none
/// goes unchecked. Returns the number of named queries checked (then equal to
/// catalog.statements().size()); INVALID_ARGUMENT listing every mismatch,
/// each naming its query.
absl::StatusOr<int> Vet(const Schema& schema, const db::QueryCatalog& catalog,
                        std::span<const Binding> bindings);

}  // namespace defifundr::server

#endif  // DEFIFUNDR_SERVER_SCHEMA_H_
