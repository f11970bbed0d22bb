// The C client's log bridge into spdlog: level parsing, a token-bucket rate limiter per level, and the
// process-wide log callback (see client_log.h).
#include "zk/client_log.h"

#include <algorithm>
#include <array>
#include <exception>
#include <string>
#include <utility>

#include <spdlog/logger.h>
#include <spdlog/spdlog.h>

#include "base/mutex.h"
#include "base/thread_annotations.h"

namespace zkx::zk {
namespace {

struct LevelToken {
  std::string_view token;
  spdlog::level::level_enum level;
};

constexpr std::array<LevelToken, 4> kLevelTokens = {{
    {"ZOO_ERROR", spdlog::level::err},
    {"ZOO_WARN", spdlog::level::warn},
    {"ZOO_INFO", spdlog::level::info},
    {"ZOO_DEBUG", spdlog::level::debug},
}};

// The earliest level token in `line`, or nullptr.
const LevelToken* FindLevelToken(std::string_view line, std::size_t* pos) {
  const LevelToken* best = nullptr;
  std::size_t best_pos = std::string_view::npos;
  for (const LevelToken& t : kLevelTokens) {
    const std::size_t p = line.find(t.token);
    if (p < best_pos) {
      best_pos = p;
      best = &t;
    }
  }
  if (pos != nullptr) *pos = best_pos;
  return best;
}

// Rate limits for the bridge: per level, 5 lines a second with a burst of 20.
constexpr double kLinesPerSecond = 5.0;
constexpr double kLinesBurst = 20.0;

// Process-wide bridge state: the logger pointer is read and swapped under `mu`; the limiters are thread-safe
// themselves.
struct Bridge {
  Mutex mu;
  std::shared_ptr<spdlog::logger> logger GUARDED_BY(mu);  // null until InstallClientLogBridge
  std::array<LogRateLimiter, 4> limiters{{{kLinesPerSecond, kLinesBurst},
                                          {kLinesPerSecond, kLinesBurst},
                                          {kLinesPerSecond, kLinesBurst},
                                          {kLinesPerSecond, kLinesBurst}}};
};

Bridge& GetBridge() {
  static Bridge* bridge = new Bridge();  // never destroyed: the IO thread may log during static destruction
  return *bridge;
}

std::size_t LimiterIndex(spdlog::level::level_enum level) {
  switch (level) {
    case spdlog::level::err: return 0;
    case spdlog::level::warn: return 1;
    case spdlog::level::info: return 2;
    default: return 3;
  }
}

}  // namespace

spdlog::level::level_enum ParseClientLogLevel(std::string_view line) {
  const LevelToken* t = FindLevelToken(line, nullptr);
  return t != nullptr ? t->level : spdlog::level::info;
}

bool IsRoutineConnectionError(std::string_view line) {
  return line.find("zk retcode=-4,") != std::string_view::npos ||
         line.find("zk retcode=-7,") != std::string_view::npos;
}

struct LogRateLimiter::State {
  State(double rate, double cap) : per_second(rate), burst(cap), tokens(cap) {}
  const double per_second;
  const double burst;
  Mutex mu;
  double tokens GUARDED_BY(mu);
  bool started GUARDED_BY(mu) = false;
  std::chrono::steady_clock::time_point last GUARDED_BY(mu){};  // time of the last refill
  unsigned long suppressed GUARDED_BY(mu) = 0;
};

LogRateLimiter::LogRateLimiter(double per_second, double burst)
    : state_(std::make_shared<State>(std::max(per_second, 0.0), std::max(burst, 1.0))) {}

bool LogRateLimiter::Allow(std::chrono::steady_clock::time_point now) {
  State& s = *state_;
  MutexLock lock(s.mu);
  if (!s.started) {
    s.started = true;
    s.last = now;
  } else if (now > s.last) {  // a clock that goes backwards refills nothing
    const double elapsed = std::chrono::duration<double>(now - s.last).count();
    s.tokens = std::min(s.burst, s.tokens + elapsed * s.per_second);
    s.last = now;
  }
  if (s.tokens >= 1.0) {
    s.tokens -= 1.0;
    return true;
  }
  ++s.suppressed;
  return false;
}

unsigned long LogRateLimiter::TakeSuppressed() {
  MutexLock lock(state_->mu);
  return std::exchange(state_->suppressed, 0UL);
}

void InstallClientLogBridge(std::shared_ptr<spdlog::logger> logger) {
  Bridge& bridge = GetBridge();
  MutexLock lock(bridge.mu);
  bridge.logger = std::move(logger);
}

extern "C" void ZkClientLogCallback(const char* message) {
  // Runs on the C client's IO thread (or whichever thread logs): never throws, never blocks for long.
  try {
    if (message == nullptr) return;
    std::string_view line(message);
    while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.remove_suffix(1);
    if (line.empty()) return;

    std::size_t pos = std::string_view::npos;
    const LevelToken* token = FindLevelToken(line, &pos);
    spdlog::level::level_enum level = token != nullptr ? token->level : spdlog::level::info;
    if (level == spdlog::level::err && IsRoutineConnectionError(line)) level = spdlog::level::warn;
    // Drop the client's own timestamp/pid/thread prefix: spdlog adds its own. Keep "func@line: text".
    std::string_view text = line;
    if (token != nullptr) {
      text = line.substr(pos + token->token.size());
      if (!text.empty() && text.front() == '@') text.remove_prefix(1);
    }

    Bridge& bridge = GetBridge();
    std::shared_ptr<spdlog::logger> logger;
    {
      MutexLock lock(bridge.mu);
      logger = bridge.logger;
    }
    // Without an installed "zookeeper_client" logger, fall back to the default one and say where it came
    // from.
    const std::string_view prefix = logger ? "" : "zookeeper_client: ";
    if (!logger) logger = spdlog::default_logger();
    if (!logger || !logger->should_log(level)) return;

    LogRateLimiter& limiter = bridge.limiters[LimiterIndex(level)];
    if (!limiter.Allow(std::chrono::steady_clock::now())) return;
    const unsigned long suppressed = limiter.TakeSuppressed();
    if (suppressed > 0) {
      logger->log(level, "{}{} suppressed={}", prefix, text, suppressed);
    } else {
      logger->log(level, "{}{}", prefix, text);
    }
  } catch (...) {
    // A log line is never worth an exception on the client's IO thread.
  }
}

}  // namespace zkx::zk
