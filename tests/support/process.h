// Test support: running the defifundr-data executable (or any program) as a
// child process, as a user or Kubernetes would.
#ifndef DEFIFUNDR_TESTS_SUPPORT_PROCESS_H_
#define DEFIFUNDR_TESTS_SUPPORT_PROCESS_H_

#include <sys/types.h>

#include <string>
#include <utility>
#include <vector>

#include "absl/time/time.h"

namespace defifundr::testing {

/// Environment variables set for a child on top of the test's own; an empty
/// value is set as empty.
using Env = std::vector<std::pair<std::string, std::string>>;

/// Starts `binary` with `args` and `env`; its stdout and stderr go to the
/// file `log` (truncated). Returns the child's pid.
pid_t SpawnProcess(const std::string& binary,
                   const std::vector<std::string>& args, const Env& env,
                   const std::string& log);

/// Waits for `pid` to exit, at most `timeout`. Returns its exit code, 128 +
/// the signal that ended it, or -1 when it had to be killed (SIGKILL) after
/// the timeout.
int WaitExit(pid_t pid, absl::Duration timeout);

/// Sends SIGTERM, then WaitExit(pid, timeout).
int StopProcess(pid_t pid, absl::Duration timeout);

/// Runs `binary` to completion (at most `timeout`); returns WaitExit's code
/// and puts everything it printed in `*output`.
int RunProcess(const std::string& binary, const std::vector<std::string>& args,
               const Env& env, std::string* output,
               absl::Duration timeout = absl::Seconds(120));

/// The whole file; "" if it cannot be read.
std::string ReadAll(const std::string& path);

/// A TCP port on 127.0.0.1 that nothing listens on (it was free a moment
/// ago); 0 if none could be had.
int FreePort();

}  // namespace defifundr::testing

#endif  // DEFIFUNDR_TESTS_SUPPORT_PROCESS_H_
