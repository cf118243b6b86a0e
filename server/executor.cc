#include "server/executor.h"

#include <algorithm>

#include "server/log/log.h"

namespace defifundr::server {

Executor::Executor(int threads) {
  for (int i = 0; i < std::max(1, threads); ++i) {
    threads_.emplace_back([this] { Loop(); });
  }
}

Executor::~Executor() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  for (std::thread& t : threads_) t.join();
}

void Executor::Submit(std::function<void()> work) {
  auto with_context = [context = log::ThreadContext(),
                       work = std::move(work)]() mutable {
    log::RestoreThreadContext(std::move(context));
    work();
    log::ClearThreadContext();
  };
  absl::MutexLock lock(&mu_);
  queue_.push_back(std::move(with_context));
}

void Executor::Loop() {
  while (true) {
    std::function<void()> work;
    {
      absl::MutexLock lock(&mu_);
      auto ready = [this]() ABSL_SHARED_LOCKS_REQUIRED(mu_) {
        return stopping_ || !queue_.empty();
      };
      mu_.Await(absl::Condition(&ready));
      if (queue_.empty()) return;  // Stopping, and nothing left.
      work = std::move(queue_.front());
      queue_.pop_front();
    }
    work();
  }
}

}  // namespace defifundr::server
