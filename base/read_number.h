#pragma once
// ReadNumber: all of a text as one number, in std::from_chars' strict syntax: decimal digits (a leading '-'
// only for a signed type; a fraction, an exponent, "inf" or "nan" for a floating-point one), no '+', no
// spaces, nothing after. The parsers of flags, configuration files and benchmark command lines share it and
// each still says, in its own words, what it wants: this says only whether the text was a number and whether
// it fitted the type. Bounds are the caller's.
// Thread-safety: a pure function.

#include <charconv>
#include <concepts>
#include <string_view>
#include <system_error>

namespace zkx {

enum class NumberRead {
  kOk,
  kMalformed,   // empty, not a number, or something after it
  kOutOfRange,  // a number that the type cannot hold
};

// On kOk stores the number in `out`; otherwise leaves `out` as it was.
template <typename T>
requires std::integral<T> || std::floating_point<T> NumberRead ReadNumber(std::string_view text, T& out) {
  if (text.empty()) return NumberRead::kMalformed;
  T v{};
  const char* const end = text.data() + text.size();
  const auto [ptr, ec] = std::from_chars(text.data(), end, v);
  if (ec == std::errc::invalid_argument || ptr != end) return NumberRead::kMalformed;
  if (ec == std::errc::result_out_of_range) return NumberRead::kOutOfRange;
  out = v;
  return NumberRead::kOk;
}

}  // namespace zkx
