#pragma once
// ChildProcess: a program the test starts (fork + exec, no shell), with its stdout and stderr in a log file.
// PR_SET_PDEATHSIG(SIGKILL) makes it die with the test. The destructor sends SIGTERM, then SIGKILL after 5 s.
// Thread-safety: one thread drives a ChildProcess.

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <sys/types.h>

#include "base/status.h"

namespace zkx::test {

class ChildProcess {
 public:
  // argv[0] is the program path. `env` entries are added to (or replace) the inherited environment.
  static Result<ChildProcess> Start(std::vector<std::string> argv, const std::string& log_path,
                                    const std::map<std::string, std::string>& env = {});
  ChildProcess(ChildProcess&& other) noexcept;
  ChildProcess& operator=(ChildProcess&& other) noexcept;
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;
  ~ChildProcess();

  [[nodiscard]] pid_t pid() const { return pid_; }
  void Signal(int sig) const;
  // Waits up to `timeout` for the process to exit; its exit code (128 + signal when killed), or nullopt.
  std::optional<int> WaitExit(std::chrono::milliseconds timeout);
  [[nodiscard]] bool Running();
  // Everything the process has written to its log so far.
  [[nodiscard]] std::string Log() const;

 private:
  ChildProcess() = default;
  pid_t pid_ = 0;
  std::string log_path_;
  std::optional<int> exit_code_;
};

}  // namespace zkx::test
