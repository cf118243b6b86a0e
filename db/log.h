// Structured, line-oriented logging to stderr, shared by every layer.
//
// One line per event: either `LEVEL message key=value ...` (text) or one JSON
// object (json). Thread-safe. Callers must never pass secret values (see the
// `secret` field option in proto/defifundr/data/v1/common.proto).
#ifndef DEFIFUNDR_DB_LOG_H_
#define DEFIFUNDR_DB_LOG_H_

#include <cstdio>
#include <initializer_list>
#include <string>
#include <utility>

#include "absl/strings/string_view.h"

namespace defifundr::log {

enum class Format { kText, kJson };
enum class Severity { kDebug, kInfo, kWarning, kError };

/// A key and its already formatted value.
using Field = std::pair<absl::string_view, std::string>;

/// Sets the line format for every later line. Default: kText.
void SetFormat(Format format);
/// Sends every later line to `out` (not owned; must stay open). Default:
/// stderr.
void SetOutput(std::FILE* out);
/// Lines below `severity` are dropped. Default: kInfo.
void SetMinSeverity(Severity severity);
/// Parses "text"/"json"; false for anything else.
bool ParseFormat(absl::string_view text, Format* format);

/// Writes one line with the given fields.
void Write(Severity severity, absl::string_view message,
           std::initializer_list<Field> fields = {});

inline void Debug(absl::string_view m, std::initializer_list<Field> f = {}) {
  Write(Severity::kDebug, m, f);
}
inline void Info(absl::string_view m, std::initializer_list<Field> f = {}) {
  Write(Severity::kInfo, m, f);
}
inline void Warning(absl::string_view m, std::initializer_list<Field> f = {}) {
  Write(Severity::kWarning, m, f);
}
inline void Error(absl::string_view m, std::initializer_list<Field> f = {}) {
  Write(Severity::kError, m, f);
}

/// Escapes `text` as the inside of a JSON string (quotes, backslashes,
/// control characters as \uXXXX).
std::string JsonEscape(absl::string_view text);

}  // namespace defifundr::log

#endif  // DEFIFUNDR_DB_LOG_H_
