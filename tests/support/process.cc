#include "tests/support/process.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"

namespace defifundr::testing {

pid_t SpawnProcess(const std::string& binary,
                   const std::vector<std::string>& args, const Env& env,
                   const std::string& log) {
  // Emptied here, before the fork: a log left by an earlier process (the
  // name repeats when a pid is reused) must never be read as this one's,
  // e.g. an old "port=N" by a caller that waits for the new one.
  const int truncated = open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (truncated >= 0) close(truncated);
  const pid_t pid = fork();
  if (pid == 0) {
    const int fd = open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    dup2(fd, 1);
    dup2(fd, 2);
    for (const auto& [name, value] : env)
      setenv(name.c_str(), value.c_str(), 1);
    std::vector<char*> argv;
    argv.push_back(const_cast<char*>(binary.c_str()));
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    execv(binary.c_str(), argv.data());
    _exit(127);
  }
  return pid;
}

int WaitExit(pid_t pid, absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  int status = 0;
  while (absl::Now() < deadline) {
    if (waitpid(pid, &status, WNOHANG) == pid) {
      return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    }
    absl::SleepFor(absl::Milliseconds(20));
  }
  kill(pid, SIGKILL);
  waitpid(pid, &status, 0);
  return -1;
}

int StopProcess(pid_t pid, absl::Duration timeout) {
  kill(pid, SIGTERM);
  return WaitExit(pid, timeout);
}

int RunProcess(const std::string& binary, const std::vector<std::string>& args,
               const Env& env, std::string* output, absl::Duration timeout) {
  static std::atomic<int> counter{0};
  const std::string log = absl::StrCat(::testing::TempDir(), "/run-", getpid(),
                                       "-", counter++, ".log");
  const int code = WaitExit(SpawnProcess(binary, args, env, log), timeout);
  *output = ReadAll(log);
  unlink(log.c_str());
  return code;
}

std::string ReadAll(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

int FreePort() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return 0;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof(addr);
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
      getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    close(fd);
    return 0;
  }
  close(fd);
  return ntohs(addr.sin_port);
}

}  // namespace defifundr::testing
