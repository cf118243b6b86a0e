#include "server/schema.h"

#include <algorithm>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "db/pg/transaction.h"
#include "server/codec.h"

namespace defifundr::server {

using google::protobuf::FieldDescriptor;

absl::StatusOr<std::unique_ptr<Schema>> Schema::Load(
    db::pg::Connection& conn, const db::QueryCatalog& catalog,
    std::span<const absl::string_view> tables,
    const db::pg::CallOptions& options) {
  auto schema = std::make_unique<Schema>(
      absl::flat_hash_map<std::string, StatementInfo>{},
      absl::flat_hash_map<std::string, TableMeta>{});
  // One transaction: behind a transaction-mode pooler every Parse and its
  // Describe then reach the same server.
  auto tx = db::pg::Transaction::Begin(
      conn, db::pg::IsolationLevel::kReadCommitted, options);
  if (!tx.ok()) return tx.status();
  for (const db::Statement& st : catalog.statements()) {
    auto d = conn.DescribeSql(st.sql, options);
    if (!d.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("query ", st.name, " (", st.file, ":", st.line,
                       ") does not prepare: ", d.status().message()));
    }
    schema->statements_[st.name] = DescribeResult(*d);
  }

  const db::Statement* list = catalog.Find(db::queries::kListColumns);
  if (list == nullptr) return absl::InternalError("query ListColumns missing");
  std::vector<db::pg::Param> params = {
      absl::StrCat("{", absl::StrJoin(tables, ","), "}")};
  auto cols = conn.ExecStatement(list->name, list->sql, params, options);
  if (!cols.ok()) return cols.status();
  for (int i = 0; i < cols->rows(); ++i) {
    auto row = cols->row(i).As<std::string, std::string, std::string, bool,
                               bool, std::optional<int32_t>, int64_t, int32_t>();
    if (!row.ok()) return row.status();
    const auto& [table, column, udt, nullable, has_default, max_length,
                 table_oid, attnum] = *row;
    ColumnMeta meta{udt, nullable, has_default, max_length.value_or(0)};
    schema->tables_[table][column] = meta;
    schema->nullable_[{static_cast<Oid>(table_oid), attnum}] = nullable;
  }
  for (absl::string_view t : tables) {
    if (!schema->tables_.contains(t)) {
      return absl::FailedPreconditionError(absl::StrCat(
          "table ", t, " does not exist: run `defifundr-data migrate up`"));
    }
  }

  const db::Statement* enums = catalog.Find(db::queries::kListEnumTypes);
  if (enums == nullptr)
    return absl::InternalError("query ListEnumTypes missing");
  auto e = conn.ExecStatement(enums->name, enums->sql, {}, options);
  if (!e.ok()) return e.status();
  for (int i = 0; i < e->rows(); ++i) {
    auto oid = e->row(i).Get<int64_t>(0);
    if (!oid.ok()) return oid.status();
    schema->enum_types_.insert(static_cast<Oid>(*oid));
  }
  if (absl::Status s = tx->Commit(options); !s.ok()) return s;
  return schema;
}

StatementInfo DescribeResult(const db::pg::Result& d) {
  StatementInfo info;
  for (int i = 0; i < d.params(); ++i)
    info.param_types.push_back(d.param_type(i));
  for (int c = 0; c < d.columns(); ++c) {
    info.columns.push_back({std::string(d.column_name(c)), d.column_type(c),
                            d.column_table(c), d.column_table_column(c)});
  }
  return info;
}

const StatementInfo* Schema::statement(absl::string_view name) const {
  auto it = statements_.find(name);
  return it == statements_.end() ? nullptr : &it->second;
}

const TableMeta* Schema::table(absl::string_view name) const {
  auto it = tables_.find(name);
  return it == tables_.end() ? nullptr : &it->second;
}

bool Schema::MaybeNull(const ResultColumn& column) const {
  if (column.table == 0 || column.attnum <= 0) return true;
  auto it = nullable_.find({column.table, column.attnum});
  return it == nullable_.end() ? true : it->second;
}

void VetStatement(const Schema& schema, const db::Statement& statement,
                  const StatementInfo& statement_info, const Binding& b,
                  std::vector<std::string>* problems_out) {
  const db::Statement* st = &statement;
  const StatementInfo* info = &statement_info;
  std::vector<std::string>& problems = *problems_out;
  {
    const std::string where =
        absl::StrCat("query ", st->name, " (", st->file, ":", st->line, ")");
    if (b.result != nullptr) {
      // The handler reads its own columns after the message's, with
      // Row::Last<T...>(): they must be the last ones, in this order.
      const size_t n = info->columns.size();
      const size_t extra = b.extra_columns.size();
      for (size_t i = 0; i < extra; ++i) {
        if (n < extra || info->columns[n - extra + i].name != b.extra_columns[i]) {
          problems.push_back(absl::StrCat(
              where, ": must end with the column(s) ",
              absl::StrJoin(b.extra_columns, ", "), ", in that order"));
          break;
        }
      }
      for (const ResultColumn& col : info->columns) {
        if (std::find(b.extra_columns.begin(), b.extra_columns.end(),
                      col.name) != b.extra_columns.end()) {
          continue;
        }
        const FieldDescriptor* f = b.result->FindFieldByName(col.name);
        if (f == nullptr) {
          problems.push_back(absl::StrCat(where, ": column ", col.name,
                                          " has no field in ",
                                          b.result->full_name()));
          continue;
        }
        if (!ColumnFitsField(col.type, f, schema.IsEnumType(col.type))) {
          problems.push_back(
              absl::StrCat(where, ": column ", col.name, " (type oid ",
                           col.type, ") does not fit field ", f->full_name()));
        }
        // Only table columns are checked: an expression's nullability is
        // unknown, and DecodeRow rejects a NULL there at run time.
        if (col.table != 0 && schema.MaybeNull(col) && !f->has_presence()) {
          problems.push_back(absl::StrCat(
              where, ": column ", col.name, " is nullable but field ",
              f->full_name(), " has no presence (make it optional)"));
        }
      }
    } else if (!b.extra_columns.empty()) {
      // Read column by column by the service itself.
      for (const std::string& want : b.extra_columns) {
        if (std::none_of(info->columns.begin(), info->columns.end(),
                         [&](const ResultColumn& c) { return c.name == want; })) {
          problems.push_back(
              absl::StrCat(where, ": returns no column ", want));
        }
      }
      for (const ResultColumn& col : info->columns) {
        if (std::find(b.extra_columns.begin(), b.extra_columns.end(),
                      col.name) == b.extra_columns.end()) {
          problems.push_back(
              absl::StrCat(where, ": column ", col.name, " is read by nobody"));
        }
      }
    } else if (!info->columns.empty() &&
               st->cardinality != db::Cardinality::kExec) {
      problems.push_back(absl::StrCat(where, ": returns rows nobody reads"));
    }
    for (const std::string& p : st->params) {
      bool found =
          std::find(b.extras.begin(), b.extras.end(), p) != b.extras.end();
      for (const auto* d : b.sources) {
        if (!found && d->FindFieldByName(p) != nullptr) found = true;
      }
      if (!found) {
        problems.push_back(
            absl::StrCat(where, ": parameter @", p, " has no source field"));
      }
    }
  }
}

std::vector<Binding> InternalBindings() {
  return {
      {db::queries::kListColumns,
       nullptr,
       {},
       {"tables"},
       {"table_name", "column_name", "udt_name", "is_nullable", "has_default",
        "max_length", "table_oid", "attnum"}},
      {db::queries::kListEnumTypes, nullptr, {}, {}, {"oid"}},
      {db::queries::kSchemaVersion, nullptr, {}, {}, {"version"}},
      {db::queries::kCurrentWalLsn, nullptr, {}, {}, {"lsn"}},
      {db::queries::kReplicaCaughtUp, nullptr, {}, {"lsn"}, {"caught_up"}},
      {db::queries::kReplicaLagBytes, nullptr, {}, {"lsn"}, {"lag_bytes"}},
  };
}

absl::StatusOr<int> Vet(const Schema& schema, const db::QueryCatalog& catalog,
                        std::span<const Binding> bindings) {
  std::vector<std::string> problems;
  absl::flat_hash_set<std::string> checked;
  for (const Binding& b : bindings) {
    const db::Statement* st = catalog.Find(b.statement);
    const StatementInfo* info = schema.statement(b.statement);
    if (st == nullptr || info == nullptr) {
      problems.push_back(
          absl::StrCat("query ", b.statement.name(), ": not defined"));
      continue;
    }
    VetStatement(schema, *st, *info, b, &problems);
    checked.insert(std::string(b.statement.name()));
  }
  for (const db::Statement& st : catalog.statements()) {
    if (!checked.contains(st.name)) {
      problems.push_back(absl::StrCat(
          "query ", st.name, " (", st.file, ":", st.line,
          "): no method declares it, so nothing checks it (bind it or "
          "remove it)"));
    }
  }
  if (problems.empty()) return static_cast<int>(checked.size());
  return absl::InvalidArgumentError(
      absl::StrCat("queries do not match the schema or the API:\n  ",
                   absl::StrJoin(problems, "\n  ")));
}

}  // namespace defifundr::server
