# cmake -DOUT=<header> -DFILES=<a.sql;b.sql> -P QueryNamesScript.cmake
#
# Writes the header of query-name constants (see db/query_name.h): one
# `inline constexpr QueryName k<Name>` per `-- name: <Name> :<kind>` entry of
# the given files, so that a misspelt query name fails the build. The header
# is replaced only when its text changes, so that editing a query's SQL
# recompiles nothing.
set(body "")
foreach(file IN LISTS FILES)
  get_filename_component(base "${file}" NAME)
  file(STRINGS "${file}" lines REGEX "^-- name: ")
  foreach(line IN LISTS lines)
    if(line MATCHES "^-- name: ([A-Za-z_][A-Za-z0-9_]*) :([a-z]+)")
      string(APPEND body
        "/// ${base}: `${CMAKE_MATCH_1}` (:${CMAKE_MATCH_2}).\n"
        "inline constexpr QueryName k${CMAKE_MATCH_1}{QueryName::Generated{}, \"${CMAKE_MATCH_1}\"};\n")
    endif()
  endforeach()
endforeach()
set(text "// Generated from db/queries/*.sql by cmake/QueryNamesScript.cmake; do not
// edit. One constant per named query (see db/query_name.h).
#ifndef DEFIFUNDR_DB_QUERY_NAMES_H_
#define DEFIFUNDR_DB_QUERY_NAMES_H_

#include \"db/query_name.h\"

namespace defifundr::db::queries {

${body}
}  // namespace defifundr::db::queries

#endif  // DEFIFUNDR_DB_QUERY_NAMES_H_
")
file(WRITE "${OUT}.tmp" "${text}")
execute_process(COMMAND "${CMAKE_COMMAND}" -E copy_if_different "${OUT}.tmp" "${OUT}")
file(REMOVE "${OUT}.tmp")
