#include "collectors/znode_pattern.h"

#include <chrono>
#include <string>

#include <gtest/gtest.h>

namespace zkx::collectors {
namespace {

struct MatchCase {
  const char* pattern;
  const char* path;
  bool expected;
};

std::ostream& operator<<(std::ostream& os, const MatchCase& c) {
  return os << c.pattern << " ~ " << c.path << " -> " << (c.expected ? "match" : "no match");
}

class ZnodePatternMatchTest : public testing::TestWithParam<MatchCase> {};

TEST_P(ZnodePatternMatchTest, Matches) {
  const MatchCase& c = GetParam();
  Result<ZnodePattern> p = ZnodePattern::Parse(c.pattern);
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_EQ(p->text(), c.pattern);
  EXPECT_EQ(p->Matches(c.path), c.expected) << c;
}

INSTANTIATE_TEST_SUITE_P(
    Table, ZnodePatternMatchTest,
    testing::Values(
        // Literal patterns: exact and case-sensitive.
        MatchCase{"/brokers", "/brokers", true}, MatchCase{"/brokers", "/Brokers", false},
        MatchCase{"/brokers", "/brokers/ids", false}, MatchCase{"/brokers/ids", "/brokers", false},
        MatchCase{"/brokers", "/brokersx", false}, MatchCase{"/a/b/c", "/a/b/c", true},
        // The root pattern matches only the root.
        MatchCase{"/", "/", true}, MatchCase{"/", "/a", false},
        // '*' within one segment, never across '/'.
        MatchCase{"/brokers/ids/*", "/brokers/ids/1", true},
        MatchCase{"/brokers/ids/*", "/brokers/ids/", false},
        MatchCase{"/brokers/ids/*", "/brokers/ids", false},
        MatchCase{"/brokers/ids/*", "/brokers/ids/1/x", false}, MatchCase{"/*", "/", false},
        MatchCase{"/*", "/zookeeper", true},
        MatchCase{"/dubbo/*/providers/*", "/dubbo/com.foo.Svc/providers/p1", true},
        MatchCase{"/dubbo/*/providers/*", "/dubbo/a/b/providers/p1", false}, MatchCase{"/a/b*", "/a/b", true},
        MatchCase{"/a/b*", "/a/bcd", true}, MatchCase{"/a/b*", "/a/ab", false},
        MatchCase{"/a/*b", "/a/b", true}, MatchCase{"/a/*b", "/a/aab", true},
        MatchCase{"/a/*b", "/a/aba", false}, MatchCase{"/a/*b*c", "/a/xbyc", true},
        MatchCase{"/a/*b*c", "/a/xbycd", false},
        // '?' is exactly one character other than '/'.
        MatchCase{"/a/?", "/a/x", true}, MatchCase{"/a/?", "/a/xy", false}, MatchCase{"/a/?", "/a", false},
        MatchCase{"/a/b?c", "/a/bxc", true}, MatchCase{"/a/b?c", "/a/bc", false},
        MatchCase{"/a?b", "/a/b", false}, MatchCase{"/id-??", "/id-42", true},
        MatchCase{"/id-??", "/id-4", false},
        // '**' at the end: zero or more whole segments.
        MatchCase{"/config/**", "/config", true}, MatchCase{"/config/**", "/config/a", true},
        MatchCase{"/config/**", "/config/a/b/c", true}, MatchCase{"/config/**", "/configx/a", false},
        MatchCase{"/config/**", "/", false},
        // '**' at the start.
        MatchCase{"/**", "/", true}, MatchCase{"/**", "/a/b", true}, MatchCase{"/**/ids", "/ids", true},
        MatchCase{"/**/ids", "/brokers/ids", true}, MatchCase{"/**/ids", "/a/b/c/ids", true},
        MatchCase{"/**/ids", "/a/b/c/ids/1", false}, MatchCase{"/**/ids", "/a/idsx", false},
        // '**' in the middle.
        MatchCase{"/a/**/z", "/a/z", true}, MatchCase{"/a/**/z", "/a/b/z", true},
        MatchCase{"/a/**/z", "/a/b/c/d/z", true}, MatchCase{"/a/**/z", "/a/b/c/d", false},
        MatchCase{"/a/**/z", "/b/a/z", false}, MatchCase{"/a/**/z/*", "/a/x/z/1", true},
        MatchCase{"/a/**/z/*", "/a/x/z", false},
        // Several '**'.
        MatchCase{"/**/b/**/d", "/b/d", true}, MatchCase{"/**/b/**/d", "/a/b/c/d", true},
        MatchCase{"/**/b/**/d", "/a/b/c/d/e", false}, MatchCase{"/**/b/**/d", "/a/d/c/b", false},
        MatchCase{"/**/**", "/x/y", true}, MatchCase{"/**/**/a", "/a", true},
        MatchCase{"/**/**/a", "/b", false}, MatchCase{"/**/*/**", "/", false},
        MatchCase{"/**/*/**", "/x", true}, MatchCase{"/**/*/**", "/x/y/z", true},
        // Non-normalised or relative paths never match.
        MatchCase{"/**", "", false}, MatchCase{"/**", "a/b", false}, MatchCase{"/*/*", "/a//b", false},
        MatchCase{"/**", "/a/", false}));

struct InvalidCase {
  const char* pattern;
  const char* problem;
};

class ZnodePatternInvalidTest : public testing::TestWithParam<InvalidCase> {};

TEST_P(ZnodePatternInvalidTest, Rejects) {
  const InvalidCase& c = GetParam();
  Result<ZnodePattern> p = ZnodePattern::Parse(c.pattern);
  ASSERT_FALSE(p.ok()) << c.pattern;
  EXPECT_EQ(p.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(p.status().message().find(std::string("\"") + c.pattern + "\""), std::string::npos)
      << p.status().message();
  EXPECT_NE(p.status().message().find(c.problem), std::string::npos) << p.status().message();
}

INSTANTIATE_TEST_SUITE_P(Table, ZnodePatternInvalidTest,
                         testing::Values(InvalidCase{"", "empty"}, InvalidCase{"brokers/*", "not absolute"},
                                         InvalidCase{"*", "not absolute"},
                                         InvalidCase{"/a//b", "empty segment"}, InvalidCase{"//", "trailing"},
                                         InvalidCase{"/a/", "trailing"},
                                         InvalidCase{"/a/**b", "whole segment"},
                                         InvalidCase{"/a/b**", "whole segment"},
                                         InvalidCase{"/***", "whole segment"}, InvalidCase{"/a/../b", "'..'"},
                                         InvalidCase{"/a/./b", "'.'"}));

TEST(ZnodePatternTest, RejectsNul) {
  Result<ZnodePattern> p = ZnodePattern::Parse(std::string("/a\0b", 4));
  ASSERT_FALSE(p.ok());
  EXPECT_NE(p.status().message().find("NUL"), std::string::npos);
}

TEST(ZnodePatternTest, Resolve) {
  EXPECT_EQ(ZnodePattern::Resolve("/brokers", "ids/*"), "/brokers/ids/*");
  EXPECT_EQ(ZnodePattern::Resolve("/brokers", "/config/*"), "/config/*");
  EXPECT_EQ(ZnodePattern::Resolve("/", "ids/*"), "/ids/*");
  EXPECT_EQ(ZnodePattern::Resolve("/brokers", "**"), "/brokers/**");
  // Resolve only joins; Parse judges the result.
  EXPECT_FALSE(ZnodePattern::Parse(ZnodePattern::Resolve("/brokers", "")).ok());
}

// Adversarial patterns must stay polynomial: with naive backtracking these take exponential time.
TEST(ZnodePatternTest, AdversarialPatternsAreCheap) {
  std::string pattern;
  for (int i = 0; i < 60; ++i) pattern += "/**/a";
  pattern += "/b";
  std::string path;
  for (int i = 0; i < 200; ++i) path += "/a";
  Result<ZnodePattern> p = ZnodePattern::Parse(pattern);
  ASSERT_TRUE(p.ok());
  Result<ZnodePattern> stars = ZnodePattern::Parse("/**/**/**/**/**/**/**/**/**/**/**/**/**/**/**/**/a");
  ASSERT_TRUE(stars.ok());
  std::string long_segment = "/" + std::string(2000, 'a');
  Result<ZnodePattern> segment_stars = ZnodePattern::Parse("/*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*b");
  ASSERT_TRUE(segment_stars.ok());

  const auto start = std::chrono::steady_clock::now();
  EXPECT_FALSE(p->Matches(path));
  EXPECT_TRUE(p->Matches(path + "/b"));
  EXPECT_FALSE(stars->Matches(path + "/b"));
  EXPECT_TRUE(stars->Matches(path));
  EXPECT_FALSE(segment_stars->Matches(long_segment));
  EXPECT_TRUE(segment_stars->Matches(long_segment + "b"));
  const auto elapsed = std::chrono::steady_clock::now() - start;
  // Generous bound (sanitizer builds, a shared machine); exponential behaviour would take far longer.
  EXPECT_LT(elapsed, std::chrono::seconds(2));
}

struct NormalizeCase {
  const char* path;
  const char* normalised;  // nullptr: invalid
  const char* problem;
};

class NormalizeZnodePathTest : public testing::TestWithParam<NormalizeCase> {};

TEST_P(NormalizeZnodePathTest, Normalises) {
  const NormalizeCase& c = GetParam();
  Result<std::string> n = NormalizeZnodePath(c.path);
  if (c.normalised != nullptr) {
    ASSERT_TRUE(n.ok()) << c.path << ": " << n.status().ToString();
    EXPECT_EQ(*n, c.normalised);
  } else {
    ASSERT_FALSE(n.ok()) << c.path << " -> " << *n;
    EXPECT_EQ(n.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(n.status().message().find(c.problem), std::string::npos) << n.status().message();
  }
}

INSTANTIATE_TEST_SUITE_P(
    Table, NormalizeZnodePathTest,
    testing::Values(NormalizeCase{"/", "/", nullptr}, NormalizeCase{"/brokers", "/brokers", nullptr},
                    NormalizeCase{"/brokers/ids/1", "/brokers/ids/1", nullptr},
                    NormalizeCase{"/brokers/", "/brokers", nullptr},
                    NormalizeCase{"/a b/c.d/e..f/...", "/a b/c.d/e..f/...", nullptr},
                    NormalizeCase{"/zookeeper/quota", "/zookeeper/quota", nullptr},
                    NormalizeCase{"", nullptr, "empty"}, NormalizeCase{"brokers", nullptr, "not absolute"},
                    NormalizeCase{"/a//b", nullptr, "empty segment"},
                    NormalizeCase{"/a//", nullptr, "empty segment"}, NormalizeCase{"/a/./b", nullptr, "'.'"},
                    NormalizeCase{"/a/..", nullptr, "'..'"}, NormalizeCase{"/..", nullptr, "'..'"},
                    NormalizeCase{"/a\nb", nullptr, "control character"}));

TEST(NormalizeZnodePathTest, RejectsNulAndNamesThePath) {
  Result<std::string> n = NormalizeZnodePath(std::string("/a\0b", 4));
  ASSERT_FALSE(n.ok());
  EXPECT_NE(n.status().message().find("NUL"), std::string::npos);
  Result<std::string> bad = NormalizeZnodePath("/x/../y");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("\"/x/../y\""), std::string::npos) << bad.status().message();
}

}  // namespace
}  // namespace zkx::collectors
