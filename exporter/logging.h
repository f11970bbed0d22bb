#pragma once
// Logging setup: spdlog's default logger writes one line per event to stderr, in logfmt
//   ts=2026-11-26T15:23:45.123Z level=info msg="walk finished" caller=...    (msg quoted and escaped)
// or JSON
//   {"ts":"2026-11-26T15:23:45.123Z","level":"info","msg":"walk finished"}
// Levels: debug, info, warn, error. Thread-safe after setup (spdlog's _mt sinks).
// Repeats are limited (exporter/log_repeat_limiter.h): each distinct message at most once per interval
// (1 min, doubling to 10 min while it repeats) with "repeated N times" summaries; the session's state
// transitions always pass.

#include <memory>
#include <string>
#include <string_view>

#include <spdlog/formatter.h>

#include "base/status.h"
#include "exporter/log_repeat_limiter.h"

namespace zkx::exporter {

enum class LogFormat { kLogfmt, kJson };

// Formats records as logfmt or JSON lines (escaping quotes, backslashes, control characters).
std::unique_ptr<spdlog::formatter> MakeLogFormatter(LogFormat format);

// Configures spdlog's default logger (stderr) with `level` and `format` ("logfmt" | "json").
// InvalidArgument for an unknown level or format.
Status SetupLogging(std::string_view level, std::string_view format);

// The repeat limiter's settings SetupLogging uses.
RepeatLimitOptions DefaultRepeatLimitOptions();
// Writes the summaries of messages suppressed so far (call at shutdown, before spdlog::shutdown()).
void FlushLogSummaries();

}  // namespace zkx::exporter
