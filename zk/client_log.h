#pragma once
// Bridges the C client's log lines into spdlog. The C client's log callback has no context argument, so the
// bridge is process-wide. It runs on the client's IO thread: it never blocks for long and never throws.
// Level is parsed from the ZOO_ERROR / ZOO_WARN / ZOO_INFO / ZOO_DEBUG token of each line; lines are
// rate-limited per level (routine connection timeouts are logged at ERROR by the client: the bridge logs
// them at WARN, see IsRoutineConnectionError).

#include <chrono>
#include <memory>
#include <string_view>

#include <spdlog/common.h>

namespace spdlog {
class logger;
}

namespace zkx::zk {

// Maps a C client log line to a level: the first of "ZOO_ERROR", "ZOO_WARN", "ZOO_INFO", "ZOO_DEBUG" found.
// Unknown lines are info.
spdlog::level::level_enum ParseClientLogLevel(std::string_view line);

// True for the ERROR lines the client writes on every failed connection attempt while a server is down or
// slow ("zk retcode=-4" connection loss, "zk retcode=-7" operation timeout): routine in an outage, so the
// bridge logs them at WARN. The exporter's own session line says when an outage starts and ends.
bool IsRoutineConnectionError(std::string_view line);

// Token-bucket rate limiter: allows `burst` events, refilled at `per_second`. Thread-safe.
class LogRateLimiter {
 public:
  LogRateLimiter(double per_second, double burst);
  // True if the event may be logged now; false if it is suppressed (and counted).
  bool Allow(std::chrono::steady_clock::time_point now);
  // Events suppressed since the last call, reset to 0.
  unsigned long TakeSuppressed();

 private:
  struct State;
  std::shared_ptr<State> state_;
};

// Installs the bridge: C client lines go to `logger` ("zookeeper_client" component). Call before
// Session::Start.
void InstallClientLogBridge(std::shared_ptr<spdlog::logger> logger);
// The function to pass to zookeeper_init2 (a `log_callback_fn`).
extern "C" void ZkClientLogCallback(const char* message);

}  // namespace zkx::zk
