// Structured, line-oriented logging to stderr, shared by every layer.
//
// One line per event: either `LEVEL message key=value ...` (text) or one JSON
// object (json). Thread-safe. Callers must never pass secret values (see the
// `secret` field option in proto/defifundr/data/v1/common.proto).
#ifndef DEFIFUNDR_SERVER_LOG_LOG_H_
#define DEFIFUNDR_SERVER_LOG_LOG_H_

#include <cstdint>
#include <cstdio>
#include <initializer_list>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "absl/strings/string_view.h"

namespace defifundr::log {

enum class Format { kText, kJson };
enum class Severity { kDebug, kInfo, kWarning, kError };

/// A field's value: text, or a number or boolean, which JSON lines write
/// unquoted ("ms":4.715, "retry":true).
class Value {
 public:
  Value(std::string v) : v_(std::move(v)) {}  // NOLINT: implicit by design.
  Value(absl::string_view v) : v_(std::string(v)) {}  // NOLINT
  Value(const char* v) : v_(std::string(v)) {}        // NOLINT
  Value(bool v) : v_(v) {}                            // NOLINT
  Value(int v) : v_(static_cast<int64_t>(v)) {}       // NOLINT
  Value(int64_t v) : v_(v) {}                         // NOLINT
  Value(double v) : v_(v) {}                          // NOLINT

  /// The value as text ("true", "4.715", ...).
  std::string Text() const;
  /// The value as a JSON value (a quoted and escaped string, a number, a
  /// boolean).
  std::string Json() const;
  bool is_string() const { return std::holds_alternative<std::string>(v_); }

 private:
  std::variant<std::string, int64_t, double, bool> v_;
};

/// A key and its value.
struct Field {
  absl::string_view first;  ///< The key.
  Value second;             ///< The value.
};

/// Sets the line format for every later line. Default: kText.
void SetFormat(Format format);
/// Sends every later line to `out` (not owned; must stay open until the
/// next SetOutput or the process ends), after the lines already written
/// went to the previous output. Default: stderr.
void SetOutput(std::FILE* out);
/// Blocks until every line written so far is in the output. Lines are
/// written by a background thread (a call of Write never waits for the
/// output), in order, one fwrite+fflush per batch; what is pending at
/// normal process exit is written then too (std::atexit).
void Flush();
/// Lines below `severity` are dropped. Default: kInfo.
void SetMinSeverity(Severity severity);
/// Parses "text"/"json"; false for anything else.
bool ParseFormat(absl::string_view text, Format* format);
/// Parses a LOG_LEVEL: "debug", "info", "warn" (or "warning"), "error";
/// false for anything else.
bool ParseSeverity(absl::string_view text, Severity* severity);

/// Fields added to every line written on this thread while it lives (the
/// request id and trace ids of the RPC the thread serves). Nests: inner
/// fields come after outer ones. Not copyable or movable.
class ScopedContext {
 public:
  explicit ScopedContext(std::initializer_list<Field> fields);
  ~ScopedContext();
  ScopedContext(const ScopedContext&) = delete;
  ScopedContext& operator=(const ScopedContext&) = delete;

 private:
  size_t previous_size_;
};

/// Replaces this thread's context fields (for code that cannot scope them,
/// such as interceptor hooks); Clear removes them.
void SetThreadContext(std::initializer_list<Field> fields);
void ClearThreadContext();
/// This thread's context fields, to carry to another thread that continues
/// the same work (RestoreThreadContext there).
using Context = std::vector<std::pair<std::string, Value>>;
Context ThreadContext();
/// Replaces this thread's context fields with `context`.
void RestoreThreadContext(Context context);
/// Sets one context field of this thread (replacing a field of that key),
/// e.g. the database backend an RPC's statements ran on.
void SetThreadContextField(absl::string_view key, Value value);

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

#endif  // DEFIFUNDR_SERVER_LOG_LOG_H_
