#include "db/migrate/migration.h"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/civil_time.h"

namespace defifundr::db::migrate {

namespace {

// A piece of a file quoted in an error: whole up to 64 bytes, else its
// first 64 (not splitting a UTF-8 character), "..." and its length.
std::string Bounded(absl::string_view text) {
  constexpr size_t kMax = 64;
  if (text.size() <= kMax) return std::string(text);
  size_t n = kMax;
  while (n > 0 && (static_cast<unsigned char>(text[n]) & 0xC0) == 0x80) --n;
  return absl::StrCat(text.substr(0, n), "... (", text.size(), " bytes)");
}

absl::Status Error(absl::string_view file, int line, absl::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat(file, ":", line, ": ", what));
}

bool IsIdentChar(char c) {
  return absl::ascii_isalnum(c) || c == '_' ||
         static_cast<unsigned char>(c) >= 0x80;
}

// Where the SQL text of a statement stands at the end of a line: in plain
// code, or inside a construct that a `;` at the line's end must not split.
struct LexState {
  enum class In {
    kCode,
    kString,        // '...'
    kEscapeString,  // E'...' (backslash escapes)
    kIdentifier,    // "..."
    kDollar,        // $tag$...$tag$
    kBlockComment,  // /* ... */ (nested)
  };
  In in = In::kCode;
  std::string tag;  // The dollar-quote delimiter, e.g. "$body$".
  int depth = 0;    // Block comment nesting.
  int opened_line = 0;
};

// Advances `st` over one line of SQL (PostgreSQL's lexical rules for
// quotes and comments; a `--` comment ends at the line's end).
void LexLine(absl::string_view line, int lineno, LexState* st) {
  using In = LexState::In;
  for (size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    const char next = i + 1 < line.size() ? line[i + 1] : '\0';
    switch (st->in) {
      case In::kCode:
        if (c == '-' && next == '-') return;
        if (c == '/' && next == '*') {
          st->opened_line = lineno;
          st->in = In::kBlockComment;
          st->depth = 1;
          ++i;
        } else if (c == '\'') {
          const bool escape = i > 0 &&
                              (line[i - 1] == 'E' || line[i - 1] == 'e') &&
                              (i < 2 || !IsIdentChar(line[i - 2]));
          st->in = escape ? In::kEscapeString : In::kString;
          st->opened_line = lineno;
        } else if (c == '"') {
          st->in = In::kIdentifier;
          st->opened_line = lineno;
        } else if (c == '$' && (i == 0 || !(IsIdentChar(line[i - 1]) ||
                                            line[i - 1] == '$'))) {
          size_t j = i + 1;
          if (j < line.size() &&
              (absl::ascii_isalpha(line[j]) || line[j] == '_' ||
               static_cast<unsigned char>(line[j]) >= 0x80)) {
            while (j < line.size() && IsIdentChar(line[j])) ++j;
          }
          if (j < line.size() && line[j] == '$') {
            st->in = In::kDollar;
            st->tag = std::string(line.substr(i, j - i + 1));
            st->opened_line = lineno;
            i = j;
          }
        }
        break;
      case In::kString:
      case In::kEscapeString:
        if (st->in == In::kEscapeString && c == '\\') {
          ++i;
        } else if (c == '\'') {
          if (next == '\'') {
            ++i;
          } else {
            st->in = In::kCode;
          }
        }
        break;
      case In::kIdentifier:
        if (c == '"') {
          if (next == '"') {
            ++i;
          } else {
            st->in = In::kCode;
          }
        }
        break;
      case In::kDollar:
        if (c == '$' && absl::StartsWith(line.substr(i), st->tag)) {
          i += st->tag.size() - 1;
          st->in = In::kCode;
        }
        break;
      case In::kBlockComment:
        if (c == '/' && next == '*') {
          ++st->depth;
          ++i;
        } else if (c == '*' && next == '/') {
          ++i;
          if (--st->depth == 0) st->in = In::kCode;
        }
        break;
    }
  }
}

// What a `;` at a line's end would cut in `st`, or "" if nothing.
std::string OpenConstruct(const LexState& st) {
  switch (st.in) {
    case LexState::In::kCode:
      return "";
    case LexState::In::kString:
    case LexState::In::kEscapeString:
      return "a string literal";
    case LexState::In::kIdentifier:
      return "a quoted identifier";
    case LexState::In::kDollar:
      return absl::StrCat("a dollar-quoted body (", Bounded(st.tag), ")");
    case LexState::In::kBlockComment:
      return "a block comment";
  }
  return "";
}

// Replaces ${VAR} and $VAR with the environment's values (Goose ENVSUB).
std::string EnvSubst(absl::string_view line) {
  std::string out;
  for (size_t i = 0; i < line.size(); ++i) {
    if (line[i] == '$' && i + 1 < line.size()) {
      size_t start = i + 1, end;
      bool braced = line[start] == '{';
      if (braced) {
        end = line.find('}', start);
        if (end == absl::string_view::npos) {
          out.push_back(line[i]);
          continue;
        }
        const std::string name(line.substr(start + 1, end - start - 1));
        const char* v = std::getenv(name.c_str());
        out += v ? v : "";
        i = end;
        continue;
      }
      end = start;
      while (end < line.size() &&
             (absl::ascii_isalnum(line[end]) || line[end] == '_')) {
        ++end;
      }
      if (end > start && !absl::ascii_isdigit(line[start])) {
        const std::string name(line.substr(start, end - start));
        const char* v = std::getenv(name.c_str());
        out += v ? v : "";
        i = end - 1;
        continue;
      }
    }
    out.push_back(line[i]);
  }
  return out;
}

bool EndsWithSemicolon(absl::string_view line) {
  // Ignore a trailing `-- comment` (Goose does the same), but not `--`
  // inside a 'string literal' or "identifier".
  absl::string_view code = line;
  char quote = 0;
  for (size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (quote != 0) {
      if (c == quote) quote = 0;  // A doubled quote re-opens at once.
    } else if (c == '\'' || c == '"') {
      quote = c;
    } else if (c == '-' && i + 1 < line.size() && line[i + 1] == '-') {
      code = line.substr(0, i);
      break;
    }
  }
  code = absl::StripTrailingAsciiWhitespace(code);
  return absl::EndsWith(code, ";");
}

bool IsComment(absl::string_view trimmed) {
  return absl::StartsWith(trimmed, "--");
}

}  // namespace

absl::StatusOr<int64_t> VersionFromFileName(absl::string_view file) {
  const size_t us = file.find('_');
  int64_t version = 0;
  if (us == absl::string_view::npos || us == 0 ||
      !absl::SimpleAtoi(file.substr(0, us), &version) || version < 1 ||
      !absl::EndsWith(file, ".sql")) {
    return absl::InvalidArgumentError(absl::StrCat(
        file, ": not a migration file name (want <version>_<name>.sql)"));
  }
  return version;
}

bool IsTimestampVersion(int64_t version) {
  const std::string digits = absl::StrCat(version);
  if (digits.size() != 14) return false;
  auto field = [&](size_t pos, size_t len) {
    int v = 0;
    (void)absl::SimpleAtoi(digits.substr(pos, len), &v);
    return v;
  };
  const int y = field(0, 4), mo = field(4, 2), d = field(6, 2), h = field(8, 2),
            mi = field(10, 2), s = field(12, 2);
  const absl::CivilSecond t(y, mo, d, h, mi, s);
  if (t.year() != y || t.month() != mo || t.day() != d || t.hour() != h ||
      t.minute() != mi || t.second() != s) {
    return false;  // Normalized: not a real date and time.
  }
  return t > absl::CivilSecond(1970, 1, 1, 0, 0, 0);
}

absl::StatusOr<Migration> ParseMigration(absl::string_view file,
                                         absl::string_view contents) {
  Migration m;
  m.file = std::string(file);
  auto version = VersionFromFileName(file);
  if (!version.ok()) return version.status();
  m.version = *version;

  enum class Section { kNone, kUp, kDown } section = Section::kNone;
  bool in_block = false, envsub = false, seen_up = false;
  int block_line = 0, stmt_line = 0;
  std::string buffer;
  LexState lex;
  const std::vector<absl::string_view> lines = absl::StrSplit(contents, '\n');

  auto target = [&]() -> std::vector<SqlStatement>& {
    return section == Section::kUp ? m.up : m.down;
  };
  auto flush = [&]() {
    absl::string_view sql = absl::StripAsciiWhitespace(buffer);
    if (!sql.empty()) target().push_back({std::string(sql), stmt_line});
    buffer.clear();
    lex = LexState();
  };
  auto end_section = [&]() -> absl::Status {
    if (in_block) {
      return Error(file, block_line,
                   "-- +goose StatementBegin without StatementEnd");
    }
    if (!absl::StripAsciiWhitespace(buffer).empty()) {
      return Error(file, stmt_line,
                   "statement does not end with `;` before the next section "
                   "or the end of the file");
    }
    buffer.clear();
    lex = LexState();
    return absl::OkStatus();
  };

  for (size_t i = 0; i < lines.size(); ++i) {
    const int lineno = static_cast<int>(i + 1);
    absl::string_view raw = absl::StripTrailingAsciiWhitespace(lines[i]);
    absl::string_view trimmed = absl::StripLeadingAsciiWhitespace(raw);
    if (absl::StartsWith(trimmed, "-- +goose") ||
        absl::StartsWith(trimmed, "--+goose")) {
      absl::string_view cmd = trimmed;
      absl::ConsumePrefix(&cmd, "--");
      cmd = absl::StripLeadingAsciiWhitespace(cmd);
      absl::ConsumePrefix(&cmd, "+goose");
      cmd = absl::StripAsciiWhitespace(cmd);
      const std::string upper = absl::AsciiStrToUpper(cmd);
      if (upper == "UP") {
        if (absl::Status s = end_section(); !s.ok()) return s;
        if (seen_up) return Error(file, lineno, "a second `-- +goose Up`");
        section = Section::kUp;
        seen_up = true;
      } else if (upper == "DOWN") {
        if (absl::Status s = end_section(); !s.ok()) return s;
        if (!seen_up) return Error(file, lineno, "`-- +goose Down` before Up");
        section = Section::kDown;
      } else if (upper == "STATEMENTBEGIN") {
        if (section == Section::kNone) {
          return Error(file, lineno, "StatementBegin before `-- +goose Up`");
        }
        if (in_block) return Error(file, lineno, "nested StatementBegin");
        if (!absl::StripAsciiWhitespace(buffer).empty()) {
          return Error(file, stmt_line,
                       "statement does not end with `;` before StatementBegin");
        }
        in_block = true;
        block_line = lineno;
        buffer.clear();
      } else if (upper == "STATEMENTEND") {
        if (!in_block) {
          return Error(file, lineno, "StatementEnd without StatementBegin");
        }
        in_block = false;
        flush();
      } else if (upper == "NO TRANSACTION") {
        m.no_transaction = true;
      } else if (upper == "ENVSUB ON") {
        envsub = true;
      } else if (upper == "ENVSUB OFF") {
        envsub = false;
      } else {
        return Error(file, lineno,
                     absl::StrCat("unknown annotation `", Bounded(trimmed), "`"));
      }
      continue;
    }
    if (section == Section::kNone) {
      if (trimmed.empty() || IsComment(trimmed)) continue;
      return Error(file, lineno, "SQL before `-- +goose Up`");
    }
    // As Goose: blank lines and comments before a statement are not part of
    // it (also inside StatementBegin/End).
    if (absl::StripAsciiWhitespace(buffer).empty() &&
        (trimmed.empty() || IsComment(trimmed))) {
      continue;
    }
    if (absl::StripAsciiWhitespace(buffer).empty()) stmt_line = lineno;
    const std::string text = envsub ? EnvSubst(raw) : std::string(raw);
    absl::StrAppend(&buffer, text, "\n");
    if (in_block) continue;
    LexLine(text, lineno, &lex);
    if (EndsWithSemicolon(raw)) {
      if (const std::string open = OpenConstruct(lex); !open.empty()) {
        return Error(
            file, stmt_line,
            absl::StrCat("the `;` ending line ", lineno, " would split ", open,
                         " opened on line ", lex.opened_line,
                         ": wrap the statement in -- +goose StatementBegin / "
                         "StatementEnd"));
      }
      flush();
    }
  }
  if (absl::Status s = end_section(); !s.ok()) return s;
  if (!seen_up) return Error(file, 1, "no `-- +goose Up` annotation");
  return m;
}

std::vector<absl::Status> ValidateMigrations(
    std::span<const EmbeddedFile> files) {
  std::vector<const EmbeddedFile*> sorted;
  for (const EmbeddedFile& f : files) sorted.push_back(&f);
  std::sort(sorted.begin(), sorted.end(),
            [](const EmbeddedFile* a, const EmbeddedFile* b) {
              return a->name < b->name;
            });
  std::vector<absl::Status> errors;
  absl::flat_hash_map<int64_t, absl::string_view> seen;
  for (const EmbeddedFile* f : sorted) {
    auto m = ParseMigration(f->name, f->contents);
    if (!m.ok()) {
      errors.push_back(m.status());
      continue;
    }
    auto [it, inserted] = seen.try_emplace(m->version, f->name);
    if (!inserted) {
      errors.push_back(absl::InvalidArgumentError(
          absl::StrCat("duplicate version ", m->version, ": ", it->second,
                       " and ", f->name)));
    }
  }
  return errors;
}

absl::StatusOr<std::vector<Migration>> ParseMigrations(
    std::span<const EmbeddedFile> files) {
  std::vector<absl::Status> errors = ValidateMigrations(files);
  if (!errors.empty()) return errors.front();
  std::vector<Migration> out;
  for (const EmbeddedFile& f : files) {
    auto m = ParseMigration(f.name, f.contents);
    if (!m.ok()) return m.status();
    out.push_back(*std::move(m));
  }
  std::sort(out.begin(), out.end(), [](const Migration& a, const Migration& b) {
    return a.version < b.version;
  });
  return out;
}

absl::StatusOr<std::vector<MigrationSource>> ReadMigrationDir(
    const std::string& dir) {
  std::error_code ec;
  std::vector<std::filesystem::path> paths;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    if (entry.is_regular_file() && entry.path().extension() == ".sql") {
      paths.push_back(entry.path());
    }
  }
  if (ec) {
    return absl::NotFoundError(absl::StrCat("cannot read migrations directory ",
                                            dir, ": ", ec.message()));
  }
  std::sort(paths.begin(), paths.end());
  std::vector<MigrationSource> out;
  for (const std::filesystem::path& path : paths) {
    std::string contents;
    std::FILE* f = std::fopen(path.c_str(), "rb");
    bool failed = f == nullptr;
    char chunk[1 << 16];
    while (!failed) {
      const size_t n = std::fread(chunk, 1, sizeof(chunk), f);
      contents.append(chunk, n);
      if (n < sizeof(chunk)) {
        failed = std::ferror(f) != 0;
        break;
      }
    }
    const int error = errno;
    if (f != nullptr) std::fclose(f);
    if (failed) {
      return absl::InternalError(absl::StrCat("cannot read ", path.string(),
                                              ": ", std::strerror(error)));
    }
    out.push_back({path.filename().string(), std::move(contents)});
  }
  return out;
}

std::vector<EmbeddedFile> AsEmbeddedFiles(
    const std::vector<MigrationSource>& sources) {
  std::vector<EmbeddedFile> files;
  files.reserve(sources.size());
  for (const MigrationSource& s : sources) {
    files.push_back({s.name, s.contents});
  }
  return files;
}

absl::StatusOr<std::vector<Migration>> LoadMigrationsFromDir(
    const std::string& dir) {
  auto sources = ReadMigrationDir(dir);
  if (!sources.ok()) return sources.status();
  return ParseMigrations(AsEmbeddedFiles(*sources));
}

std::string SnakeCaseName(absl::string_view name) {
  // Goose's state machine (helpers.go): idle -> first alnum -> alnum ->
  // delimiter; a delimiter writes one `_`, a second non-alnum goes idle.
  enum class State { kIdle, kFirst, kAlnum, kDelimiter } state = State::kIdle;
  std::string out;
  for (char c : name) {
    const bool alnum = IsIdentChar(c) && c != '_';
    switch (state) {
      case State::kIdle:
        if (alnum) state = State::kFirst;
        break;
      case State::kFirst:
        state = alnum ? State::kAlnum : State::kDelimiter;
        break;
      case State::kAlnum:
        if (!alnum) state = State::kDelimiter;
        break;
      case State::kDelimiter:
        state = alnum ? State::kFirst : State::kIdle;
        break;
    }
    if (state == State::kFirst || state == State::kAlnum) {
      out.push_back(absl::ascii_tolower(c));
    } else if (state == State::kDelimiter) {
      out.push_back('_');
    }
  }
  if (state == State::kIdle && absl::EndsWith(out, "_")) out.pop_back();
  return out;
}

absl::string_view NewMigrationTemplate() {
  return "-- +goose Up\n"
         "-- +goose StatementBegin\n"
         "SELECT 'up SQL query';\n"
         "-- +goose StatementEnd\n"
         "\n"
         "-- +goose Down\n"
         "-- +goose StatementBegin\n"
         "SELECT 'down SQL query';\n"
         "-- +goose StatementEnd\n";
}

absl::StatusOr<std::string> CreateMigration(const std::string& dir,
                                            absl::string_view name,
                                            absl::string_view type,
                                            const CreateOptions& options) {
  if (type != "sql") {
    return absl::InvalidArgumentError(
        absl::StrCat("migration type `", type,
                     "` is not supported: only sql migrations exist here"));
  }
  const std::string snake = SnakeCaseName(name);
  if (snake.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("migration name `", name, "` has no letter or digit"));
  }
  std::error_code ec;
  if (!std::filesystem::is_directory(dir, ec)) {
    return absl::NotFoundError(
        absl::StrCat("migrations directory ", dir, " does not exist"));
  }
  std::string version;
  if (options.sequential) {
    int64_t last = 0;
    for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
      auto v = VersionFromFileName(entry.path().filename().string());
      if (v.ok() && !IsTimestampVersion(*v)) last = std::max(last, *v);
    }
    version = absl::StrFormat("%05d", last + 1);
  } else {
    version =
        absl::FormatTime("%Y%m%d%H%M%S", options.now, absl::UTCTimeZone());
  }
  const std::string path = (std::filesystem::path(dir) /
                            absl::StrCat(version, "_", snake, ".", type))
                               .string();
  if (std::filesystem::exists(std::filesystem::symlink_status(path, ec))) {
    return absl::AlreadyExistsError(
        absl::StrCat("failed to create migration file: ", path, " exists"));
  }
  // Two files with one version (two creates in the same second) would make
  // the directory invalid.
  int64_t new_version = 0;
  (void)absl::SimpleAtoi(version, &new_version);
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    const std::string other = entry.path().filename().string();
    auto v = VersionFromFileName(other);
    if (v.ok() && *v == new_version) {
      return absl::AlreadyExistsError(
          absl::StrCat("failed to create migration file: version ", version,
                       " is taken by ", other));
    }
  }
  std::ofstream out(path, std::ios::binary);
  out << NewMigrationTemplate();
  out.close();
  if (!out) {
    return absl::InternalError(absl::StrCat("cannot write ", path));
  }
  return path;
}

absl::StatusOr<std::vector<Rename>> FixMigrations(const std::string& dir) {
  std::error_code ec;
  struct File {
    int64_t version;
    std::string name;
  };
  std::vector<File> files;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    if (!entry.is_regular_file() || entry.path().extension() != ".sql") {
      continue;
    }
    const std::string name = entry.path().filename().string();
    auto v = VersionFromFileName(name);
    if (!v.ok()) return v.status();
    files.push_back({*v, name});
  }
  if (ec) {
    return absl::NotFoundError(absl::StrCat("cannot read migrations directory ",
                                            dir, ": ", ec.message()));
  }
  std::sort(files.begin(), files.end(),
            [](const File& a, const File& b) { return a.version < b.version; });
  int64_t next = 1;
  for (size_t i = 0; i < files.size(); ++i) {
    if (i > 0 && files[i].version == files[i - 1].version) {
      return absl::InvalidArgumentError(
          absl::StrCat("duplicate version ", files[i].version, ": ",
                       files[i - 1].name, " and ", files[i].name));
    }
    if (!IsTimestampVersion(files[i].version)) {
      next = std::max(next, files[i].version + 1);
    }
  }
  std::vector<Rename> renames;
  for (const File& f : files) {
    if (!IsTimestampVersion(f.version)) continue;
    const std::string prefix = absl::StrCat(f.version);
    Rename r{f.name, absl::StrCat(absl::StrFormat("%05d", next),
                                  f.name.substr(prefix.size()))};
    const auto to = std::filesystem::path(dir) / r.to;
    if (std::filesystem::exists(std::filesystem::symlink_status(to, ec))) {
      return absl::AlreadyExistsError(absl::StrCat(
          "cannot rename ", r.from, " to ", r.to, ": ", r.to, " exists"));
    }
    renames.push_back(std::move(r));
    ++next;
  }
  for (size_t i = 0; i < renames.size(); ++i) {
    std::filesystem::rename(std::filesystem::path(dir) / renames[i].from,
                            std::filesystem::path(dir) / renames[i].to, ec);
    if (ec) {
      return absl::InternalError(absl::StrCat(
          "cannot rename ", renames[i].from, " to ", renames[i].to, ": ",
          ec.message(), " (", i, " of ", renames.size(), " files renamed)"));
    }
  }
  return renames;
}

std::optional<std::string> ConcurrentIndexName(absl::string_view sql) {
  // Words of the statement, comments dropped.
  std::vector<std::string> words;
  std::string word;
  auto flush = [&] {
    if (!word.empty()) words.push_back(std::move(word));
    word.clear();
  };
  for (size_t i = 0; i < sql.size() && words.size() < 9; ++i) {
    if (sql.substr(i, 2) == "--") {
      flush();
      while (i < sql.size() && sql[i] != '\n') ++i;
    } else if (sql.substr(i, 2) == "/*") {
      flush();
      const size_t end = sql.find("*/", i + 2);
      i = end == absl::string_view::npos ? sql.size() : end + 1;
    } else if (absl::ascii_isspace(sql[i])) {
      flush();
    } else {
      word.push_back(sql[i]);
    }
  }
  flush();
  size_t i = 0;
  auto next_is = [&](absl::string_view w) {
    if (i < words.size() && absl::EqualsIgnoreCase(words[i], w)) {
      ++i;
      return true;
    }
    return false;
  };
  if (!next_is("CREATE")) return std::nullopt;
  next_is("UNIQUE");
  if (!next_is("INDEX") || !next_is("CONCURRENTLY")) return std::nullopt;
  if (next_is("IF") && !(next_is("NOT") && next_is("EXISTS"))) {
    return std::nullopt;
  }
  if (i + 1 >= words.size() || absl::EqualsIgnoreCase(words[i], "ON") ||
      !absl::EqualsIgnoreCase(words[i + 1], "ON")) {
    return std::nullopt;
  }
  return words[i];
}

}  // namespace defifundr::db::migrate
