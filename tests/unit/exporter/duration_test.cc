#include "exporter/duration.h"

#include <cstdint>
#include <limits>
#include <string>

#include <gtest/gtest.h>

namespace zkx::exporter {
namespace {

using std::chrono::milliseconds;

struct GoodCase {
  const char* text;
  std::int64_t ms;
};

class ParseDurationGoodTest : public testing::TestWithParam<GoodCase> {};

TEST_P(ParseDurationGoodTest, Parses) {
  const GoodCase& c = GetParam();
  Result<milliseconds> d = ParseDuration(c.text);
  ASSERT_TRUE(d.ok()) << c.text << ": " << d.status().ToString();
  EXPECT_EQ(d->count(), c.ms) << c.text;
}

constexpr std::int64_t kS = 1000;
constexpr std::int64_t kM = 60 * kS;
constexpr std::int64_t kH = 60 * kM;
constexpr std::int64_t kD = 24 * kH;
constexpr std::int64_t kW = 7 * kD;
constexpr std::int64_t kY = 365 * kD;

INSTANTIATE_TEST_SUITE_P(
    Table, ParseDurationGoodTest,
    testing::Values(GoodCase{"0", 0}, GoodCase{"0s", 0}, GoodCase{"0ms", 0}, GoodCase{"250ms", 250},
                    GoodCase{"1ms", 1}, GoodCase{"30s", 30 * kS}, GoodCase{"90s", 90 * kS},
                    GoodCase{"5m", 5 * kM}, GoodCase{"1h", kH}, GoodCase{"1h30m", 5400000},
                    GoodCase{"2d", 2 * kD}, GoodCase{"1w", kW}, GoodCase{"1y", kY}, GoodCase{"007s", 7 * kS},
                    GoodCase{"1y2w3d4h5m6s7ms", kY + 2 * kW + 3 * kD + 4 * kH + 5 * kM + 6 * kS + 7},
                    GoodCase{"1m500ms", kM + 500}, GoodCase{"1h1s", kH + kS},
                    GoodCase{"9223372036854775807ms", std::numeric_limits<std::int64_t>::max()},
                    GoodCase{"292471208y", 292471208 * kY}));

struct BadCase {
  const char* text;
  const char* expected_in_message;
};

class ParseDurationBadTest : public testing::TestWithParam<BadCase> {};

TEST_P(ParseDurationBadTest, Rejects) {
  const BadCase& c = GetParam();
  Result<milliseconds> d = ParseDuration(c.text);
  ASSERT_FALSE(d.ok()) << "accepted \"" << c.text << "\" as " << d->count() << "ms";
  EXPECT_EQ(d.status().code(), StatusCode::kInvalidArgument);
  // Errors quote the input and say what is wrong.
  EXPECT_NE(d.status().message().find("\"" + std::string(c.text) + "\""), std::string::npos)
      << d.status().message();
  EXPECT_NE(d.status().message().find(c.expected_in_message), std::string::npos) << d.status().message();
}

INSTANTIATE_TEST_SUITE_P(
    Table, ParseDurationBadTest,
    testing::Values(BadCase{"", "empty"}, BadCase{"5", "missing unit"}, BadCase{"00", "missing unit"},
                    BadCase{"1h30", "missing unit"}, BadCase{"-5s", "negative"}, BadCase{"+5s", "number"},
                    BadCase{"5sec", "unknown unit"}, BadCase{"5S", "unknown unit"},
                    BadCase{"5 s", "unexpected character"}, BadCase{" 5s", "number"},
                    BadCase{"5s ", "number"}, BadCase{"1.5h", "unexpected character"},
                    BadCase{"1m1h", "largest first"}, BadCase{"1s1m", "largest first"},
                    BadCase{"1ms1s", "largest first"}, BadCase{"1h1h", "largest first"},
                    BadCase{"1s1s", "largest first"}, BadCase{"h", "number"}, BadCase{"ms", "number"},
                    BadCase{"5us", "unknown unit"}, BadCase{"5ns", "unknown unit"},
                    BadCase{"99999999999999999999y", "out of range"}, BadCase{"292471209y", "out of range"},
                    BadCase{"9223372036854775808ms", "out of range"},
                    BadCase{"292471208y36w", "out of range"}, BadCase{"1y-1d", "number"}));

TEST(ParseDurationTest, RejectsEmbeddedNul) {
  const std::string text("5s\0", 3);
  EXPECT_FALSE(ParseDuration(text).ok());
}

TEST(ParseDurationTest, ErrorsEscapeControlCharacters) {
  const std::string text("5s\n\0", 4);
  Result<milliseconds> d = ParseDuration(text);
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.status().message().rfind("invalid duration \"5s\\x0a\\x00\": ", 0), 0u) << d.status().message();
}

struct FormatCase {
  std::int64_t ms;
  const char* text;
};

class FormatDurationTest : public testing::TestWithParam<FormatCase> {};

TEST_P(FormatDurationTest, FormatsAndRoundTrips) {
  const FormatCase& c = GetParam();
  EXPECT_EQ(FormatDuration(milliseconds{c.ms}), c.text);
  if (c.ms >= 0) {
    Result<milliseconds> back = ParseDuration(c.text);
    ASSERT_TRUE(back.ok()) << back.status().ToString();
    EXPECT_EQ(back->count(), c.ms);
  }
}

INSTANTIATE_TEST_SUITE_P(Table, FormatDurationTest,
                         testing::Values(FormatCase{0, "0s"}, FormatCase{1, "1ms"}, FormatCase{250, "250ms"},
                                         FormatCase{1000, "1s"}, FormatCase{1500, "1s500ms"},
                                         FormatCase{90000, "1m30s"}, FormatCase{5400000, "1h30m"},
                                         FormatCase{kD, "1d"}, FormatCase{kW, "1w"}, FormatCase{2 * kW, "2w"},
                                         FormatCase{90 * kD, "90d"}, FormatCase{8 * kD, "8d"},
                                         FormatCase{kY, "1y"}, FormatCase{kY + kD, "366d"},
                                         FormatCase{kD + kH + kM + kS + 1, "1d1h1m1s1ms"},
                                         FormatCase{-1500, "-1s500ms"}));

TEST(FormatDurationTest, ExtremesDoNotOverflow) {
  const milliseconds max{std::numeric_limits<std::int64_t>::max()};
  Result<milliseconds> back = ParseDuration(FormatDuration(max));
  ASSERT_TRUE(back.ok()) << FormatDuration(max) << ": " << back.status().ToString();
  EXPECT_EQ(*back, max);
  const std::string min = FormatDuration(milliseconds{std::numeric_limits<std::int64_t>::min()});
  EXPECT_EQ(min.front(), '-');
  const std::string max_text = FormatDuration(max);
  ASSERT_EQ(max_text.substr(max_text.size() - 5), "807ms");
  EXPECT_EQ(min, "-" + max_text.substr(0, max_text.size() - 5) + "808ms");
}

TEST(FormatDurationTest, RoundTripsManyValues) {
  for (std::int64_t ms = 0; ms < 3 * kD; ms = ms * 3 + 7) {
    Result<milliseconds> back = ParseDuration(FormatDuration(milliseconds{ms}));
    ASSERT_TRUE(back.ok()) << ms;
    EXPECT_EQ(back->count(), ms);
  }
}

}  // namespace
}  // namespace zkx::exporter
