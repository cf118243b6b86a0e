// The name of a named query of db/queries/*.sql as a symbol, checked at
// build time: the generated header "db/query_names.h" declares one constant
// per `-- name:` entry (db::queries::kGetUser, ...), and every API that runs a
// named query takes a QueryName, which only that header creates. A misspelt
// name is then a compile error, not UNIMPLEMENTED or INTERNAL at run time.
#ifndef DEFIFUNDR_DB_QUERY_NAME_H_
#define DEFIFUNDR_DB_QUERY_NAME_H_

#include "absl/strings/string_view.h"

namespace defifundr::db {

class QueryName {
 public:
  /// The tag only the generated header passes.
  struct Generated {
    explicit Generated() = default;
  };
  /// No query (e.g. a method without a count query).
  constexpr QueryName() = default;
  constexpr QueryName(Generated, absl::string_view name) : name_(name) {}

  /// The name as in `-- name:`, which is also its prepared statement's name.
  constexpr absl::string_view name() const { return name_; }
  constexpr bool empty() const { return name_.empty(); }
  // NOLINTNEXTLINE(google-explicit-constructor): used wherever a name is.
  constexpr operator absl::string_view() const { return name_; }

  friend constexpr bool operator==(QueryName a, QueryName b) {
    return a.name_ == b.name_;
  }

 private:
  absl::string_view name_;
};

}  // namespace defifundr::db

#endif  // DEFIFUNDR_DB_QUERY_NAME_H_
