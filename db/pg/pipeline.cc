#include "db/pg/pipeline.h"

#include <libpq-fe.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <deque>
#include <optional>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "absl/synchronization/mutex.h"
#include "db/pg/internal/status.h"
#include "absl/time/clock.h"
#include "server/log/log.h"
#include "db/pg/error.h"

namespace defifundr::db::pg {
namespace {

// The per-segment settings (kCallSettingsSql): the caller's
// application_name and its deadline as statement_timeout, both local to the
// segment's implicit transaction.
constexpr const char* kSettingsName = kCallSettingsStatement;
constexpr const char* kSettingsSql = kCallSettingsSql;

// How often the loop looks at cancellations and deadlines.
constexpr absl::Duration kTick = absl::Milliseconds(20);
// How long past its deadline a statement may stay unanswered before its
// connection is given up as hung.
constexpr absl::Duration kHungGrace = absl::Seconds(5);
// How often a statement is sent again after a lost prepared statement or
// another caller's cancel request hit it.
constexpr int kMaxAttempts = 4;

struct Request {
  PipelineStatement statement;
  CallOptions options;
  PipelineDone done;
  bool answered = false;  // `done` ran; a later result is discarded.
  int attempts = 0;
};
using RequestPtr = std::shared_ptr<Request>;

void Answer(Request& r, absl::StatusOr<Result> outcome) {
  if (r.answered) return;
  r.answered = true;
  PipelineDone done = std::move(r.done);
  done(std::move(outcome));
}

// What one query of a segment is.
enum class Part { kDeallocate, kPrepare, kPrepareSettings, kSettings, kMain };

struct Segment {
  RequestPtr request;
  std::vector<Part> parts;
  size_t part = 0;  // The part whose results come next.
  std::optional<absl::Status> error;
  Part error_part = Part::kMain;
  Result result;
  bool cancel_sent = false;
};

struct Conn {
  std::unique_ptr<Connection> connection;
  PGconn* pg = nullptr;
  int fd = -1;
  std::deque<Segment> in_flight;
  absl::flat_hash_set<std::string> prepared;
  // Prepared statements that may be stale on the server (0A000 / 42P05):
  // deallocated before they are prepared again.
  absl::flat_hash_set<std::string> stale;
  bool want_write = false;
  // The server refused a write as read-only (SQLSTATE 25006: a standby, the
  // old primary after a failover): nothing more is sent here, and the
  // connection is closed once its statements are answered, so that its
  // replacement goes to the primary (a multi-host URL with
  // target_session_attrs=read-write).
  bool read_only = false;
};

std::string ParamsText(const CallOptions& options) {
  return StatementTimeoutParam(options.deadline);
}

}  // namespace

class Pipeline::Loop {
 public:
  explicit Loop(PipelineOptions options)
      : options_(std::move(options)), shared_(std::make_shared<Shared>()) {}

  ~Loop() {
    {
      absl::MutexLock lock(&shared_->mu);
      shared_->stopping = true;
    }
    Wake();
    if (thread_.joinable()) thread_.join();
    if (epoll_ >= 0) close(epoll_);
    if (shared_->wake_fd >= 0) close(shared_->wake_fd);
  }

  absl::Status Start() {
    epoll_ = epoll_create1(EPOLL_CLOEXEC);
    shared_->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (epoll_ < 0 || shared_->wake_fd < 0) {
      return absl::InternalError("cannot create the event loop");
    }
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.ptr = nullptr;  // The wake-up eventfd.
    epoll_ctl(epoll_, EPOLL_CTL_ADD, shared_->wake_fd, &ev);
    auto first = Connection::Open(options_.conninfo,
                                  absl::Now() + options_.connect_timeout);
    if (!first.ok()) return first.status();
    AddConnection(*std::move(first));
    for (int i = 1; i < std::max(1, options_.connections); ++i) Reconnect(0);
    thread_ = std::thread([this] { Run(); });
    return absl::OkStatus();
  }

  void Submit(RequestPtr r) {
    {
      absl::MutexLock lock(&shared_->mu);
      if (!shared_->stopping) {
        shared_->incoming.push_back(std::move(r));
        r = nullptr;
      }
    }
    if (r != nullptr) {
      Answer(*r, WithReason(absl::UnavailableError("the database pipeline is "
                                                   "shutting down"),
                            "SHUTTING_DOWN"));
      return;
    }
    Wake();
  }

  Stats GetStats() const {
    absl::MutexLock lock(&stats_mu_);
    return stats_;
  }

 private:
  // What other threads hand to the loop.
  struct Shared {
    absl::Mutex mu;
    bool stopping ABSL_GUARDED_BY(mu) = false;
    std::vector<RequestPtr> incoming ABSL_GUARDED_BY(mu);
    std::vector<std::unique_ptr<Connection>> opened ABSL_GUARDED_BY(mu);
    // Reconnects to try again (their attempt numbers).
    std::vector<int> retries ABSL_GUARDED_BY(mu);
    // Why the last connection attempt failed, until one succeeds.
    std::optional<absl::Status> connect_error ABSL_GUARDED_BY(mu);
    int wake_fd = -1;
  };

  void Wake() {
    const uint64_t one = 1;
    if (write(shared_->wake_fd, &one, sizeof(one)) < 0) {
      // Already signalled (counter full) or closing: nothing to do.
    }
  }

  // Opens a connection on a thread of its own after `delay` and hands it to
  // the loop (a blocking connect must not stall the loop).
  void Reconnect(int attempt) {
    const absl::Duration delay =
        attempt == 0
            ? absl::ZeroDuration()
            : std::min(absl::Milliseconds(100) * (1 << std::min(attempt, 5)),
                       absl::Seconds(2));
    std::thread([shared = shared_, options = options_, delay, attempt] {
      absl::SleepFor(delay);
      auto conn = Connection::Open(options.conninfo,
                                   absl::Now() + options.connect_timeout);
      absl::MutexLock lock(&shared->mu);
      if (shared->stopping) return;
      if (conn.ok()) {
        shared->opened.push_back(*std::move(conn));
        shared->connect_error.reset();
      } else {
        // Logged once per outage; the loop answers waiting statements
        // UNAVAILABLE while no connection stands.
        if (!shared->connect_error.has_value()) {
          log::Warning("database pipeline: cannot connect; retrying",
                       {{"error", std::string(conn.status().message())}});
        }
        shared->connect_error = conn.status();
        shared->retries.push_back(attempt + 1);  // The loop starts it.
      }
      const uint64_t one = 1;
      if (write(shared->wake_fd, &one, sizeof(one)) < 0) {
      }
    }).detach();
  }

  void AddConnection(std::unique_ptr<Connection> connection) {
    auto conn = std::make_unique<Conn>();
    conn->pg = connection->raw();
    conn->fd = PQsocket(conn->pg);
    conn->connection = std::move(connection);
    if (PQenterPipelineMode(conn->pg) != 1) {
      log::Warning("database pipeline: cannot enter pipeline mode");
      Reconnect(1);
      return;
    }
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.ptr = conn.get();
    epoll_ctl(epoll_, EPOLL_CTL_ADD, conn->fd, &ev);
    conns_.push_back(std::move(conn));
  }

  void Run() {
    std::vector<epoll_event> events(16);
    absl::Time next_tick = absl::Now() + kTick;
    while (true) {
      const int timeout_ms = static_cast<int>(std::max<int64_t>(
          0, absl::ToInt64Milliseconds(next_tick - absl::Now())));
      const int n = epoll_wait(epoll_, events.data(),
                               static_cast<int>(events.size()), timeout_ms);
      bool stopping = false;
      bool unreachable = false;
      std::vector<RequestPtr> incoming;
      std::vector<std::unique_ptr<Connection>> opened;
      std::vector<int> retries;
      {
        absl::MutexLock lock(&shared_->mu);
        stopping = shared_->stopping;
        unreachable = shared_->connect_error.has_value();
        incoming.swap(shared_->incoming);
        opened.swap(shared_->opened);
        retries.swap(shared_->retries);
      }
      if (stopping) break;
      for (auto& c : opened) AddConnection(std::move(c));
      for (int attempt : retries) Reconnect(attempt);
      for (auto& r : incoming) queue_.push_back(std::move(r));
      for (int i = 0; i < n; ++i) {
        auto* conn = static_cast<Conn*>(events[i].data.ptr);
        if (conn == nullptr) {
          uint64_t value;
          while (read(shared_->wake_fd, &value, sizeof(value)) > 0) {
          }
          continue;
        }
        if (events[i].events & (EPOLLOUT)) Flush(*conn);
        if (events[i].events & (EPOLLIN | EPOLLERR | EPOLLHUP)) Read(*conn);
      }
      if (absl::Now() >= next_tick) {
        Tick();
        next_tick = absl::Now() + kTick;
      }
      DropBroken();
      // No connection stands and the last attempt failed: the database is
      // unreachable, and waiting statements are told so at once (as the
      // pool's Acquire does) instead of at their deadline.
      if (conns_.empty() && unreachable) {
        for (auto& r : queue_) {
          Answer(*r, WithReason(
                         absl::UnavailableError("the database is unreachable"),
                         "DATABASE_UNAVAILABLE"));
        }
        queue_.clear();
      }
      Dispatch();
      UpdateStats();
    }
    Shutdown();
  }

  // Sends queued statements to the connections with room, least loaded
  // first.
  void Dispatch() {
    while (!queue_.empty()) {
      Conn* best = nullptr;
      for (auto& c : conns_) {
        if (c->read_only || static_cast<int>(c->in_flight.size()) >=
                                options_.max_in_flight_per_connection) {
          continue;
        }
        if (best == nullptr || c->in_flight.size() < best->in_flight.size()) {
          best = c.get();
        }
      }
      if (best == nullptr) return;
      RequestPtr r = std::move(queue_.front());
      queue_.pop_front();
      if (r->answered) continue;
      Send(*best, std::move(r));
    }
    for (auto& c : conns_) {
      if (c->want_write) Flush(*c);
    }
  }

  void Send(Conn& conn, RequestPtr r) {
    Segment seg;
    const std::string name(r->statement.name);
    if (retired_.contains(name)) {
      Answer(*r, WithReason(absl::UnavailableError(absl::StrCat(
                                "statement ", name,
                                " no longer runs on the database pipeline (its "
                                "prepared form was lost or went stale)")),
                            "STATEMENT_STATE_LOST"));
      return;
    }
    const std::string sql(r->statement.sql);
    const bool named = options_.statement_cache == StatementCache::kPrepared;
    bool ok = true;
    // The settings first: the Parse of a statement may wait for a lock
    // too, and must do so under the caller's name and deadline.
    const std::string timeout = ParamsText(r->options);
    const char* settings[] = {r->options.application_name.c_str(),
                              timeout.c_str()};
    if (named) {
      if (!conn.prepared.contains(kSettingsName)) {
        ok = ok &&
             PQsendPrepare(conn.pg, kSettingsName, kSettingsSql, 0, nullptr);
        seg.parts.push_back(Part::kPrepareSettings);
        conn.prepared.insert(kSettingsName);
      }
      ok = ok && PQsendQueryPrepared(conn.pg, kSettingsName, 2, settings,
                                     nullptr, nullptr, 0);
    } else {
      ok = ok && PQsendQueryParams(conn.pg, kSettingsSql, 2, nullptr, settings,
                                   nullptr, nullptr, 0);
    }
    seg.parts.push_back(Part::kSettings);
    if (named && conn.stale.contains(name)) {
      char* quoted = PQescapeIdentifier(conn.pg, name.data(), name.size());
      const std::string deallocate =
          absl::StrCat("DEALLOCATE ", quoted != nullptr ? quoted : "\"\"");
      PQfreemem(quoted);
      ok = ok && PQsendQueryParams(conn.pg, deallocate.c_str(), 0, nullptr,
                                   nullptr, nullptr, nullptr, 0);
      seg.parts.push_back(Part::kDeallocate);
      conn.stale.erase(name);
      conn.prepared.erase(name);
    }
    if (named && !conn.prepared.contains(name)) {
      ok = ok && PQsendPrepare(conn.pg, name.c_str(), sql.c_str(), 0, nullptr);
      seg.parts.push_back(Part::kPrepare);
      conn.prepared.insert(name);
    }
    std::vector<const char*> values;
    values.reserve(r->statement.params.size());
    for (const Param& p : r->statement.params) {
      values.push_back(p ? p->c_str() : nullptr);
    }
    const int nparams = static_cast<int>(values.size());
    if (named) {
      ok = ok && PQsendQueryPrepared(conn.pg, name.c_str(), nparams,
                                     values.data(), nullptr, nullptr, 0);
    } else {
      ok = ok && PQsendQueryParams(conn.pg, sql.c_str(), nparams, nullptr,
                                   values.data(), nullptr, nullptr, 0);
    }
    seg.parts.push_back(Part::kMain);
    ok = ok && PQpipelineSync(conn.pg) == 1;
    ++r->attempts;
    seg.request = std::move(r);
    conn.in_flight.push_back(std::move(seg));
    if (!ok) {
      Break(conn, "send");
      return;
    }
    conn.want_write = true;
  }

  void Flush(Conn& conn) {
    if (conn.pg == nullptr) return;
    const int rc = PQflush(conn.pg);
    if (rc < 0) {
      Break(conn, "send");
      return;
    }
    const bool more = rc == 1;
    conn.want_write = false;
    epoll_event ev{};
    ev.events = more ? (EPOLLIN | EPOLLOUT) : EPOLLIN;
    ev.data.ptr = &conn;
    epoll_ctl(epoll_, EPOLL_CTL_MOD, conn.fd, &ev);
  }

  void Read(Conn& conn) {
    if (conn.pg == nullptr) return;
    if (PQconsumeInput(conn.pg) == 0) {
      Break(conn, "receive");
      return;
    }
    while (!conn.in_flight.empty() && conn.pg != nullptr &&
           !PQisBusy(conn.pg)) {
      PGresult* res = PQgetResult(conn.pg);
      Segment& seg = conn.in_flight.front();
      if (res == nullptr) {  // The end of one part's results.
        ++seg.part;
        continue;
      }
      const ExecStatusType st = PQresultStatus(res);
      if (st == PGRES_PIPELINE_SYNC) {
        PQclear(res);
        Segment done = std::move(seg);
        conn.in_flight.pop_front();
        Complete(conn, std::move(done));
        continue;
      }
      if (st == PGRES_PIPELINE_ABORTED) {
        PQclear(res);
        continue;
      }
      const Part part =
          seg.part < seg.parts.size() ? seg.parts[seg.part] : Part::kMain;
      if (st == PGRES_FATAL_ERROR || st == PGRES_NONFATAL_ERROR ||
          st == PGRES_BAD_RESPONSE) {
        if (!seg.error.has_value()) {
          seg.error = internal::StatusFromPgResult(res, conn.pg);
          seg.error_part = part;
        }
        PQclear(res);
        if (PQstatus(conn.pg) == CONNECTION_BAD) {
          Break(conn, "receive");
          return;
        }
        continue;
      }
      if (part == Part::kMain) {
        seg.result = Result(res);
      } else {
        PQclear(res);
      }
    }
    if (conn.pg != nullptr && PQstatus(conn.pg) == CONNECTION_BAD) {
      Break(conn, "receive");
    } else if (conn.pg != nullptr && conn.read_only && conn.in_flight.empty()) {
      Break(conn, "the server is read-only (SQLSTATE 25006: a standby)");
    }
  }

  void Complete(Conn& conn, Segment seg) {
    Request& r = *seg.request;
    if (!seg.error.has_value()) {
      Answer(r, std::move(seg.result));
      return;
    }
    absl::Status error = *seg.error;
    const std::string sqlstate = SqlStateOf(error).value_or("");
    const std::string name(r.statement.name);
    if (sqlstate == "25006") conn.read_only = true;
    // The prepared statement's state, whatever the outcome of the caller.
    if (seg.error_part == Part::kPrepare) {
      if (sqlstate == "42P05") {
        conn.stale.insert(name);  // Someone else's: replaced next time.
      } else {
        conn.prepared.erase(name);
      }
    } else if (seg.error_part == Part::kPrepareSettings) {
      conn.prepared.erase(kSettingsName);
      if (sqlstate == "42P05") conn.stale.insert(kSettingsName);
    } else if (IsStatementStateError(error)) {
      if (seg.error_part == Part::kSettings) {
        // Our own settings statement: prepared afresh.
        if (sqlstate == "26000") {
          conn.prepared.erase(kSettingsName);
        } else {
          conn.stale.insert(kSettingsName);
        }
      } else if (retired_.insert(name).second) {
        // The caller's statement was lost or its result type changed (a
        // schema change): preparing it again here would go unchecked
        // against what its caller expects, so the pipeline never runs it
        // again (its callers run it their checked way).
        log::Warning(
            "database pipeline: a prepared statement was lost or went "
            "stale; it no longer runs on the pipeline",
            {{"statement", name}, {"sqlstate", sqlstate}});
      }
    }
    if (r.answered) return;
    const bool statement_state =
        seg.error_part != Part::kMain || IsStatementStateError(error);
    if (sqlstate == "57014") {
      if (absl::StrContains(error.message(), "statement timeout") ||
          absl::Now() >= r.options.deadline) {
        Answer(r, absl::DeadlineExceededError(
                      "deadline passed; the statement was cancelled"));
        return;
      }
      // Another caller's cancel request reached the server after that
      // statement had ended: this one did nothing (its segment was rolled
      // back) and runs again.
      if (r.attempts < kMaxAttempts) {
        absl::MutexLock lock(&stats_mu_);
        ++stats_.resent_after_foreign_cancel;
        queue_.push_front(std::move(seg.request));
        return;
      }
    }
    if (statement_state && r.attempts < kMaxAttempts &&
        seg.error_part != Part::kMain) {
      // Preparing failed because of the connection's own state (42P05 of a
      // statement we lost track of): prepared afresh on the next try.
      queue_.push_front(std::move(seg.request));
      return;
    }
    Answer(r, std::move(error));
  }

  // Answers cancelled and overdue statements.
  void Tick() {
    const absl::Time now = absl::Now();
    for (auto it = queue_.begin(); it != queue_.end();) {
      Request& r = **it;
      const bool cancelled = r.options.cancelled && r.options.cancelled();
      if (cancelled) {
        Answer(r, absl::CancelledError("the call was cancelled"));
      } else if (now >= r.options.deadline) {
        Answer(r, conns_.empty()
                      ? WithReason(absl::UnavailableError(
                                       "no database connection could be "
                                       "opened before the deadline"),
                                   "DATABASE_UNAVAILABLE")
                      : WithReason(absl::UnavailableError(
                                       "no database connection could take "
                                       "the statement before the deadline"),
                                   "POOL_EXHAUSTED"));
      }
      if (r.answered) {
        it = queue_.erase(it);
      } else {
        ++it;
      }
    }
    for (auto& c : conns_) {
      for (size_t i = 0; i < c->in_flight.size(); ++i) {
        Segment& seg = c->in_flight[i];
        Request& r = *seg.request;
        if (!r.answered && r.options.cancelled && r.options.cancelled()) {
          Answer(r, absl::CancelledError(
                        "the call was cancelled; its statement was cancelled"));
          if (i == 0 && !seg.cancel_sent) {
            seg.cancel_sent = true;
            SendCancel(*c);
          }
        }
      }
      if (!c->in_flight.empty()) {
        Request& head = *c->in_flight.front().request;
        if (now >= head.options.deadline + kHungGrace) {
          log::Warning(
              "database pipeline: a statement outlived its deadline; "
              "dropping the connection",
              {{"backend_pid", PQbackendPID(c->pg)}});
          Break(*c, "hung");
        }
      }
    }
  }

  void SendCancel(Conn& conn) {
    PGcancel* cancel = PQgetCancel(conn.pg);
    if (cancel == nullptr) return;
    std::thread([cancel] {
      char err[256] = {0};
      PQcancel(cancel, err, sizeof(err));
      PQfreeCancel(cancel);
    }).detach();
  }

  // Answers everything on `conn` UNAVAILABLE and marks it for closing.
  void Break(Conn& conn, absl::string_view what) {
    if (conn.pg == nullptr) return;
    const std::string message(
        absl::StripTrailingAsciiWhitespace(PQerrorMessage(conn.pg)));
    log::Warning("database pipeline: connection lost",
                 {{"during", std::string(what)}, {"error", message}});
    for (Segment& seg : conn.in_flight) {
      Answer(
          *seg.request,
          WithReason(absl::UnavailableError(absl::StrCat(
                         "database connection failed (", what,
                         "); the statement's outcome is unknown: ", message)),
                     "DATABASE_UNAVAILABLE"));
    }
    conn.in_flight.clear();
    epoll_ctl(epoll_, EPOLL_CTL_DEL, conn.fd, nullptr);
    conn.pg = nullptr;  // Closed in DropBroken.
  }

  void DropBroken() {
    const size_t before = conns_.size();
    conns_.erase(std::remove_if(conns_.begin(), conns_.end(),
                                [](const std::unique_ptr<Conn>& c) {
                                  return c->pg == nullptr;
                                }),
                 conns_.end());
    for (size_t i = conns_.size(); i < before; ++i) {
      {
        absl::MutexLock lock(&stats_mu_);
        ++stats_.reconnects;
      }
      Reconnect(1);
    }
  }

  void UpdateStats() {
    absl::MutexLock lock(&stats_mu_);
    stats_.connections = static_cast<int>(conns_.size());
    stats_.queued = static_cast<int>(queue_.size());
    int in_flight = 0;
    for (auto& c : conns_) in_flight += static_cast<int>(c->in_flight.size());
    stats_.in_flight = in_flight;
  }

  void Shutdown() {
    const absl::Status closing = WithReason(
        absl::UnavailableError("the database pipeline is shutting down"),
        "SHUTTING_DOWN");
    std::vector<RequestPtr> incoming;
    {
      absl::MutexLock lock(&shared_->mu);
      incoming.swap(shared_->incoming);
    }
    for (auto& r : incoming) Answer(*r, closing);
    for (auto& r : queue_) Answer(*r, closing);
    queue_.clear();
    for (auto& c : conns_) {
      for (Segment& seg : c->in_flight) Answer(*seg.request, closing);
    }
    conns_.clear();
  }

  const PipelineOptions options_;
  std::shared_ptr<Shared> shared_;
  int epoll_ = -1;
  std::thread thread_;
  // The loop thread's own state.
  std::deque<RequestPtr> queue_;
  std::vector<std::unique_ptr<Conn>> conns_;
  // Statements that went stale or were lost: never sent again.
  absl::flat_hash_set<std::string> retired_;
  mutable absl::Mutex stats_mu_;
  Stats stats_ ABSL_GUARDED_BY(stats_mu_);
};

Pipeline::Pipeline(std::unique_ptr<Loop> loop) : loop_(std::move(loop)) {}

Pipeline::~Pipeline() = default;

absl::StatusOr<std::unique_ptr<Pipeline>> Pipeline::Start(
    PipelineOptions options) {
  auto loop = std::make_unique<Loop>(std::move(options));
  if (absl::Status s = loop->Start(); !s.ok()) return s;
  return std::unique_ptr<Pipeline>(new Pipeline(std::move(loop)));
}

void Pipeline::Run(PipelineStatement statement, CallOptions options,
                   PipelineDone done) {
  auto r = std::make_shared<Request>();
  r->statement = std::move(statement);
  r->options = std::move(options);
  r->done = std::move(done);
  loop_->Submit(std::move(r));
}

Pipeline::Stats Pipeline::GetStats() const { return loop_->GetStats(); }

}  // namespace defifundr::db::pg
