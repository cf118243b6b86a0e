#include "db/pg/connection.h"

#include <libpq-fe.h>

#include <poll.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "server/log/log.h"
#include "db/pg/error.h"
#include "db/pg/internal/status.h"

namespace defifundr::db::pg {
namespace {

// How often a wait wakes to look at the cancellation check.
constexpr absl::Duration kPollSlice = absl::Milliseconds(50);
// How long a cancelled statement may take to wind down before the
// connection is given up as broken.
constexpr absl::Duration kCancelGrace = absl::Seconds(5);

std::string Field(const PGresult* res, int code) {
  const char* v = PQresultErrorField(res, code);
  return v ? std::string(v) : std::string();
}

// Routes libpq notices (e.g. a FATAL termination notice on an idle
// connection) to the connection's handler, else to the log instead of
// stderr.
void LogNotice(void* arg, const char* message) {
  const absl::string_view text = absl::StripTrailingAsciiWhitespace(message);
  const auto* handler =
      static_cast<const std::function<void(absl::string_view)>*>(arg);
  if (handler != nullptr && *handler) {
    (*handler)(text);
    return;
  }
  log::Debug("postgres notice", {{"message", std::string(text)}});
}

// Whether `word` is one of libpq's connection option names ("port").
bool IsConnectionOption(absl::string_view word) {
  PQconninfoOption* options = PQconndefaults();
  bool found = false;
  for (PQconninfoOption* o = options; o != nullptr && o->keyword != nullptr;
       ++o) {
    if (word == o->keyword) found = true;
  }
  PQconninfoFree(options);
  return found;
}

// libpq's message for a malformed connection string quotes the offending
// part, which may hold a password: quoted runs are left out, but for option
// names.
std::string RedactQuoted(absl::string_view message) {
  std::string out;
  bool in_quote = false;
  size_t quote_start = 0;
  for (size_t i = 0; i < message.size(); ++i) {
    if (message[i] != '"') {
      if (!in_quote) out.push_back(message[i]);
      continue;
    }
    if (!in_quote) {
      in_quote = true;
      quote_start = i;
    } else {
      in_quote = false;
      // A one-character quote ("=") and option names are libpq's own text.
      const absl::string_view quoted =
          message.substr(quote_start + 1, i - quote_start - 1);
      absl::StrAppend(&out, quoted.size() == 1 || IsConnectionOption(quoted)
                                ? message.substr(quote_start, i - quote_start + 1)
                                : absl::string_view("\"...\""));
    }
  }
  return out;
}

// Splits the SQLSTATE out of a connection error that libpq built with
// PQERRORS_VERBOSE ("FATAL:  28P01: password authentication failed ...
// LOCATION: ..."): returns the SQLSTATE ("" if none) and leaves `message`
// as the default verbosity would have shown it.
std::string TakeSqlState(std::string& message) {
  std::string sqlstate;
  for (const char* severity : {"FATAL:  ", "ERROR:  ", "PANIC:  "}) {
    const size_t at = message.find(severity);
    if (at == std::string::npos) continue;
    const size_t code = at + std::strlen(severity);
    if (code + 7 <= message.size() && message[code + 5] == ':' &&
        message[code + 6] == ' ') {
      sqlstate = message.substr(code, 5);
      message.erase(code, 7);
    }
    break;
  }
  const size_t location = message.find("\nLOCATION:");
  if (location != std::string::npos) {
    const size_t end = message.find('\n', location + 1);
    message.erase(location, end == std::string::npos ? std::string::npos
                                                     : end - location);
  }
  return sqlstate;
}

}  // namespace

namespace internal {
absl::Status StatusFromPgResult(const PGresult* res, PGconn* conn) {
  ErrorReport report;
  if (res != nullptr) {
    report.sqlstate = Field(res, PG_DIAG_SQLSTATE);
    report.message = Field(res, PG_DIAG_MESSAGE_PRIMARY);
    report.detail = Field(res, PG_DIAG_MESSAGE_DETAIL);
    report.constraint = Field(res, PG_DIAG_CONSTRAINT_NAME);
    report.table = Field(res, PG_DIAG_TABLE_NAME);
    report.column = Field(res, PG_DIAG_COLUMN_NAME);
    if (report.message.empty()) report.message = PQresultErrorMessage(res);
  }
  if (report.message.empty() && conn != nullptr) {
    report.message = PQerrorMessage(conn);
  }
  report.message =
      std::string(absl::StripTrailingAsciiWhitespace(report.message));
  return StatusFromReport(report);
}
}  // namespace internal

int Connection::backend_pid() const { return PQbackendPID(conn_); }

absl::StatusOr<std::unique_ptr<Connection>> Connection::Open(
    absl::string_view conninfo, absl::Time deadline) {
  const std::string info(conninfo);
  // A malformed connection string is a mistake to report, not an outage to
  // wait out.
  {
    char* error = nullptr;
    PQconninfoOption* parsed = PQconninfoParse(info.c_str(), &error);
    if (parsed == nullptr) {
      const std::string why =
          error == nullptr
              ? std::string("out of memory")
              : RedactQuoted(absl::StripTrailingAsciiWhitespace(error));
      PQfreemem(error);
      return absl::InvalidArgumentError(
          absl::StrCat("the database URL is malformed: ", why));
    }
    PQconninfoFree(parsed);
  }
  const char* keys[] = {"dbname", "fallback_application_name", nullptr};
  const char* values[] = {info.c_str(), "defifundr-data", nullptr};
  PGconn* conn = PQconnectStartParams(keys, values, /*expand_dbname=*/1);
  if (conn == nullptr) return absl::ResourceExhaustedError("out of memory");
  std::unique_ptr<Connection> c(new Connection(conn));
  PQsetNoticeProcessor(conn, &LogNotice, &c->notice_handler_);
  // Verbose while connecting, so that a refusal carries its SQLSTATE
  // (ConnectionError); the default once connected.
  PQsetErrorVerbosity(conn, PQERRORS_VERBOSE);
  if (PQstatus(conn) == CONNECTION_BAD) {
    // libpq checks the options' values (port, sslmode, ...) before it
    // connects; those messages begin "invalid".
    const absl::string_view msg =
        absl::StripLeadingAsciiWhitespace(PQerrorMessage(conn));
    if (absl::StartsWith(msg, "invalid ")) {
      return absl::InvalidArgumentError(
          absl::StrCat("the database URL is malformed: ",
                       RedactQuoted(absl::StripTrailingAsciiWhitespace(msg))));
    }
    return c->ConnectionError("connect");
  }
  PostgresPollingStatusType st = PGRES_POLLING_WRITING;
  while (st != PGRES_POLLING_OK) {
    if (st == PGRES_POLLING_FAILED) return c->ConnectionError("connect");
    if (absl::Now() >= deadline) {
      return absl::DeadlineExceededError(
          "deadline passed while connecting to the database");
    }
    if (!c->Wait(st == PGRES_POLLING_WRITING, deadline)) {
      return c->ConnectionError("connect");
    }
    st = PQconnectPoll(conn);
  }
  PQsetErrorVerbosity(conn, PQERRORS_DEFAULT);
  if (PQsetnonblocking(conn, 1) != 0)
    return c->ConnectionError("setnonblocking");
  CallOptions options;
  options.deadline = deadline;
  auto set =
      c->Exec("SET TimeZone = 'UTC'; SET DateStyle = 'ISO, YMD'", options);
  if (!set.ok()) return set.status();
  return c;
}

Connection::~Connection() { PQfinish(conn_); }

absl::Status Connection::ConnectionError(absl::string_view what) {
  broken_ = true;
  std::string msg(absl::StripTrailingAsciiWhitespace(PQerrorMessage(conn_)));
  const std::string sqlstate = TakeSqlState(msg);
  absl::Status status = WithReason(
      absl::UnavailableError(absl::StrCat("database connection failed (", what,
                                          "): ", msg)),
      "DATABASE_UNAVAILABLE");
  return sqlstate.empty() ? status : WithSqlState(status, sqlstate);
}

bool Connection::Wait(bool for_write, absl::Time until) {
  pollfd pfd{};
  pfd.fd = PQsocket(conn_);
  if (pfd.fd < 0) return false;
  pfd.events = for_write ? POLLOUT : POLLIN;
  const absl::Duration left =
      std::clamp(until - absl::Now(), absl::ZeroDuration(), kPollSlice);
  const int rc =
      poll(&pfd, 1, static_cast<int>(absl::ToInt64Milliseconds(left)));
  return rc >= 0 || errno == EINTR;
}

bool Connection::IsBroken() const {
  return broken_ || PQstatus(conn_) != CONNECTION_OK;
}

bool Connection::IsIdle() const {
  return PQtransactionStatus(conn_) == PQTRANS_IDLE;
}

bool Connection::CheckAlive() {
  if (IsBroken()) return false;
  // An idle connection has nothing to read unless the server is saying
  // goodbye (a FATAL notice, then end of file, after pg_terminate_backend or
  // a shutdown) or sent an asynchronous notice. Read until nothing is left:
  // end of file marks the connection bad.
  for (int i = 0; i < 8; ++i) {
    pollfd pfd{};
    pfd.fd = PQsocket(conn_);
    pfd.events = POLLIN;
    if (pfd.fd < 0 || poll(&pfd, 1, 0) <= 0) break;
    if (PQconsumeInput(conn_) == 0) {
      broken_ = true;
      return false;
    }
    while (!PQisBusy(conn_)) {
      PGresult* r = PQgetResult(conn_);
      if (r == nullptr) break;
      PQclear(r);
    }
    if (IsBroken()) return false;
  }
  return !IsBroken();
}

absl::Status Connection::Flush(absl::Time deadline) {
  while (true) {
    const int rc = PQflush(conn_);
    if (rc == 0) return absl::OkStatus();
    if (rc < 0) return ConnectionError("send");
    if (absl::Now() >= deadline) {
      broken_ = true;  // half a message sent: the connection is unusable.
      return absl::DeadlineExceededError("deadline passed while sending");
    }
    Wait(/*for_write=*/true, deadline);
    if (PQconsumeInput(conn_) == 0) return ConnectionError("send");
  }
}

absl::Status Connection::Cancel() {
  PGcancel* cancel = PQgetCancel(conn_);
  if (cancel == nullptr) return absl::UnavailableError("cannot cancel");
  char err[256] = {0};
  const int ok = PQcancel(cancel, err, sizeof(err));
  PQfreeCancel(cancel);
  if (!ok) {
    return absl::UnavailableError(absl::StrCat("cancel request failed: ", err));
  }
  return absl::OkStatus();
}

absl::StatusOr<Result> Connection::Await(const CallOptions& options) {
  if (absl::Status s = Flush(options.deadline); !s.ok()) return s;
  const bool pipeline = PQpipelineStatus(conn_) != PQ_PIPELINE_OFF;
  std::optional<absl::Status> interrupted;
  absl::Time hard_deadline = options.deadline;
  Result last;
  std::optional<absl::Status> error;
  while (true) {
    while (PQisBusy(conn_)) {
      if (!interrupted.has_value()) {
        const bool cancelled = options.cancelled && options.cancelled();
        if (cancelled || absl::Now() >= options.deadline) {
          interrupted = cancelled ? absl::CancelledError(
                                        "the call was cancelled; "
                                        "its statement was cancelled")
                                  : absl::DeadlineExceededError(
                                        "deadline passed; the statement was "
                                        "cancelled");
          if (!Cancel().ok()) {
            broken_ = true;
            return *interrupted;
          }
          hard_deadline = absl::Now() + kCancelGrace;
        }
      } else if (absl::Now() >= hard_deadline) {
        log::Warning("cancelled statement did not end; dropping connection",
                     {{"backend_pid", backend_pid()}});
        broken_ = true;
        return *interrupted;
      }
      const absl::Time until =
          interrupted.has_value() ? hard_deadline : options.deadline;
      if (!Wait(/*for_write=*/false, until)) return ConnectionError("poll");
      if (PQconsumeInput(conn_) == 0) return ConnectionError("receive");
    }
    PGresult* res = PQgetResult(conn_);
    if (res == nullptr) {
      // In pipeline mode a null ends one query's results; the pipeline ends
      // at its sync point.
      if (pipeline && PQstatus(conn_) != CONNECTION_BAD) continue;
      break;
    }
    const ExecStatusType st = PQresultStatus(res);
    if (st == PGRES_PIPELINE_SYNC) {
      PQclear(res);
      if (PQexitPipelineMode(conn_) != 1) broken_ = true;
      break;
    }
    if (st == PGRES_PIPELINE_ABORTED) {  // After an earlier query's error.
      PQclear(res);
      continue;
    }
    if (st == PGRES_COPY_IN) {
      // The caller continues with PutCopyData/EndCopy.
      return Result(res);
    }
    if (st == PGRES_FATAL_ERROR || st == PGRES_BAD_RESPONSE ||
        st == PGRES_NONFATAL_ERROR) {
      if (!error.has_value()) error = internal::StatusFromPgResult(res, conn_);
      PQclear(res);
      if (PQstatus(conn_) == CONNECTION_BAD) {
        broken_ = true;
        break;
      }
    } else {
      last = Result(res);
    }
  }
  if (interrupted.has_value()) return *interrupted;
  if (error.has_value()) {
    // A write refused as read-only (25006): the server is a standby (the
    // old primary after a failover). The connection is not reused, so
    // that its replacement goes to the new primary.
    if (PQstatus(conn_) == CONNECTION_BAD ||
        SqlStateOf(*error).value_or("") == "25006") {
      broken_ = true;
    }
    return *error;
  }
  return last;
}

absl::StatusOr<Result> Connection::Exec(absl::string_view sql,
                                        const CallOptions& options) {
  const std::string query(sql);
  if (!PQsendQuery(conn_, query.c_str())) return ConnectionError("send");
  return Await(options);
}

namespace {

struct ParamArrays {
  std::vector<const char*> values;
  explicit ParamArrays(std::span<const Param> params) {
    values.reserve(params.size());
    for (const Param& p : params) values.push_back(p ? p->c_str() : nullptr);
  }
};

}  // namespace

std::string StatementTimeoutParam(absl::Time deadline) {
  if (deadline == absl::InfiniteFuture()) return "";
  return absl::StrCat(
      std::max<int64_t>(1, absl::ToInt64Milliseconds(deadline - absl::Now())));
}

absl::Status Connection::SendCallSettings(const CallOptions& options) {
  const std::string timeout = StatementTimeoutParam(options.deadline);
  const char* values[] = {options.application_name.c_str(), timeout.c_str()};
  if (IsPrepared(kCallSettingsStatement)) {
    if (!PQsendQueryPrepared(conn_, kCallSettingsStatement, 2, values,
                             nullptr, nullptr, 0)) {
      return ConnectionError("send");
    }
    return absl::OkStatus();
  }
  if (!PQsendQueryParams(conn_, kCallSettingsSql, 2, nullptr, values, nullptr,
                         nullptr, 0)) {
    return ConnectionError("send");
  }
  return absl::OkStatus();
}

absl::StatusOr<bool> Connection::StartTaggedPipeline(
    const CallOptions& options) {
  if (!IsIdle()) return false;
  // A statement outside a transaction whose caller has already given up is
  // not sent at all.
  if (absl::Now() >= options.deadline) {
    return absl::DeadlineExceededError(
        "deadline passed before the statement was sent");
  }
  if (options.application_name.empty() &&
      options.deadline == absl::InfiniteFuture()) {
    return false;
  }
  if (statement_cache_ == StatementCache::kPrepared &&
      !IsPrepared(kCallSettingsStatement)) {
    // Prepared once per connection, before its first pipeline.
    if (absl::Status s =
            Prepare(kCallSettingsStatement, kCallSettingsSql, options);
        !s.ok() && SqlStateOf(s) != "42P05") {
      return s;
    }
    prepared_.insert(kCallSettingsStatement);
  }
  if (PQenterPipelineMode(conn_) != 1) return ConnectionError("pipeline");
  if (absl::Status s = SendCallSettings(options); !s.ok()) {
    if (!IsBroken() && PQexitPipelineMode(conn_) != 1) broken_ = true;
    return s;
  }
  return true;
}

absl::Status Connection::FinishPipeline() {
  if (PQpipelineSync(conn_) != 1) return ConnectionError("send");
  return absl::OkStatus();
}

absl::StatusOr<Result> Connection::ExecParams(absl::string_view sql,
                                              std::span<const Param> params,
                                              const CallOptions& options) {
  const std::string query(sql);
  ParamArrays a(params);
  auto pipeline = StartTaggedPipeline(options);
  if (!pipeline.ok()) return pipeline.status();
  if (!PQsendQueryParams(conn_, query.c_str(), static_cast<int>(params.size()),
                         nullptr, a.values.data(), nullptr, nullptr, 0)) {
    return ConnectionError("send");
  }
  if (*pipeline) {
    if (absl::Status s = FinishPipeline(); !s.ok()) return s;
  }
  return Await(options);
}

absl::Status Connection::Prepare(absl::string_view name, absl::string_view sql,
                                 const CallOptions& options) {
  const std::string n(name), q(sql);
  if (!PQsendPrepare(conn_, n.c_str(), q.c_str(), 0, nullptr)) {
    return ConnectionError("send");
  }
  auto r = Await(options);
  if (!r.ok()) return r.status();
  prepared_.insert(n);
  return absl::OkStatus();
}

bool Connection::IsPrepared(absl::string_view name) const {
  return prepared_.contains(name);
}

absl::StatusOr<Result> Connection::Describe(absl::string_view name,
                                            const CallOptions& options) {
  const std::string n(name);
  if (!PQsendDescribePrepared(conn_, n.c_str())) return ConnectionError("send");
  return Await(options);
}

absl::StatusOr<Result> Connection::ExecPrepared(absl::string_view name,
                                                std::span<const Param> params,
                                                const CallOptions& options) {
  const std::string n(name);
  ParamArrays a(params);
  auto pipeline = StartTaggedPipeline(options);
  if (!pipeline.ok()) return pipeline.status();
  if (!PQsendQueryPrepared(conn_, n.c_str(), static_cast<int>(params.size()),
                           a.values.data(), nullptr, nullptr, 0)) {
    return ConnectionError("send");
  }
  if (*pipeline) {
    if (absl::Status s = FinishPipeline(); !s.ok()) return s;
  }
  return Await(options);
}

absl::StatusOr<StatementCache> ParseStatementCache(absl::string_view text) {
  if (text == "prepared") return StatementCache::kPrepared;
  if (text == "none") return StatementCache::kNone;
  return absl::InvalidArgumentError(absl::StrCat(
      "statement cache \"", text, "\": must be \"prepared\" or \"none\""));
}

absl::Status Connection::Deallocate(absl::string_view name,
                                    const CallOptions& options) {
  char* quoted = PQescapeIdentifier(conn_, name.data(), name.size());
  if (quoted == nullptr) return ConnectionError("escape");
  const std::string sql = absl::StrCat("DEALLOCATE ", quoted);
  PQfreemem(quoted);
  auto r = Exec(sql, options);
  prepared_.erase(name);
  stale_.erase(name);
  if (!r.ok() && SqlStateOf(r.status()) != "26000") return r.status();
  return absl::OkStatus();
}

absl::StatusOr<Result> Connection::ExecStatement(absl::string_view name,
                                                 absl::string_view sql,
                                                 std::span<const Param> params,
                                                 const CallOptions& options,
                                                 const RepreparedCheck& check) {
  if (statement_cache_ == StatementCache::kNone) {
    return ExecParams(sql, params, options);
  }
  const bool in_transaction = !IsIdle();
  // Prepares `name`; after 42P05 (a statement of that name we did not make)
  // deallocates it and prepares once more.
  auto prepare = [&]() -> absl::Status {
    if (stale_.contains(name)) {
      if (absl::Status s = Deallocate(name, options); !s.ok()) return s;
    }
    absl::Status s = Prepare(name, sql, options);
    if (!s.ok() && SqlStateOf(s) == "42P05" && !in_transaction) {
      if (absl::Status d = Deallocate(name, options); !d.ok()) return d;
      s = Prepare(name, sql, options);
    }
    if (!s.ok() && IsStatementStateError(s)) stale_.insert(std::string(name));
    return s;
  };
  // Prepares `name` if needed and, when its earlier preparation was lost or
  // went stale, asks `check` whether it still fits.
  auto ensure = [&]() -> absl::Status {
    if (!IsPrepared(name)) {
      if (absl::Status s = prepare(); !s.ok()) return s;
    }
    if (check && recheck_.contains(name)) {
      if (absl::Status s = check(*this, name); !s.ok()) {
        // Forgotten, so that every call checks again until it fits.
        Deallocate(name, options).IgnoreError();
        return s;
      }
    }
    recheck_.erase(name);
    return absl::OkStatus();
  };
  if (absl::Status s = ensure(); !s.ok()) return s;
  auto result = ExecPrepared(name, params, options);
  if (result.ok() || !IsStatementStateError(result.status())) return result;
  // Lost (26000) or stale (0A000): forget it; the server may still hold a
  // stale one.
  prepared_.erase(name);
  // The statement tagging the pipeline may be what was lost (DEALLOCATE
  // ALL loses both): prepared again too.
  prepared_.erase(kCallSettingsStatement);
  recheck_.insert(std::string(name));
  if (SqlStateOf(result.status()) != "26000") stale_.insert(std::string(name));
  log::Info("prepared statement lost or stale; preparing it again",
            {{"statement", std::string(name)},
             {"sqlstate", SqlStateOf(result.status()).value_or("")},
             {"in_transaction", in_transaction}});
  if (in_transaction) return result.status();
  if (absl::Status s = ensure(); !s.ok()) return s;
  return ExecPrepared(name, params, options);
}

absl::StatusOr<Result> Connection::DescribeSql(absl::string_view sql,
                                               const CallOptions& options) {
  const std::string q(sql);
  if (!PQsendPrepare(conn_, "", q.c_str(), 0, nullptr)) {
    return ConnectionError("send");
  }
  if (auto r = Await(options); !r.ok()) return r.status();
  if (!PQsendDescribePrepared(conn_, "")) return ConnectionError("send");
  return Await(options);
}

absl::Status Connection::PutCopyData(absl::string_view data) {
  while (true) {
    const int rc =
        PQputCopyData(conn_, data.data(), static_cast<int>(data.size()));
    if (rc == 1) return absl::OkStatus();
    if (rc < 0) return ConnectionError("copy");
    Wait(/*for_write=*/true, absl::InfiniteFuture());
  }
}

absl::StatusOr<Result> Connection::EndCopy(const CallOptions& options) {
  while (true) {
    const int rc = PQputCopyEnd(conn_, nullptr);
    if (rc == 1) break;
    if (rc < 0) return ConnectionError("copy end");
    Wait(/*for_write=*/true, options.deadline);
  }
  return Await(options);
}

}  // namespace defifundr::db::pg
