#include "db/pg/pool.h"

#include "absl/strings/str_cat.h"
#include "server/log/log.h"
#include "db/pg/error.h"

namespace defifundr::db::pg {

PooledConnection& PooledConnection::operator=(
    PooledConnection&& other) noexcept {
  if (this != &other) {
    Return();
    pool_ = other.pool_;
    conn_ = std::move(other.conn_);
  }
  return *this;
}

PooledConnection::~PooledConnection() { Return(); }

void PooledConnection::Return() {
  if (conn_ != nullptr) pool_->Release(std::move(conn_));
}

Pool::Pool(PoolOptions options) : options_(std::move(options)) {}

Pool::~Pool() { Close(); }

void Pool::Close() {
  std::vector<std::unique_ptr<Connection>> idle;
  {
    absl::MutexLock lock(&mu_);
    closed_ = true;
    idle.swap(idle_);
    open_ -= static_cast<int>(idle.size());
  }
  // Connections close outside the lock.
}

absl::StatusOr<PooledConnection> Pool::Acquire(absl::Time deadline) {
  const absl::Time start = absl::Now();
  auto result = AcquireImpl(deadline);
  if (options_.on_acquire) options_.on_acquire(absl::Now() - start);
  return result;
}

absl::StatusOr<PooledConnection> Pool::AcquireImpl(absl::Time deadline) {
  while (true) {
    std::unique_ptr<Connection> conn;
    bool open_new = false;
    {
      absl::MutexLock lock(&mu_);
      auto can_proceed = [this]() ABSL_SHARED_LOCKS_REQUIRED(mu_) {
        return closed_ || !idle_.empty() || open_ < options_.max_size;
      };
      ++waiters_;
      const bool proceed =
          mu_.AwaitWithDeadline(absl::Condition(&can_proceed), deadline);
      --waiters_;
      if (!proceed) {
        return WithReason(
            absl::UnavailableError(absl::StrCat(
                "no database connection became free before the deadline (pool "
                "size ",
                options_.max_size, ")")),
            "POOL_EXHAUSTED");
      }
      if (closed_) {
        return WithReason(absl::UnavailableError("the pool is closed"),
                          "SHUTTING_DOWN");
      }
      if (!idle_.empty()) {
        conn = std::move(idle_.back());
        idle_.pop_back();
      } else {
        ++open_;
        open_new = true;
      }
    }
    if (!open_new) {
      if (conn->CheckAlive()) return PooledConnection(this, std::move(conn));
      log::Info("dropping dead pooled connection",
                {{"backend_pid", conn->backend_pid()}});
      conn.reset();
      absl::MutexLock lock(&mu_);
      --open_;
      ++discarded_;
      continue;  // Try the next idle one, or open a replacement.
    }
    auto opened = Connection::Open(options_.conninfo, deadline);
    absl::Status status = opened.status();
    if (status.ok()) (*opened)->set_statement_cache(options_.statement_cache);
    if (status.ok() && options_.on_connect) {
      status = options_.on_connect(**opened, deadline);
    }
    if (!status.ok()) {
      absl::MutexLock lock(&mu_);
      --open_;
      if (status.code() == absl::StatusCode::kDeadlineExceeded) {
        return WithReason(
            absl::UnavailableError(absl::StrCat(
                "could not open a database connection before the deadline: ",
                status.message())),
            "DATABASE_UNAVAILABLE");
      }
      return status;
    }
    absl::MutexLock lock(&mu_);
    ++opened_;
    return PooledConnection(this, *std::move(opened));
  }
}

void Pool::Release(std::unique_ptr<Connection> conn) {
  const bool reusable = !conn->IsBroken() && conn->IsIdle();
  {
    absl::MutexLock lock(&mu_);
    if (reusable && !closed_) {
      idle_.push_back(std::move(conn));
      return;
    }
    --open_;
    if (!reusable) ++discarded_;
  }
  if (!reusable) {
    log::Info(
        "closed a pooled connection that was broken or inside a "
        "transaction",
        {{"backend_pid", conn->backend_pid()}});
  }
  conn.reset();  // Closes outside the lock.
}

Pool::Stats Pool::GetStats() const {
  absl::MutexLock lock(&mu_);
  Stats s;
  s.max_size = options_.max_size;
  s.open = open_;
  s.in_use = open_ - static_cast<int>(idle_.size());
  s.waiters = waiters_;
  s.opened = opened_;
  s.discarded = discarded_;
  return s;
}

}  // namespace defifundr::db::pg
