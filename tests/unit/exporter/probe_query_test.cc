#include <gtest/gtest.h>

#include "exporter/probe_handler.h"

namespace zkx::exporter {
namespace {

TEST(ProbeQueryTest, DecodesFormEncoding) {
  auto q = ParseQueryString("target=127.0.0.1%3A2181%2C127.0.0.1:2182%2Fkafka&module=a+b");
  ASSERT_TRUE(q.ok()) << q.status().message();
  EXPECT_EQ(q->at("target"), "127.0.0.1:2181,127.0.0.1:2182/kafka");
  EXPECT_EQ(q->at("module"), "a b");
}

TEST(ProbeQueryTest, EmptyPiecesAndNoValue) {
  auto q = ParseQueryString("&&target&");
  ASSERT_TRUE(q.ok());
  EXPECT_EQ(q->at("target"), "");
  EXPECT_TRUE(ParseQueryString("")->empty());
}

TEST(ProbeQueryTest, RejectsBadEscapesAndRepeats) {
  EXPECT_FALSE(ParseQueryString("target=%2").ok());
  EXPECT_FALSE(ParseQueryString("target=%zz").ok());
  EXPECT_FALSE(ParseQueryString("target=%").ok());
  auto repeated = ParseQueryString("target=a&target=b");
  ASSERT_FALSE(repeated.ok());
  EXPECT_NE(repeated.status().message().find("more than once"), std::string::npos);
}

}  // namespace
}  // namespace zkx::exporter
