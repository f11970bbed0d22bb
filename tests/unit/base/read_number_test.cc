// ReadNumber: the whole text or nothing, and overflow told apart from garbage.
#include "base/read_number.h"

#include <cstddef>
#include <cstdint>
#include <limits>

#include <gtest/gtest.h>

namespace zkx {
namespace {

TEST(ReadNumberTest, ReadsWholeTextsOnly) {
  std::size_t n = 7;
  EXPECT_EQ(ReadNumber("42", n), NumberRead::kOk);
  EXPECT_EQ(n, 42U);
  for (const char* bad : {"", " 1", "1 ", "+1", "-1", "1x", "0x10", "1.5", "x"}) {
    n = 7;
    EXPECT_EQ(ReadNumber(bad, n), NumberRead::kMalformed) << '"' << bad << '"';
    EXPECT_EQ(n, 7U) << "left as it was: " << bad;
  }
}

TEST(ReadNumberTest, ANegativeNumberOnlyForASignedType) {
  int i = 0;
  EXPECT_EQ(ReadNumber("-5", i), NumberRead::kOk);
  EXPECT_EQ(i, -5);
  unsigned u = 3;
  EXPECT_EQ(ReadNumber("-5", u), NumberRead::kMalformed);
  EXPECT_EQ(u, 3U);
}

TEST(ReadNumberTest, OverflowIsOutOfRangeNotMalformed) {
  std::uint16_t port = 1;
  EXPECT_EQ(ReadNumber("65535", port), NumberRead::kOk);
  EXPECT_EQ(ReadNumber("65536", port), NumberRead::kOutOfRange);
  EXPECT_EQ(port, 65535U);
  std::int64_t big = 0;
  EXPECT_EQ(ReadNumber("99999999999999999999", big), NumberRead::kOutOfRange);
  EXPECT_EQ(ReadNumber("99999999999999999999x", big), NumberRead::kMalformed);
}

TEST(ReadNumberTest, FloatingPoint) {
  double d = 0;
  EXPECT_EQ(ReadNumber("2.5e3", d), NumberRead::kOk);
  EXPECT_EQ(d, 2500.0);
  EXPECT_EQ(ReadNumber("-0.25", d), NumberRead::kOk);
  EXPECT_EQ(d, -0.25);
  EXPECT_EQ(ReadNumber("1e999", d), NumberRead::kOutOfRange);
  EXPECT_EQ(ReadNumber("1.5s", d), NumberRead::kMalformed);
  EXPECT_EQ(ReadNumber("inf", d), NumberRead::kOk);  // the caller decides whether infinity will do
  EXPECT_EQ(d, std::numeric_limits<double>::infinity());
}

}  // namespace
}  // namespace zkx
