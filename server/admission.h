// Whether a server still takes new calls: the lame-duck phase of a graceful
// shutdown. Once draining begins (SIGTERM), every handler refuses calls that
// reach it with UNAVAILABLE before they touch the database, so a client's
// retry (UNAVAILABLE is retryable, see client/) goes to another replica,
// while the calls already running finish normally. gRPC's own shutdown
// starts only once callers have stopped sending, because gRPC cancels a
// call that reaches a server after its shutdown began (the caller sees
// CANCELLED, which is not safely retryable).
#ifndef DEFIFUNDR_SERVER_ADMISSION_H_
#define DEFIFUNDR_SERVER_ADMISSION_H_

#include <atomic>
#include <cstdint>

#include "absl/status/status.h"
#include "absl/time/time.h"

namespace defifundr::server {

/// The ErrorInfo reason of a call refused because the server is draining.
inline constexpr char kShuttingDownReason[] = "SHUTTING_DOWN";

class Admission {
 public:
  /// OK while the server takes calls. Once BeginDrain ran: UNAVAILABLE with
  /// ErrorInfo reason SHUTTING_DOWN (nothing of the call ran; retrying it is
  /// safe). Thread-safe and lock-free.
  absl::Status Admit();

  /// From now on Admit refuses. Idempotent.
  void BeginDrain();
  bool draining() const { return draining_.load(std::memory_order_acquire); }

  /// After BeginDrain: blocks until no call has been refused for `quiet`, or
  /// until `max` has passed since BeginDrain, whichever comes first.
  void AwaitQuiet(absl::Duration quiet, absl::Duration max);

  /// Calls refused since BeginDrain.
  int64_t refused() const { return refused_.load(std::memory_order_relaxed); }

  /// A call began / ended (MakeAdmissionInterceptorFactory counts every
  /// call but the long-lived health watches).
  void CallStarted() { running_.fetch_add(1, std::memory_order_acq_rel); }
  void CallEnded() { running_.fetch_sub(1, std::memory_order_acq_rel); }
  /// Calls running now.
  int running() const { return running_.load(std::memory_order_acquire); }
  /// Blocks until no call runs, or until `deadline`. Returns whether none
  /// runs.
  bool AwaitIdle(absl::Time deadline) const;

 private:
  std::atomic<int> running_{0};
  std::atomic<bool> draining_{false};
  std::atomic<int64_t> drain_began_ns_{0};
  std::atomic<int64_t> last_refused_ns_{0};
  std::atomic<int64_t> refused_{0};
};

}  // namespace defifundr::server

#endif  // DEFIFUNDR_SERVER_ADMISSION_H_
