#include "server/log/log.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace defifundr::log {
namespace {

absl::Mutex g_mu;
Format g_format ABSL_GUARDED_BY(g_mu) = Format::kText;
Severity g_min ABSL_GUARDED_BY(g_mu) = Severity::kInfo;

// Lines are written by a thread of their own, so that no caller waits for
// the output: callers append to `pending`; the writer takes all of it at
// once and writes it with one fwrite and one fflush (under load, many lines
// per write). Never freed: it must outlive every thread that logs, and the
// writer thread (detached) runs until the process ends.
struct Sink {
  absl::Mutex mu;
  std::FILE* out ABSL_GUARDED_BY(mu) = nullptr;  // nullptr: stderr
  std::string pending ABSL_GUARDED_BY(mu);
  bool writing ABSL_GUARDED_BY(mu) = false;
  bool started ABSL_GUARDED_BY(mu) = false;
};
// Past this many bytes waiting, writers wait for the writer thread rather
// than grow the buffer (lines are kept, not dropped).
constexpr size_t kMaxPending = 4 << 20;

Sink& TheSink() {
  static Sink* sink = new Sink;
  return *sink;
}

// Writes `text` to `out` (stderr when null).
void WriteOut(std::FILE* out, const std::string& text) {
  if (text.empty()) return;
  std::FILE* f = out != nullptr ? out : stderr;
  std::fwrite(text.data(), 1, text.size(), f);
  std::fflush(f);
}

void WriterLoop() {
  Sink& sink = TheSink();
  std::string batch;
  while (true) {
    std::FILE* out;
    {
      absl::MutexLock lock(&sink.mu);
      sink.writing = false;
      sink.mu.Await(absl::Condition(
          +[](std::string* pending) { return !pending->empty(); },
          &sink.pending));
      batch.swap(sink.pending);
      sink.writing = true;
      out = sink.out;
    }
    WriteOut(out, batch);
    batch.clear();
  }
}

// Drains what is waiting: synchronously, on the caller's thread (at exit,
// when the writer thread may be gone).
void DrainNow() {
  Sink& sink = TheSink();
  absl::MutexLock lock(&sink.mu);
  // After the batch being written, if any (in order), unless the writer is
  // stuck on its output.
  sink.mu.AwaitWithTimeout(
      absl::Condition(
          +[](bool* writing) { return !*writing; }, &sink.writing),
      absl::Seconds(2));
  std::string batch;
  batch.swap(sink.pending);
  WriteOut(sink.out, batch);
}

void Enqueue(std::string line) {
  Sink& sink = TheSink();
  absl::MutexLock lock(&sink.mu);
  if (!sink.started) {
    sink.started = true;
    std::thread(WriterLoop).detach();
    std::atexit(DrainNow);
  }
  sink.mu.Await(absl::Condition(
      +[](std::string* pending) { return pending->size() < kMaxPending; },
      &sink.pending));
  sink.pending += line;
}

absl::string_view SeverityName(Severity s) {
  switch (s) {
    case Severity::kDebug:
      return "DEBUG";
    case Severity::kInfo:
      return "INFO";
    case Severity::kWarning:
      return "WARNING";
    case Severity::kError:
      return "ERROR";
  }
  return "INFO";
}

// Context fields of the current thread (ScopedContext, SetThreadContext),
// keys owned here.
thread_local std::vector<std::pair<std::string, Value>> t_context;

bool NeedsQuotes(absl::string_view v) {
  if (v.empty()) return true;
  for (char c : v) {
    if (c == ' ' || c == '"' || c == '=' ||
        static_cast<unsigned char>(c) < 0x20)
      return true;
  }
  return false;
}

}  // namespace

void SetFormat(Format format) {
  absl::MutexLock lock(&g_mu);
  g_format = format;
}

void SetOutput(std::FILE* out) {
  Flush();
  Sink& sink = TheSink();
  absl::MutexLock lock(&sink.mu);
  sink.out = out;
}

void Flush() {
  Sink& sink = TheSink();
  absl::MutexLock lock(&sink.mu);
  if (!sink.started) return;
  sink.mu.Await(absl::Condition(
      +[](Sink* s) { return s->pending.empty() && !s->writing; }, &sink));
}

void SetMinSeverity(Severity severity) {
  absl::MutexLock lock(&g_mu);
  g_min = severity;
}

std::string Value::Text() const {
  if (const auto* s = std::get_if<std::string>(&v_)) return *s;
  if (const auto* i = std::get_if<int64_t>(&v_)) return absl::StrCat(*i);
  if (const auto* d = std::get_if<double>(&v_)) return absl::StrCat(*d);
  return std::get<bool>(v_) ? "true" : "false";
}

std::string Value::Json() const {
  if (const auto* s = std::get_if<std::string>(&v_)) {
    return absl::StrCat("\"", JsonEscape(*s), "\"");
  }
  if (const auto* d = std::get_if<double>(&v_)) {
    // JSON has no NaN or infinity.
    if (!std::isfinite(*d)) return "null";
  }
  return Text();
}

ScopedContext::ScopedContext(std::initializer_list<Field> fields)
    : previous_size_(t_context.size()) {
  for (const Field& f : fields)
    t_context.emplace_back(std::string(f.first), f.second);
}

ScopedContext::~ScopedContext() {
  t_context.erase(
      t_context.begin() + static_cast<std::ptrdiff_t>(previous_size_),
      t_context.end());
}

void SetThreadContext(std::initializer_list<Field> fields) {
  t_context.clear();
  for (const Field& f : fields)
    t_context.emplace_back(std::string(f.first), f.second);
}

void ClearThreadContext() { t_context.clear(); }

Context ThreadContext() { return t_context; }

void RestoreThreadContext(Context context) { t_context = std::move(context); }

void SetThreadContextField(absl::string_view key, Value value) {
  for (auto& [k, v] : t_context) {
    if (k == key) {
      v = std::move(value);
      return;
    }
  }
  t_context.emplace_back(std::string(key), std::move(value));
}

bool ParseSeverity(absl::string_view text, Severity* severity) {
  if (text == "debug") {
    *severity = Severity::kDebug;
  } else if (text == "info") {
    *severity = Severity::kInfo;
  } else if (text == "warn" || text == "warning") {
    *severity = Severity::kWarning;
  } else if (text == "error") {
    *severity = Severity::kError;
  } else {
    return false;
  }
  return true;
}

bool ParseFormat(absl::string_view text, Format* format) {
  if (text == "text") {
    *format = Format::kText;
  } else if (text == "json") {
    *format = Format::kJson;
  } else {
    return false;
  }
  return true;
}

std::string JsonEscape(absl::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          absl::StrAppendFormat(&out, "\\u%04x", static_cast<int>(c));
        } else {
          out += c;
        }
    }
  }
  return out;
}

void Write(Severity severity, absl::string_view message,
           std::initializer_list<Field> fields) {
  Format format;
  {
    absl::MutexLock lock(&g_mu);
    if (severity < g_min) return;
    format = g_format;
  }
  const std::string time = absl::FormatTime("%Y-%m-%dT%H:%M:%E6SZ", absl::Now(),
                                            absl::UTCTimeZone());
  std::string line;
  if (format == Format::kJson) {
    absl::StrAppend(&line, "{\"time\":\"", time, "\",\"level\":\"",
                    SeverityName(severity), "\",\"msg\":\"",
                    JsonEscape(message), "\"");
    auto add = [&](absl::string_view key, const Value& value) {
      absl::StrAppend(&line, ",\"", JsonEscape(key), "\":", value.Json());
    };
    for (const auto& [key, value] : fields) add(key, value);
    for (const auto& [key, value] : t_context) add(key, value);
    line += "}\n";
  } else {
    absl::StrAppend(&line, time, " ", SeverityName(severity), " ", message);
    auto add = [&](absl::string_view key, const Value& value) {
      const std::string text = value.Text();
      if (value.is_string() && NeedsQuotes(text)) {
        absl::StrAppend(&line, " ", key, "=\"", JsonEscape(text), "\"");
      } else {
        absl::StrAppend(&line, " ", key, "=", text);
      }
    };
    for (const auto& [key, value] : fields) add(key, value);
    for (const auto& [key, value] : t_context) add(key, value);
    line += "\n";
  }
  Enqueue(std::move(line));
}

}  // namespace defifundr::log
