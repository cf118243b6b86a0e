#include "server/admission.h"

#include <algorithm>

#include "absl/time/clock.h"
#include "server/status.h"

namespace defifundr::server {

absl::Status Admission::Admit() {
  if (!draining_.load(std::memory_order_acquire)) return absl::OkStatus();
  last_refused_ns_.store(absl::GetCurrentTimeNanos(),
                         std::memory_order_relaxed);
  refused_.fetch_add(1, std::memory_order_relaxed);
  return WithReason(
      absl::UnavailableError(
          "the server is shutting down; retry the call (another replica "
          "takes it)"),
      kShuttingDownReason);
}

void Admission::BeginDrain() {
  if (draining_.exchange(true, std::memory_order_acq_rel)) return;
  const int64_t now = absl::GetCurrentTimeNanos();
  drain_began_ns_.store(now, std::memory_order_relaxed);
  last_refused_ns_.store(now, std::memory_order_relaxed);
}

void Admission::AwaitQuiet(absl::Duration quiet, absl::Duration max) {
  const absl::Time began =
      absl::FromUnixNanos(drain_began_ns_.load(std::memory_order_relaxed));
  const absl::Time give_up = began + max;
  while (true) {
    const absl::Time now = absl::Now();
    const absl::Time quiet_at =
        absl::FromUnixNanos(last_refused_ns_.load(std::memory_order_relaxed)) +
        quiet;
    if (now >= quiet_at || now >= give_up) return;
    absl::SleepFor(std::min(quiet_at, give_up) - now);
  }
}

bool Admission::AwaitIdle(absl::Time deadline) const {
  while (running() > 0) {
    if (absl::Now() >= deadline) return false;
    absl::SleepFor(absl::Milliseconds(5));
  }
  return true;
}

}  // namespace defifundr::server
