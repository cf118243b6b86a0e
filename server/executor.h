// A fixed set of threads that run blocking work (a transaction on a pooled
// connection, a statement that must be prepared again and checked) for the
// callback handlers, which must not block gRPC's threads.
#ifndef DEFIFUNDR_SERVER_EXECUTOR_H_
#define DEFIFUNDR_SERVER_EXECUTOR_H_

#include <deque>
#include <functional>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"

namespace defifundr::server {

class Executor {
 public:
  /// Starts `threads` (>= 1) threads.
  explicit Executor(int threads);
  /// Runs the work already submitted, then joins the threads.
  ~Executor();
  Executor(const Executor&) = delete;
  Executor& operator=(const Executor&) = delete;

  /// Queues `work`; it runs on one of the threads, in submission order
  /// among free threads, with the submitting thread's log context
  /// (request ids).
  void Submit(std::function<void()> work);

 private:
  void Loop();

  absl::Mutex mu_;
  std::deque<std::function<void()>> queue_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::vector<std::thread> threads_;
};

}  // namespace defifundr::server

#endif  // DEFIFUNDR_SERVER_EXECUTOR_H_
