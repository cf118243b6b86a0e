#include "db/log.h"

#include <cstdio>

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
std::FILE* g_out ABSL_GUARDED_BY(g_mu) = nullptr;  // nullptr: stderr

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
  absl::MutexLock lock(&g_mu);
  g_out = out;
}

void SetMinSeverity(Severity severity) {
  absl::MutexLock lock(&g_mu);
  g_min = severity;
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
    for (const auto& [key, value] : fields) {
      absl::StrAppend(&line, ",\"", JsonEscape(key), "\":\"", JsonEscape(value),
                      "\"");
    }
    line += "}\n";
  } else {
    absl::StrAppend(&line, time, " ", SeverityName(severity), " ", message);
    for (const auto& [key, value] : fields) {
      if (NeedsQuotes(value)) {
        absl::StrAppend(&line, " ", key, "=\"", JsonEscape(value), "\"");
      } else {
        absl::StrAppend(&line, " ", key, "=", value);
      }
    }
    line += "\n";
  }
  absl::MutexLock lock(&g_mu);
  std::FILE* out = g_out != nullptr ? g_out : stderr;
  std::fwrite(line.data(), 1, line.size(), out);
  std::fflush(out);
}

}  // namespace defifundr::log
