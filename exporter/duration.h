#pragma once
// Prometheus-style durations: "250ms", "30s", "5m", "1h", "1h30m", "2d", "1w"; units ms, s, m, h, d, w, y
// (y = 365d), components in strictly decreasing unit order, each a non-negative integer. "0" and "0s" are
// zero. Errors (InvalidArgument) quote the input and say what is wrong. Pure functions: thread-safe.

#include <chrono>
#include <string>
#include <string_view>

#include "base/status.h"

namespace zkx::exporter {

Result<std::chrono::milliseconds> ParseDuration(std::string_view text);
// Shortest form that ParseDuration reads back to the same value: 90000ms -> "1m30s", 0 -> "0s".
std::string FormatDuration(std::chrono::milliseconds d);

}  // namespace zkx::exporter
