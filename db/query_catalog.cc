#include "db/query_catalog.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>

#include "absl/strings/ascii.h"
#include "absl/strings/cord.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace defifundr::db {

// Defined by the build (cmake/Embed.cmake) from db/queries/*.sql.
std::span<const EmbeddedFile> QueryFiles();

namespace {

bool IsIdentStart(char c) { return absl::ascii_isalpha(c) || c == '_'; }
bool IsIdentChar(char c) { return absl::ascii_isalnum(c) || c == '_'; }

absl::Status ParseError(absl::string_view file, int line,
                        absl::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat(file, ":", line, ": ", what));
}

}  // namespace

std::string QueryCatalog::RewriteParams(absl::string_view sql,
                                        std::vector<std::string>* params) {
  std::string out;
  out.reserve(sql.size());
  size_t i = 0;
  const size_t n = sql.size();
  while (i < n) {
    const char c = sql[i];
    const bool escape_string = (c == 'E' || c == 'e') && i + 1 < n &&
                               sql[i + 1] == '\'' &&
                               (i == 0 || !IsIdentChar(sql[i - 1]));
    if (c == '\'' || c == '"' || escape_string) {
      // 'literal', "identifier" ('' and "" escape the quote) or E'...' where
      // a backslash escapes the next character.
      const size_t open = escape_string ? i + 1 : i;
      const char quote = sql[open];
      size_t j = open + 1;
      while (j < n) {
        if (escape_string && sql[j] == '\\') {
          j += 2;
          continue;
        }
        if (sql[j] == quote) {
          if (j + 1 < n && sql[j + 1] == quote) {
            j += 2;
            continue;
          }
          break;
        }
        ++j;
      }
      j = std::min(j + 1, n);
      absl::StrAppend(&out, sql.substr(i, j - i));
      i = j;
    } else if (c == '-' && i + 1 < n && sql[i + 1] == '-') {
      size_t j = sql.find('\n', i);
      if (j == absl::string_view::npos) j = n;
      absl::StrAppend(&out, sql.substr(i, j - i));
      i = j;
    } else if (c == '/' && i + 1 < n && sql[i + 1] == '*') {
      // Block comments nest in PostgreSQL.
      size_t j = i + 2;
      int depth = 1;
      while (j < n && depth > 0) {
        if (sql[j] == '/' && j + 1 < n && sql[j + 1] == '*') {
          ++depth;
          j += 2;
        } else if (sql[j] == '*' && j + 1 < n && sql[j + 1] == '/') {
          --depth;
          j += 2;
        } else {
          ++j;
        }
      }
      absl::StrAppend(&out, sql.substr(i, j - i));
      i = j;
    } else if (c == '$' && i + 1 < n &&
               (sql[i + 1] == '$' || IsIdentStart(sql[i + 1]))) {
      // Dollar quote $tag$...$tag$ (a `$1` placeholder starts with a digit).
      size_t j = i + 1;
      while (j < n && IsIdentChar(sql[j])) ++j;
      if (j < n && sql[j] == '$') {
        const absl::string_view tag = sql.substr(i, j - i + 1);
        size_t end = sql.find(tag, j + 1);
        end = (end == absl::string_view::npos) ? n : end + tag.size();
        absl::StrAppend(&out, sql.substr(i, end - i));
        i = end;
      } else {
        absl::StrAppend(&out, sql.substr(i, j - i));
        i = j;
      }
    } else if (c == '@' && i + 1 < n && IsIdentStart(sql[i + 1])) {
      size_t j = i + 1;
      while (j < n && IsIdentChar(sql[j])) ++j;
      const std::string name(sql.substr(i + 1, j - i - 1));
      size_t index = 0;
      while (index < params->size() && (*params)[index] != name) ++index;
      if (index == params->size()) params->push_back(name);
      absl::StrAppend(&out, "$", index + 1);
      i = j;
    } else {
      out.push_back(c);
      ++i;
    }
  }
  return out;
}

bool IsReadOnlySql(absl::string_view sql) {
  absl::string_view rest = absl::StripLeadingAsciiWhitespace(sql);
  while (absl::StartsWith(rest, "--")) {
    const size_t eol = rest.find('\n');
    rest = eol == absl::string_view::npos
               ? absl::string_view()
               : absl::StripLeadingAsciiWhitespace(rest.substr(eol + 1));
  }
  if (!absl::StartsWithIgnoreCase(rest, "select") ||
      (rest.size() > 6 && IsIdentChar(rest[6]))) {
    return false;
  }
  const std::string lower = absl::AsciiStrToLower(rest);
  for (absl::string_view writes :
       {"for update", "for no key update", "for share", "for key share",
        "nextval(", "setval("}) {
    if (absl::StrContains(lower, writes)) return false;
  }
  return true;
}

absl::StatusOr<QueryCatalog> QueryCatalog::Parse(
    std::span<const EmbeddedFile> files) {
  QueryCatalog catalog;
  for (const EmbeddedFile& file : files) {
    std::vector<absl::string_view> lines = absl::StrSplit(file.contents, '\n');
    Statement* current = nullptr;
    std::string body;
    auto finish = [&]() -> absl::Status {
      if (current == nullptr) return absl::OkStatus();
      absl::string_view sql = absl::StripAsciiWhitespace(body);
      if (absl::EndsWith(sql, ";")) sql.remove_suffix(1);
      if (absl::StripAsciiWhitespace(sql).empty()) {
        return ParseError(file.name, current->line, "statement is empty");
      }
      current->sql = RewriteParams(sql, &current->params);
      current->read_only = IsReadOnlySql(current->sql);
      body.clear();
      return absl::OkStatus();
    };
    for (size_t i = 0; i < lines.size(); ++i) {
      const absl::string_view line = lines[i];
      absl::string_view rest = absl::StripLeadingAsciiWhitespace(line);
      if (absl::ConsumePrefix(&rest, "-- name:")) {
        if (absl::Status s = finish(); !s.ok()) return s;
        std::vector<absl::string_view> parts =
            absl::StrSplit(rest, ' ', absl::SkipWhitespace());
        if (parts.size() != 2 || parts[1].empty() || parts[1][0] != ':') {
          return ParseError(
              file.name, static_cast<int>(i + 1),
              "expected `-- name: <Name> :one|:many|:exec|:execrows`");
        }
        Statement st;
        st.name = std::string(parts[0]);
        st.file = std::string(file.name);
        st.line = static_cast<int>(i + 1);
        if (parts[1] == ":one") {
          st.cardinality = Cardinality::kOne;
        } else if (parts[1] == ":many") {
          st.cardinality = Cardinality::kMany;
        } else if (parts[1] == ":exec") {
          st.cardinality = Cardinality::kExec;
        } else if (parts[1] == ":execrows") {
          st.cardinality = Cardinality::kExecRows;
        } else {
          return ParseError(file.name, st.line,
                            absl::StrCat("unknown kind ", parts[1]));
        }
        if (catalog.by_name_.contains(st.name)) {
          return ParseError(
              file.name, st.line,
              absl::StrCat("query ", st.name, " is defined twice"));
        }
        catalog.by_name_[st.name] = catalog.statements_.size();
        catalog.statements_.push_back(std::move(st));
        current = &catalog.statements_.back();
      } else if (current != nullptr) {
        absl::StrAppend(&body, line, "\n");
      } else if (!rest.empty() && !absl::StartsWith(rest, "--")) {
        return ParseError(file.name, static_cast<int>(i + 1),
                          "SQL before the first `-- name:` header");
      }
    }
    if (absl::Status s = finish(); !s.ok()) return s;
  }
  return catalog;
}

const QueryCatalog* QueryCatalog::ParseEmbedded(
    std::span<const EmbeddedFile> files) {
  auto parsed = Parse(files);
  if (!parsed.ok()) {
    // The files are part of the build: a parse error is a build defect and
    // every test fails on it.
    fprintf(stderr, "embedded queries do not parse: %s\n",
            std::string(parsed.status().message()).c_str());
    abort();
  }
  return new QueryCatalog(*std::move(parsed));
}

const QueryCatalog& QueryCatalog::Builtin() {
  static const QueryCatalog* catalog = ParseEmbedded(QueryFiles());
  return *catalog;
}

absl::StatusOr<pg::Result> QueryCatalog::Run(
    pg::Connection& conn, absl::string_view name,
    std::initializer_list<std::pair<absl::string_view, pg::Param>> args,
    const pg::CallOptions& options) const {
  const Statement* st = Find(name);
  if (st == nullptr) {
    return absl::InternalError(absl::StrCat("unknown statement ", name));
  }
  std::vector<pg::Param> params;
  params.reserve(st->params.size());
  for (const std::string& param : st->params) {
    auto it = std::find_if(args.begin(), args.end(),
                           [&](const auto& a) { return a.first == param; });
    if (it == args.end()) {
      return absl::InternalError(
          absl::StrCat("statement ", name, ": no value for @", param));
    }
    params.push_back(it->second);
  }
  return conn.ExecParams(st->sql, params, options);
}

const Statement* QueryCatalog::Find(absl::string_view name) const {
  auto it = by_name_.find(name);
  return it == by_name_.end() ? nullptr : &statements_[it->second];
}

absl::Status QueryCatalog::PrepareAll(pg::Connection& conn,
                                      const pg::CallOptions& options) const {
  for (const Statement& st : statements_) {
    if (conn.IsPrepared(st.name)) continue;
    absl::Status s = conn.Prepare(st.name, st.sql, options);
    if (!s.ok()) {
      if (s.code() == absl::StatusCode::kUnavailable ||
          s.code() == absl::StatusCode::kDeadlineExceeded) {
        return s;
      }
      absl::Status named = absl::InvalidArgumentError(
          absl::StrCat("query ", st.name, " (", st.file, ":", st.line,
                       ") does not prepare: ", s.message()));
      // Keeps what the database said (its SQLSTATE) for the caller.
      s.ForEachPayload([&](absl::string_view url, const absl::Cord& payload) {
        named.SetPayload(url, payload);
      });
      return named;
    }
  }
  return absl::OkStatus();
}

}  // namespace defifundr::db
