#include "base/znode_path.h"

#include <string>

#include <gtest/gtest.h>

namespace zkx {
namespace {

TEST(ZnodePathTest, JoinAddsOneSlash) {
  EXPECT_EQ(JoinZnodePath("/", "a"), "/a");
  EXPECT_EQ(JoinZnodePath("/a", "b"), "/a/b");
  EXPECT_EQ(JoinZnodePath("/a/b", "c-1"), "/a/b/c-1");
}

TEST(ZnodePathTest, ParentStopsAtRoot) {
  EXPECT_EQ(ZnodeParent("/a/b"), "/a");
  EXPECT_EQ(ZnodeParent("/a"), "/");
  EXPECT_EQ(ZnodeParent("/"), "/");
}

TEST(ZnodePathTest, BelowAndInsideCompareWholeSegments) {
  EXPECT_TRUE(ZnodePathBelow("/a/b", "/a"));
  EXPECT_FALSE(ZnodePathBelow("/a", "/a"));
  EXPECT_FALSE(ZnodePathBelow("/ab", "/a"));
  EXPECT_FALSE(ZnodePathBelow("/a", "/a/b"));
  EXPECT_TRUE(ZnodePathBelow("/x", "/"));
  EXPECT_FALSE(ZnodePathBelow("/", "/"));

  EXPECT_TRUE(ZnodePathInside("/a/b", "/a"));
  EXPECT_TRUE(ZnodePathInside("/a", "/a"));
  EXPECT_FALSE(ZnodePathInside("/ab", "/a"));
  EXPECT_TRUE(ZnodePathInside("/x", "/"));
  EXPECT_TRUE(ZnodePathInside("/", "/"));
  EXPECT_TRUE(ZnodePathInside("/x", ""));
}

TEST(ZnodePathTest, ProblemNamesWhatIsWrong) {
  EXPECT_FALSE(ZnodePathProblem("/").has_value());
  EXPECT_FALSE(ZnodePathProblem("/brokers/ids/1").has_value());
  EXPECT_EQ(ZnodePathProblem(""), "empty");
  EXPECT_EQ(ZnodePathProblem("a"), "not absolute (must start with '/')");
  EXPECT_EQ(ZnodePathProblem("/a//b"), "empty segment (\"//\")");
  EXPECT_EQ(ZnodePathProblem("/a/"), "empty segment (\"//\")");
  EXPECT_EQ(ZnodePathProblem("/a/../b"), "'.' and '..' segments are not allowed");
  EXPECT_EQ(ZnodePathProblem(std::string("/a\0b", 4)), "contains a NUL character");
  EXPECT_EQ(ZnodePathProblem("/a\tb"), "contains a control character");
}

TEST(ZnodePathTest, NormalizeTrimsOneSlashAndQuotesTheInput) {
  EXPECT_EQ(NormalizeZnodePath("/brokers/").value(), "/brokers");
  EXPECT_EQ(NormalizeZnodePath("/").value(), "/");
  Result<std::string> bad = NormalizeZnodePath("/a\n//");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().message(), "invalid znode path \"/a\\x0a//\": contains a control character");
}

}  // namespace
}  // namespace zkx
