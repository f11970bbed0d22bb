// zk::WatchShards: watched reads, removals and data reads go to the shard of their path, plain reads to the
// plain reader; the routing is a fixed hash; events from every shard reach a listener with the combined
// epoch.
#include "zk/watch_shards.h"

#include <map>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "tests/support/fake_znode_tree.h"

namespace zkx::zk {
namespace {

using test::FakeZnodeTree;

TEST(WatchShardsTest, ShardOfIsFnv1aModuloTheShards) {
  // FNV-1a 64 of "" is the offset basis; of "a" a published test vector.
  EXPECT_EQ(WatchShards::ShardOf("", 1000), 14695981039346656037ULL % 1000);
  EXPECT_EQ(WatchShards::ShardOf("a", 1000), 0xaf63dc4c8601ec8cULL % 1000);
  EXPECT_EQ(WatchShards::ShardOf("/anything", 1), 0u);
  EXPECT_EQ(WatchShards::ShardOf("/anything", 0), 0u);
  // Spread: 4,000 sibling paths over 4 shards land within 10% of an even split.
  std::map<std::size_t, int> counts;
  for (int i = 0; i < 4000; ++i)
    ++counts[WatchShards::ShardOf("/kafka/brokers/topics/t-" + std::to_string(i), 4)];
  ASSERT_EQ(counts.size(), 4u);
  for (const auto& [shard, n] : counts) {
    EXPECT_GT(n, 900) << "shard " << shard;
    EXPECT_LT(n, 1100) << "shard " << shard;
  }
}

// Three members holding the same tree; the plain reader is a fourth.
struct Fixture {
  FakeZnodeTree plain;
  FakeZnodeTree a, b, c;
  WatchShards shards{&plain, {&a, &b, &c}};
  std::vector<FakeZnodeTree*> members{&a, &b, &c};
  Fixture() {
    for (FakeZnodeTree* t : {&plain, &a, &b, &c}) {
      for (int i = 0; i < 30; ++i) t->Create("/r/n" + std::to_string(i), "d");
    }
  }
};

TEST(WatchShardsTest, RoutesEveryWatchedReadOfAPathToItsShard) {
  Fixture f;
  EXPECT_EQ(f.shards.WatchShardCount(), 3u);
  std::vector<int> expected(3, 0);
  for (int i = 0; i < 30; ++i) {
    const std::string path = "/r/n" + std::to_string(i);
    const std::size_t shard = f.shards.WatchShardOf(path);
    ASSERT_EQ(shard, WatchShards::ShardOf(path, 3));
    ++expected[shard];
    f.shards.WatchExists(path, [](Status s, ZnodeStat) { EXPECT_TRUE(s.ok()); });
    f.shards.WatchChildren2(path, [](Status s, ChildrenResult) { EXPECT_TRUE(s.ok()); });
    f.shards.GetData(path, [](Status s, std::string, ZnodeStat) { EXPECT_TRUE(s.ok()); });
    f.shards.RemoveWatches(path, [](Status s) { EXPECT_TRUE(s.ok()); });
    f.shards.GetChildren2(path, [](Status s, ChildrenResult) { EXPECT_TRUE(s.ok()); });
    f.shards.GetAcl(path, [](Status s, std::vector<AclEntry>, ZnodeStat) { EXPECT_TRUE(s.ok()); });
  }
  for (std::size_t i = 0; i < 3; ++i) {
    using Op = FakeZnodeTree::Op;
    EXPECT_GT(expected[i], 0) << "no path on shard " << i;
    EXPECT_EQ(f.members[i]->requests(Op::kWatchExists), expected[i]);
    EXPECT_EQ(f.members[i]->requests(Op::kWatchChildren), expected[i]);
    EXPECT_EQ(f.members[i]->requests(Op::kGetData), expected[i]);
    EXPECT_EQ(f.members[i]->requests(Op::kRemoveWatches), expected[i]);
    EXPECT_EQ(f.members[i]->requests(Op::kGetChildren), 0);
    EXPECT_EQ(f.members[i]->requests(Op::kGetAcl), 0);
    EXPECT_EQ(f.members[i]->watches(), 0u);  // armed, then removed on the same shard
  }
  EXPECT_EQ(f.plain.requests(FakeZnodeTree::Op::kGetChildren), 30);
  EXPECT_EQ(f.plain.requests(FakeZnodeTree::Op::kGetAcl), 30);
  EXPECT_EQ(f.plain.requests(FakeZnodeTree::Op::kWatchExists), 0);
}

TEST(WatchShardsTest, EventsOfEveryShardCarryTheCombinedEpoch) {
  Fixture f;
  EXPECT_EQ(f.shards.SessionEpoch(), 3u);  // 1 + 1 + 1
  std::vector<WatchEvent> seen;
  WatchSubscription sub = f.shards.SubscribeWatches([&](const WatchEvent& e) { seen.push_back(e); });
  EXPECT_EQ(f.a.listeners(), 1u);
  EXPECT_EQ(f.c.listeners(), 1u);
  EXPECT_EQ(f.plain.listeners(), 0u);

  f.c.Reconnect();  // shard 2 reconnects: its epoch 2, the combined one 4
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].type, WatchEventType::kResync);
  EXPECT_EQ(seen[0].epoch, 4u);
  EXPECT_EQ(f.shards.SessionEpoch(), 4u);
  f.a.SetSessionEpoch(7);  // an expiry and new sessions on shard 0, announced late
  f.a.Reconnect();
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen[1].epoch, 8u + 1u + 2u);

  // A znode event arrives from the shard that holds the path's watch.
  const std::string path = "/r/n5";
  FakeZnodeTree* holder = f.members[f.shards.WatchShardOf(path)];
  f.shards.WatchExists(path, [](Status, ZnodeStat) {});
  for (FakeZnodeTree* t : f.members) t->Set(path, "x");
  ASSERT_EQ(seen.size(), 3u);
  EXPECT_EQ(seen[2].type, WatchEventType::kDataChanged);
  EXPECT_EQ(seen[2].path, path);
  EXPECT_EQ(holder->watches(), 0u);  // fired

  sub.Reset();
  EXPECT_EQ(f.a.listeners(), 0u);
  EXPECT_EQ(f.b.listeners(), 0u);
  EXPECT_EQ(f.c.listeners(), 0u);
  f.b.Reconnect();
  EXPECT_EQ(seen.size(), 3u);
}

}  // namespace
}  // namespace zkx::zk
