// TreeMirror: the sorted path -> Stat map behind watch mode; the watch budget and awaited children it feeds.
#include "collectors/tree_mirror.h"

#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "collectors/awaited_children.h"
#include "collectors/watch_budget.h"

namespace zkx::collectors {
namespace {

zk::ZnodeStat Stat(int32_t version, int32_t children = 0, int32_t data = 0) {
  zk::ZnodeStat s;
  s.version = version;
  s.num_children = children;
  s.data_length = data;
  return s;
}

TEST(TreeMirrorTest, ChildrenIgnoresLookalikeSiblingsAndGrandchildren) {
  TreeMirror m("/a");
  for (const char* p : {"/a", "/a/b", "/a/b-c", "/a/b-c/x", "/a/b/x", "/a/b/x/y", "/a/c", "/ab"})
    m.Put(p, Stat(1));
  EXPECT_EQ(m.Children("/a"), (std::vector<std::string>{"b", "b-c", "c"}));
  EXPECT_EQ(m.Children("/a/b"), (std::vector<std::string>{"x"}));
  EXPECT_EQ(m.Children("/a/c"), std::vector<std::string>{});
}

TEST(TreeMirrorTest, RemoveSubtreeTakesDescendantsOnly) {
  TreeMirror m("/a");
  for (const char* p : {"/a", "/a/b", "/a/b-c", "/a/b/x", "/a/b/x/y", "/a/c"}) m.Put(p, Stat(1));
  EXPECT_EQ(m.RemoveSubtree("/a/b"), 3u);
  EXPECT_TRUE(m.Contains("/a/b-c"));
  EXPECT_FALSE(m.Contains("/a/b/x/y"));
  EXPECT_EQ(m.size(), 3u);
  EXPECT_EQ(m.RemoveSubtree("/a/nope"), 0u);
}

TEST(TreeMirrorTest, RootSlash) {
  TreeMirror m("/");
  for (const char* p : {"/", "/x", "/x/y", "/zookeeper"}) m.Put(p, Stat(1));
  EXPECT_EQ(m.Children("/"), (std::vector<std::string>{"x", "zookeeper"}));
  EXPECT_EQ(m.Depth("/"), 0);
  EXPECT_EQ(m.Depth("/x/y"), 2);
  EXPECT_EQ(m.RemoveSubtree("/"), 4u);
  EXPECT_TRUE(m.empty());
  EXPECT_EQ(m.WatchBytes(), 0u);
}

TEST(TreeMirrorTest, DepthAndSubtree) {
  TreeMirror m("/a/b");
  EXPECT_EQ(m.Depth("/a/b"), 0);
  EXPECT_EQ(m.Depth("/a/b/c/d"), 2);
  EXPECT_EQ(m.Depth("/a/bc"), -1);
  EXPECT_EQ(m.Depth("/a"), -1);
}

TEST(TreeMirrorTest, ApplyChildrenReportsAddedAndRemovesVanished) {
  TreeMirror m("/r");
  for (const char* p : {"/r", "/r/a", "/r/a/deep", "/r/b"}) m.Put(p, Stat(1));
  const auto diff = m.ApplyChildren("/r", Stat(1, 2), {"c", "b"});
  EXPECT_EQ(diff.added, std::vector<std::string>{"c"});
  EXPECT_EQ(diff.removed, 2u);  // /r/a and /r/a/deep
  EXPECT_EQ(m.Find("/r")->num_children, 2);
  EXPECT_FALSE(m.Contains("/r/a/deep"));
}

TEST(TreeMirrorTest, WatchBytesFollowInsertsAndRemovals) {
  TreeMirror m("/r");
  m.Put("/r", Stat(1));
  m.Put("/r/abc", Stat(1));
  m.Put("/r/abc", Stat(2));  // an update costs nothing more
  EXPECT_EQ(m.WatchBytes(), WatchBytesForPath(2) + WatchBytesForPath(6));
  m.RemoveSubtree("/r/abc");
  EXPECT_EQ(m.WatchBytes(), WatchBytesForPath(2));
}

TEST(TreeMirrorTest, WatchBytesPerShard) {
  // Shard by the last character: '0' -> 0, else 1.
  TreeMirror m(
      "/r", [](const std::string& p) { return p.back() == '0' ? 0u : 1u; }, 2);
  ASSERT_EQ(m.shards(), 2u);
  m.Put("/r", Stat(1));
  m.Put("/r/a0", Stat(1));
  m.Put("/r/a0/b0", Stat(1));
  m.Put("/r/a0/b1", Stat(1));
  using W = TreeMirror::ShardWatches;
  EXPECT_EQ(m.ShardWatchBytes()[0], (W{WatchBytesForPath(5) + WatchBytesForPath(8), 2}));
  EXPECT_EQ(m.ShardWatchBytes()[1], (W{WatchBytesForPath(2) + WatchBytesForPath(8), 2}));
  EXPECT_EQ(m.WatchBytes(), m.ShardWatchBytes()[0].watch_bytes + m.ShardWatchBytes()[1].watch_bytes);
  m.RemoveSubtree("/r/a0");
  EXPECT_EQ(m.ShardWatchBytes()[0], (W{0, 0}));
  EXPECT_EQ(m.ShardWatchBytes()[1], (W{WatchBytesForPath(2), 1}));
  TreeMirror moved = std::move(m);  // keeps its shard function
  moved.Put("/r/x0", Stat(1));
  EXPECT_EQ(moved.ShardWatchBytes()[0], (W{WatchBytesForPath(5), 1}));
  moved.Clear();
  EXPECT_EQ(moved.ShardWatchBytes()[1], (W{0, 0}));
  // Without a shard function (or with one shard) everything is shard 0.
  TreeMirror one(
      "/r", [](const std::string&) { return 1u; }, 1);
  one.Put("/r", Stat(1));
  EXPECT_EQ(one.shards(), 1u);
  EXPECT_EQ(one.ShardWatchBytes()[0].znodes, 1u);
}

TEST(TreeMirrorTest, CountDifferences) {
  TreeMirror a("/r");
  TreeMirror b("/r");
  for (const char* p : {"/r", "/r/x", "/r/y"}) a.Put(p, Stat(1));
  for (const char* p : {"/r", "/r/y", "/r/z"}) b.Put(p, Stat(1));
  b.Put("/r", Stat(5));
  EXPECT_EQ(a.CountDifferences(b), 3u);  // /r changed, /r/x gone, /r/z new
  EXPECT_EQ(a.CountDifferences(a), 0u);
}

TEST(TreeMirrorTest, SnapshotMatchesTheWalkBuilder) {
  SubtreeSpec spec;
  spec.root = "/r";
  spec.znode_patterns = {"/r/*"};
  std::vector<ZnodePattern> patterns{*ZnodePattern::Parse("/r/*")};
  TreeMirror m("/r");
  m.Put("/r", Stat(1, 2, 3));
  m.Put("/r/a", Stat(2, 1, 10));
  m.Put("/r/a/x", Stat(3, 0, 7));
  m.Put("/r/b", Stat(4, 0, 1));
  const auto t = std::chrono::system_clock::time_point(std::chrono::seconds(1700000000));
  const SubtreeSnapshot s = m.BuildSnapshot(spec, &patterns, t, std::chrono::milliseconds(5), {});
  EXPECT_TRUE(s.root_exists);
  EXPECT_EQ(s.znodes, 4u);
  EXPECT_EQ(s.data_bytes, 21u);
  EXPECT_EQ(s.max_depth, 2);
  EXPECT_EQ(s.largest_znode_path, "/r/a");
  ASSERT_EQ(s.znode_samples.size(), 3u);
  EXPECT_EQ(s.znode_samples[0].path, "/r");
  EXPECT_EQ(s.znode_samples[1].path, "/r/a");
  EXPECT_EQ(s.znode_samples[2].stat.version, 4);

  TreeMirror empty("/r");
  EXPECT_FALSE(empty.BuildSnapshot(spec, &patterns, t, {}, {}).root_exists);
}

TEST(WatchBudgetTest, SharesOneLimit) {
  WatchBudget budget(100);
  std::size_t a = 0;
  std::size_t b = 0;
  EXPECT_TRUE(budget.TryResize(&a, 60));
  EXPECT_FALSE(budget.TryResize(&b, 50));
  EXPECT_EQ(b, 0u);
  EXPECT_TRUE(budget.TryResize(&b, 40));
  EXPECT_TRUE(budget.TryResize(&a, 10));  // shrinking always works
  EXPECT_TRUE(budget.TryResize(&b, 90));
  budget.Release(&a);
  budget.Release(&b);
  EXPECT_EQ(budget.used(), 0u);
}

// One limit per watch session; a resize happens on every session or on none.
TEST(WatchBudgetTest, EachSessionHasItsOwnLimitAndResizesAreAllOrNothing) {
  WatchBudget budget(100, 0, 3);
  EXPECT_EQ(budget.sessions(), 3u);
  EXPECT_EQ(budget.limit(), 100u);
  WatchShare a = budget.EmptyShare();
  WatchShare b = budget.EmptyShare();
  EXPECT_TRUE(budget.TryResize(&a, {90, 90, 90}));  // 270 in all: more than one session's limit
  EXPECT_EQ(budget.used(), 270u);
  EXPECT_FALSE(budget.TryResize(&b, {10, 11, 10}));  // session 1 would overflow: nothing changes
  EXPECT_EQ(b, (WatchShare{0, 0, 0}));
  EXPECT_EQ(budget.used(0), 90u);
  EXPECT_TRUE(budget.TryResize(&b, {10, 10, 10}));
  EXPECT_FALSE(budget.TryResize(&a, {100, 0, 90}));  // shrinking one session pays for nothing elsewhere
  EXPECT_TRUE(budget.TryResize(&a, {90, 0, 90}));
  EXPECT_FALSE(budget.TryResize(&b, {0, 10, 11}));
  EXPECT_TRUE(budget.TryResize(&b, {0, 100, 10}));  // session 1 freed by a
  EXPECT_EQ(budget.used(1), 100u);
  EXPECT_EQ(ShareTotal(a) + ShareTotal(b), budget.used());
  budget.Release(&a);
  EXPECT_EQ(a, (WatchShare{0, 0, 0}));
  budget.Release(&b);
  EXPECT_EQ(budget.used(), 0u);
}

TEST(WatchBudgetTest, ChrootCountsOnEachWatch) {
  const WatchBudget budget(1000, 11, 2);
  EXPECT_EQ(budget.ForMirror(100, 3), 100u + 2u * 11u * 3u);
}

TEST(AwaitedChildrenTest, WaitsUntilFoundOrUnlisted) {
  AwaitedChildren waiting;
  EXPECT_TRUE(waiting.Add("/r/p/a", 1));
  EXPECT_FALSE(waiting.Add("/r/p/a", 1));
  EXPECT_TRUE(waiting.Add("/r/p/b", 0));
  EXPECT_TRUE(waiting.Add("/r/q/c", 1));
  WatchShare share(2, 0);
  waiting.AddTo(&share, 3);  // one exists-watch each: 4 + chroot + path
  EXPECT_EQ(share, (WatchShare{4 + 3 + 6, 2 * (4 + 3 + 6)}));
  // A fresh listing of /r/p without "b": b was deleted, a is still coming.
  EXPECT_EQ(waiting.RemoveUnlisted("/r/p", {"a", "x"}), std::vector<std::string>{"/r/p/b"});
  EXPECT_TRUE(waiting.Contains("/r/p/a"));
  EXPECT_EQ(waiting.RemoveSubtree("/r/q"), std::vector<std::string>{"/r/q/c"});
  EXPECT_TRUE(waiting.Remove("/r/p/a"));
  EXPECT_TRUE(waiting.empty());
}

}  // namespace
}  // namespace zkx::collectors
