// BenchFlags: a benchmark runs only on a command line it read entirely and understood.
#include "tests/bench/bench_flags.h"

#include <cstddef>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace zkx::bench {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

// argv as a benchmark's main() gets it.
BenchFlags Parse(std::vector<const char*> args) {
  args.insert(args.begin(), "bench");
  return BenchFlags(static_cast<int>(args.size()), args.data());
}

TEST(BenchFlagsTest, ReadsEachKindOfValueAndLeavesDefaultsOfFlagsNotGiven) {
  BenchFlags flags = Parse({"--rounds", "10", "--member", "-1", "--sizes", "1000,1000000", "--shapes", "wide",
                            "--baselines", "pipelined"});
  std::size_t rounds = 3;
  std::size_t warmup = 1;
  int member = 0;
  std::vector<std::size_t> sizes{10};
  std::string shapes;
  std::string baselines = "all";
  flags.Count("--rounds", rounds, 1, 1000);
  flags.Count("--warmup", warmup, 0, 100);
  flags.Int("--member", member, -1, 2);
  flags.CountList("--sizes", sizes, 1, 10'000'000);
  flags.Text("--shapes", shapes);
  flags.Choice("--baselines", baselines, {"all", "pipelined"});
  EXPECT_THAT(flags.Errors(), IsEmpty());
  EXPECT_EQ(rounds, 10U);
  EXPECT_EQ(warmup, 1U);
  EXPECT_EQ(member, -1);
  EXPECT_THAT(sizes, ElementsAre(1000U, 1000000U));
  EXPECT_EQ(shapes, "wide");
  EXPECT_EQ(baselines, "pipelined");
}

TEST(BenchFlagsTest, AValueThatIsNotAWholeNumberInBoundsIsAnErrorNamingTheFlag) {
  for (const char* bad : {"x", "", "12abc", " 5", "+5", "-5", "0", "1001", "99999999999999999999999"}) {
    BenchFlags flags = Parse({"--rounds", bad});
    std::size_t rounds = 3;
    flags.Count("--rounds", rounds, 1, 1000);
    ASSERT_EQ(flags.Errors().size(), 1U) << '"' << bad << '"';
    EXPECT_THAT(flags.Errors()[0], HasSubstr("--rounds")) << bad;
    EXPECT_THAT(flags.Errors()[0], HasSubstr("from 1 to 1000")) << bad;
    EXPECT_EQ(rounds, 3U) << "a bad value leaves the default: " << bad;
  }
}

TEST(BenchFlagsTest, ABadListItemRejectsTheWholeList) {
  BenchFlags flags = Parse({"--sizes", "1000,,5"});
  std::vector<std::size_t> sizes{10};
  flags.CountList("--sizes", sizes, 1, 100000);
  ASSERT_EQ(flags.Errors().size(), 1U);
  EXPECT_THAT(flags.Errors()[0], HasSubstr("--sizes"));
  EXPECT_THAT(sizes, ElementsAre(10U));
}

TEST(BenchFlagsTest, AChoiceOutsideItsListIsAnErrorListingTheChoices) {
  BenchFlags flags = Parse({"--baselines", "some"});
  std::string baselines = "all";
  flags.Choice("--baselines", baselines, {"all", "pipelined"});
  ASSERT_EQ(flags.Errors().size(), 1U);
  EXPECT_THAT(flags.Errors()[0], HasSubstr("all, pipelined"));
  EXPECT_EQ(baselines, "all");
}

TEST(BenchFlagsTest, UnknownRepeatedValuelessAndStrayArgumentsAreErrors) {
  {
    BenchFlags flags = Parse({"--rounds", "2", "--rouns", "3"});
    std::size_t rounds = 1;
    flags.Count("--rounds", rounds, 1, 10);
    EXPECT_THAT(flags.Errors(), ElementsAre("--rouns: no such flag"));
  }
  {
    BenchFlags flags = Parse({"--rounds", "2", "--rounds", "3"});
    std::size_t rounds = 1;
    flags.Count("--rounds", rounds, 1, 10);
    EXPECT_THAT(flags.Errors(), ElementsAre("--rounds: given twice"));
  }
  {
    BenchFlags flags = Parse({"--rounds"});
    std::size_t rounds = 1;
    flags.Count("--rounds", rounds, 1, 10);
    EXPECT_THAT(flags.Errors(), ElementsAre("--rounds: no value"));
    EXPECT_EQ(rounds, 1U);
  }
  {
    BenchFlags flags = Parse({"10"});
    EXPECT_EQ(flags.Errors().size(), 1U);
  }
}

TEST(BenchFlagsTest, FinishIsTrueOnlyOnAGoodCommandLine) {
  EXPECT_TRUE(Parse({}).Finish("usage"));
  EXPECT_FALSE(Parse({"--what", "1"}).Finish("usage"));
}

}  // namespace
}  // namespace zkx::bench
