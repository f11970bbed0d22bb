#include "base/quote.h"

#include <string>

#include <gtest/gtest.h>

namespace zkx {
namespace {

TEST(QuoteTest, PlainTextIsQuotedUnchanged) {
  EXPECT_EQ(Quote("30s"), "\"30s\"");
  EXPECT_EQ(Quote(""), "\"\"");
  EXPECT_EQ(Quote("ünïcode /a b"), "\"ünïcode /a b\"");
}

TEST(QuoteTest, ControlCharactersAreEscapedSoTheMessageStaysOneLine) {
  EXPECT_EQ(Quote("a\nb"), "\"a\\x0ab\"");
  EXPECT_EQ(Quote(std::string("x\0y\r\x7f", 5)), "\"x\\x00y\\x0d\\x7f\"");
  EXPECT_EQ(Quote("\x1b[31m").find('\x1b'), std::string::npos);
}

}  // namespace
}  // namespace zkx
