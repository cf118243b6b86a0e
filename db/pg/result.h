// Owning wrapper of a PGresult and typed row access.
//
// The calling code states how many rows it expects (SingleRow / OptionalRow /
// all rows), as taopq and libpqxx do; decoding a NULL into a non-optional
// type is an error, never a silent default.
#ifndef DEFIFUNDR_DB_PG_RESULT_H_
#define DEFIFUNDR_DB_PG_RESULT_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <tuple>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

// libpq's result and type-id types, declared as libpq-fe.h and
// postgres_ext.h declare them, so that this header does not expose libpq.
typedef struct pg_result PGresult;
typedef unsigned int Oid;

namespace defifundr::db::pg {

class Result;

/// One row of a Result; valid while the Result lives.
class Row {
 public:
  Row(const Result* result, int index) : result_(result), index_(index) {}

  /// True if column `col` (0-based) is SQL NULL.
  bool IsNull(int col) const;
  /// The text value of column `col`; empty for NULL.
  absl::string_view Text(int col) const;

  /// Decodes column `col` as T: std::string, bool, int32_t, int64_t,
  /// absl::Time (timestamptz in the session's ISO/UTC output), or
  /// std::optional of those (NULL -> nullopt). INTERNAL for a NULL into a
  /// non-optional or text that does not parse.
  template <typename T>
  absl::StatusOr<T> Get(int col) const;

  /// The row's columns, all of them, decoded at once as T... in order (each
  /// as Get<T> would), e.g.
  ///   auto cols = row.As<std::string, bool, std::optional<int32_t>>();
  ///   if (!cols.ok()) return cols.status();
  ///   auto& [name, nullable, max_length] = *cols;
  /// INTERNAL "row has N columns, read as M" when the counts differ, else
  /// the first column's error.
  template <typename... T>
  absl::StatusOr<std::tuple<T...>> As() const;

  /// The row's last sizeof...(T) columns decoded at once as T... in order,
  /// e.g. the columns a query returns after those of a message:
  ///   auto [is_active] = *row.Last<bool>();  // after checking ok()
  /// INTERNAL when the row has fewer columns, else the first column's error.
  template <typename... T>
  absl::StatusOr<std::tuple<T...>> Last() const;

  int index() const { return index_; }

 private:
  template <typename... T, size_t... I>
  absl::StatusOr<std::tuple<T...>> AsColumns(std::index_sequence<I...>,
                                             int first = 0) const;

  const Result* result_;
  int index_;
};

/// A successful query result (errors become statuses before this exists).
/// Move-only; frees the PGresult on destruction.
class Result {
 public:
  Result() = default;
  explicit Result(PGresult* res) : res_(res) {}

  int rows() const;
  int columns() const;
  absl::string_view column_name(int col) const;
  /// The column's type OID (pg_type.oid).
  Oid column_type(int col) const;
  /// The table and 1-based column a result column comes from; 0 if none.
  Oid column_table(int col) const;
  int column_table_column(int col) const;
  /// Index of the column named `name`, or -1.
  int column_index(absl::string_view name) const;
  /// Rows affected by INSERT/UPDATE/DELETE (PQcmdTuples); 0 for others.
  int64_t affected_rows() const;
  /// Number and types of a prepared statement's parameters (for results of
  /// Connection::Describe).
  int params() const;
  Oid param_type(int i) const;

  Row row(int i) const { return Row(this, i); }
  /// Exactly one row: NOT_FOUND for none, INTERNAL for several.
  absl::StatusOr<Row> SingleRow() const;
  /// At most one row: nullopt for none, INTERNAL for several.
  absl::StatusOr<std::optional<Row>> OptionalRow() const;

  const PGresult* get() const { return res_.get(); }

 private:
  struct Deleter {
    void operator()(PGresult* r) const;
  };
  std::unique_ptr<PGresult, Deleter> res_;
};

template <typename... T>
absl::StatusOr<std::tuple<T...>> Row::As() const {
  if (result_->columns() != static_cast<int>(sizeof...(T))) {
    return absl::InternalError(absl::StrCat("row has ", result_->columns(),
                                            " columns, read as ",
                                            sizeof...(T)));
  }
  return AsColumns<T...>(std::index_sequence_for<T...>{});
}

template <typename... T>
absl::StatusOr<std::tuple<T...>> Row::Last() const {
  const int n = static_cast<int>(sizeof...(T));
  if (result_->columns() < n) {
    return absl::InternalError(absl::StrCat("row has ", result_->columns(),
                                            " columns, read the last ", n));
  }
  return AsColumns<T...>(std::index_sequence_for<T...>{},
                         result_->columns() - n);
}

template <typename... T, size_t... I>
absl::StatusOr<std::tuple<T...>> Row::AsColumns(std::index_sequence<I...>,
                                                int first) const {
  std::tuple<absl::StatusOr<T>...> got{
      Get<T>(first + static_cast<int>(I))...};
  absl::Status status;
  ((status.ok() ? status = std::get<I>(got).status() : status), ...);
  if (!status.ok()) return status;
  return std::tuple<T...>{*std::move(std::get<I>(got))...};
}

/// Parses PostgreSQL's timestamptz text output under DateStyle ISO and
/// TimeZone UTC ("2025-03-21 12:26:19.123456+00"); also accepts other
/// "+hh[:mm]" offsets, years of more than four digits (up to 294276), the
/// " BC" suffix, and `infinity` / `-infinity` (absl::InfiniteFuture() /
/// absl::InfinitePast()). INTERNAL if it does not parse.
absl::StatusOr<absl::Time> ParseTimestamp(absl::string_view text);
/// Formats a time as timestamptz input text with microsecond precision in
/// UTC, e.g. "2025-03-21T12:26:19.123456Z".
std::string FormatTimestamp(absl::Time t);

// Well-known built-in type OIDs (src/include/catalog/pg_type.dat).
inline constexpr Oid kBoolOid = 16;
inline constexpr Oid kInt8Oid = 20;
inline constexpr Oid kInt2Oid = 21;
inline constexpr Oid kInt4Oid = 23;
inline constexpr Oid kTextOid = 25;
inline constexpr Oid kBpcharOid = 1042;
inline constexpr Oid kVarcharOid = 1043;
inline constexpr Oid kTimestampOid = 1114;
inline constexpr Oid kTimestamptzOid = 1184;
inline constexpr Oid kJsonOid = 114;
inline constexpr Oid kJsonbOid = 3802;
inline constexpr Oid kInetOid = 869;
inline constexpr Oid kUuidOid = 2950;
inline constexpr Oid kTextArrayOid = 1009;

}  // namespace defifundr::db::pg

#endif  // DEFIFUNDR_DB_PG_RESULT_H_
