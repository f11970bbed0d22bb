// XidBudget: the ZOOKEEPER-3286 decision, driven by an injected starting xid (no days of requests).
#include "zk/xid_budget.h"

#include <cstdint>
#include <limits>

#include <gtest/gtest.h>

namespace zkx::zk {
namespace {

TEST(XidBudgetTest, ATypicalStartLeavesAboutTwoAndAHalfBillionRequests) {
  const XidBudget b(1'800'000'000);  // time(0) in 2027
  // Up to INT32_MAX, then from INT32_MIN up to -8.
  const uint64_t expected =
      (uint64_t{std::numeric_limits<int32_t>::max()} - 1'800'000'000 + 1) + (uint64_t{1} << 31) - 8;
  EXPECT_EQ(b.Remaining(), expected);
  EXPECT_FALSE(b.Exhausted());
  EXPECT_EQ(b.Issued(), 0U);
}

TEST(XidBudgetTest, ExhaustedOnceFewerThanTheMarginRemain) {
  // An injected start: 1,000 requests before xid -8, margin 100.
  XidBudget b(-8 - 1000, /*margin=*/100);
  EXPECT_EQ(b.Remaining(), 1000U);
  b.Count(899);
  EXPECT_EQ(b.Remaining(), 101U);
  EXPECT_FALSE(b.Exhausted());
  b.Count(1);
  EXPECT_TRUE(b.Exhausted());  // 100 left: stop now, well before -8
  b.Count(5000);
  EXPECT_EQ(b.Remaining(), 0U);
  EXPECT_TRUE(b.Exhausted());
}

TEST(XidBudgetTest, AStartJustBelowTheWrapCountsThroughIt) {
  XidBudget b(std::numeric_limits<int32_t>::max() - 9, /*margin=*/0);
  // 10 values up to INT32_MAX, then 2^31 - 8 from INT32_MIN to -9.
  EXPECT_EQ(b.Remaining(), 10U + (uint64_t{1} << 31) - 8);
  b.Count(b.Remaining() - 1);
  EXPECT_EQ(b.Remaining(), 1U);  // the next request would take xid -9... and the one after, -8
  EXPECT_FALSE(b.Exhausted());
  b.Count(1);
  EXPECT_TRUE(b.Exhausted());
}

TEST(XidBudgetTest, TheDefaultMarginActsDaysAhead) {
  // 2^28 requests at 3,300/s (a 100,000-znode subtree every 30 s) is about 22 hours.
  EXPECT_EQ(XidBudget::kDefaultMargin, uint64_t{268435456});
  XidBudget b(-8 - static_cast<int32_t>(XidBudget::kDefaultMargin) - 1);
  EXPECT_FALSE(b.Exhausted());
  b.Count(1);
  EXPECT_TRUE(b.Exhausted());
}

TEST(XidBudgetTest, TheProcessBudgetCountsFromNow) {
  XidBudget& p = ProcessXidBudget();
  const uint64_t before = p.Issued();
  p.Count(3);
  EXPECT_EQ(p.Issued(), before + 3);
  EXPECT_FALSE(p.Exhausted());
  EXPECT_GT(p.Remaining(), uint64_t{2'000'000'000});
}

}  // namespace
}  // namespace zkx::zk
