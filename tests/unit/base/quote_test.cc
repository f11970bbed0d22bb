#include "base/quote.h"

#include <string>

#include <gtest/gtest.h>

namespace zkx {
namespace {

TEST(QuoteForMessageTest, PlainTextIsQuotedUnchanged) {
  EXPECT_EQ(QuoteForMessage("30s"), "\"30s\"");
  EXPECT_EQ(QuoteForMessage(""), "\"\"");
  EXPECT_EQ(QuoteForMessage("ünïcode /a b"), "\"ünïcode /a b\"");
}

TEST(QuoteForMessageTest, ControlCharactersAreEscapedSoTheMessageStaysOneLine) {
  EXPECT_EQ(QuoteForMessage("a\nb"), "\"a\\x0ab\"");
  EXPECT_EQ(QuoteForMessage(std::string("x\0y\r\x7f", 5)), "\"x\\x00y\\x0d\\x7f\"");
  EXPECT_EQ(QuoteForMessage("\x1b[31m").find('\x1b'), std::string::npos);
}

}  // namespace
}  // namespace zkx
