#include "exporter/duration.h"

#include <array>
#include <cstdint>
#include <limits>

#include "base/quote.h"

namespace zkx::exporter {
namespace {

struct Unit {
  std::string_view name;
  std::int64_t ms;
};

// Largest unit first; ParseDuration requires components in exactly this order.
constexpr std::array<Unit, 7> kUnits = {{
    {"y", 365LL * 24 * 60 * 60 * 1000},
    {"w", 7LL * 24 * 60 * 60 * 1000},
    {"d", 24LL * 60 * 60 * 1000},
    {"h", 60LL * 60 * 1000},
    {"m", 60LL * 1000},
    {"s", 1000},
    {"ms", 1},
}};

bool IsDigit(char c) {
  return c >= '0' && c <= '9';
}
bool IsLetter(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

// The input is quoted with control characters escaped (Quote), so that the message stays one line.
Status Invalid(std::string_view text, std::string_view problem) {
  std::string m = "invalid duration ";
  m += Quote(text);
  m += ": ";
  m += problem;
  return Status::InvalidArgument(std::move(m));
}

}  // namespace

Result<std::chrono::milliseconds> ParseDuration(std::string_view text) {
  if (text.empty()) return Invalid(text, "empty");
  if (text == "0") return std::chrono::milliseconds{0};
  constexpr std::int64_t kMax = std::numeric_limits<std::int64_t>::max();
  std::int64_t total = 0;
  std::size_t next_unit = 0;  // index into kUnits of the largest unit still allowed
  std::size_t i = 0;
  while (i < text.size()) {
    if (!IsDigit(text[i])) {
      if (i == 0 && text[i] == '-') return Invalid(text, "negative durations are not allowed");
      return Invalid(text, "expected a number at offset " + std::to_string(i));
    }
    std::int64_t value = 0;
    while (i < text.size() && IsDigit(text[i])) {
      const int digit = text[i] - '0';
      if (value > (kMax - digit) / 10) return Invalid(text, "out of range");
      value = value * 10 + digit;
      ++i;
    }
    const std::size_t unit_start = i;
    while (i < text.size() && IsLetter(text[i])) ++i;
    const std::string_view unit_name = text.substr(unit_start, i - unit_start);
    if (unit_name.empty()) {
      if (i == text.size()) return Invalid(text, "missing unit (one of ms, s, m, h, d, w, y)");
      return Invalid(text, "unexpected character at offset " + std::to_string(i));
    }
    std::size_t unit = 0;
    while (unit < kUnits.size() && kUnits[unit].name != unit_name) ++unit;
    if (unit == kUnits.size()) {
      return Invalid(text, "unknown unit \"" + std::string(unit_name) + "\" (want ms, s, m, h, d, w or y)");
    }
    if (unit < next_unit) {
      return Invalid(text, "units must appear once each, largest first (e.g. 1h30m)");
    }
    next_unit = unit + 1;
    if (value > kMax / kUnits[unit].ms) return Invalid(text, "out of range");
    const std::int64_t part = value * kUnits[unit].ms;
    if (total > kMax - part) return Invalid(text, "out of range");
    total += part;
  }
  return std::chrono::milliseconds{total};
}

std::string FormatDuration(std::chrono::milliseconds d) {
  std::int64_t count = d.count();
  if (count == 0) return "0s";
  std::string out;
  // Work in unsigned so that the most negative value has a magnitude.
  std::uint64_t ms = static_cast<std::uint64_t>(count);
  if (count < 0) {
    out += '-';
    ms = ~ms + 1;
  }
  for (const Unit& unit : kUnits) {
    const auto mult = static_cast<std::uint64_t>(unit.ms);
    // Like Prometheus: years and weeks only when they divide the rest exactly ("90d", not "12w6d").
    const bool exact_only = unit.name == "y" || unit.name == "w";
    if (exact_only && ms % mult != 0) continue;
    const std::uint64_t v = ms / mult;
    if (v == 0) continue;
    out += std::to_string(v);
    out += unit.name;
    ms -= v * mult;
  }
  return out;
}

}  // namespace zkx::exporter
