#pragma once
// ExporterProcess: the zookeeper_exporter binary as a child process of a test, listening on a free loopback
// port.
//
// Contract:
//  - The constructor picks a free loopback port and starts
//      <binary> --web.listen-address=127.0.0.1:<port> <args...>
//    with stdout and stderr in `log_path` and `env` added to the inherited environment. It does not wait for
//    anything: WaitReady() / WaitListening() / WaitMetrics() wait on a condition with a deadline.
//  - The binary's path is the caller's: tests get it from their target's ZKX_EXPORTER_BIN compile definition
//    (tests/e2e, tests/deploy and tests/bench set it to $<TARGET_FILE:zookeeper_exporter>).
//  - Starting never throws and never fails a test by itself: status() says whether the port was found and the
//    process started (wrappers that want a gtest failure check it). Not started: Get() fails, Metrics() and
//    Log() are empty, pid() is 0, the Wait* return false; process() must not be called.
//  - The destructor stops the process (ChildProcess: SIGTERM, then SIGKILL after 5 s). Stop() sends the
//    SIGTERM and returns the exit code, for tests that check a clean exit.
// Thread-safety: one thread drives an ExporterProcess; Get(), Metrics(), WaitReady() and port() only read the
// port, so other threads may call them while it lives.

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <sys/types.h>

#include "base/status.h"
#include "tests/support/child_process.h"
#include "tests/support/http_get.h"

namespace zkx::test {

class ExporterProcess {
 public:
  using Headers = std::map<std::string, std::string>;
  static constexpr std::chrono::milliseconds kGetTimeout{10000};

  ExporterProcess(const std::string& binary, std::vector<std::string> args, const std::string& log_path,
                  const std::map<std::string, std::string>& env = {});
  ExporterProcess(ExporterProcess&&) noexcept = default;
  ExporterProcess& operator=(ExporterProcess&&) noexcept = default;
  ExporterProcess(const ExporterProcess&) = delete;
  ExporterProcess& operator=(const ExporterProcess&) = delete;
  ~ExporterProcess() = default;

  // Ok when the process was started (it may still exit at once, e.g. on a bad flag).
  [[nodiscard]] const Status& status() const { return status_; }
  [[nodiscard]] uint16_t port() const { return port_; }
  // "127.0.0.1:<port>", the instance a Prometheus scrapes.
  [[nodiscard]] std::string address() const;
  [[nodiscard]] pid_t pid() const { return process_ ? process_->pid() : 0; }
  // The child itself, for signals and exit codes. Requires status().ok().
  ChildProcess& process() { return *process_; }
  // Everything the exporter has logged so far ("" if it never started).
  [[nodiscard]] std::string Log() const { return process_ ? process_->Log() : ""; }

  // GET http://127.0.0.1:<port><path> (see tests/support/http_get.h: a non-2xx status is not an error).
  [[nodiscard]] Result<HttpResponse> Get(const std::string& path,
                                         std::chrono::milliseconds timeout = kGetTimeout) const;
  [[nodiscard]] Result<HttpResponse> Get(const std::string& path, const Headers& headers,
                                         std::chrono::milliseconds timeout = kGetTimeout) const;
  // The body of a 200 /metrics; "" on any failure.
  [[nodiscard]] std::string Metrics() const;

  // Until /readyz answers 200 (polled every 100 ms).
  [[nodiscard]] bool WaitReady(std::chrono::milliseconds timeout) const;
  // Until the log has the "listening on" line (HTTP or HTTPS alike: needs no client that speaks TLS).
  [[nodiscard]] bool WaitListening(std::chrono::milliseconds timeout) const;
  // Until a 200 /metrics whose body satisfies `ready` (polled every `poll`).
  [[nodiscard]] bool WaitMetrics(const std::function<bool(const std::string&)>& ready,
                                 std::chrono::milliseconds timeout,
                                 std::chrono::milliseconds poll = std::chrono::milliseconds(250)) const;

  // SIGTERM, then up to `timeout` for the exit: its exit code (0 is a clean stop), or nullopt if it did not
  // exit (the destructor then kills it). Requires status().ok().
  std::optional<int> Stop(std::chrono::milliseconds timeout);

 private:
  Status status_ = Status::Ok();
  uint16_t port_ = 0;
  std::optional<ChildProcess> process_;
};

}  // namespace zkx::test
