#include "collectors/tree_snapshot.h"

#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace zkx::collectors {
namespace {

struct Node {
  std::string path;
  int depth;
  zk::ZnodeStat stat;
};

zk::ZnodeStat Stat(int32_t data, int32_t children, int64_t owner = 0) {
  zk::ZnodeStat s;
  s.data_length = data;
  s.num_children = children;
  s.ephemeral_owner = owner;
  return s;
}

SubtreeSnapshot Walk(const SubtreeSpec& spec, const std::vector<Node>& nodes, zk::WalkSummary summary = {}) {
  std::vector<ZnodePattern> patterns;
  for (const auto& p : spec.znode_patterns)
    patterns.push_back(*ZnodePattern::Parse(ZnodePattern::Resolve(spec.root, p)));
  SnapshotBuilder b(spec, &patterns);
  for (const Node& n : nodes) b.Visit(zk::WalkedZnode{n.path, n.depth, &n.stat});
  return std::move(b).Finish(summary,
                             std::chrono::system_clock::time_point(std::chrono::seconds(1700000000)));
}

SubtreeSpec Spec(std::string root, std::vector<std::string> patterns, std::size_t cap = 1000) {
  SubtreeSpec s;
  s.root = std::move(root);
  s.znode_patterns = std::move(patterns);
  s.max_znode_series = cap;
  return s;
}

TEST(SnapshotBuilderTest, AggregatesTheSubtree) {
  const std::vector<Node> nodes = {
      {"/brokers", 0, Stat(0, 2)},
      {"/brokers/ids", 1, Stat(0, 2)},
      {"/brokers/ids/1", 2, Stat(120, 0, 0x1234)},
      {"/brokers/ids/2", 2, Stat(130, 0, 0x5678)},
      {"/brokers/topics", 1, Stat(7, 0)},
  };
  SubtreeSnapshot s = Walk(Spec("/brokers", {"ids/*"}), nodes);
  EXPECT_TRUE(s.root_exists);
  EXPECT_EQ(s.znodes, 5u);
  EXPECT_EQ(s.data_bytes, 257u);
  EXPECT_EQ(s.ephemeral_znodes, 2u);
  EXPECT_EQ(s.max_depth, 2);
  EXPECT_EQ(s.largest_znode_bytes, 130);
  EXPECT_EQ(s.largest_znode_path, "/brokers/ids/2");
  ASSERT_EQ(s.znode_samples.size(), 3u);  // root + two matches, root first
  EXPECT_EQ(s.znode_samples[0].path, "/brokers");
  EXPECT_EQ(s.znode_samples[1].path, "/brokers/ids/1");
  EXPECT_EQ(s.znode_samples[2].path, "/brokers/ids/2");
  EXPECT_FALSE(s.znode_series_truncated);
}

TEST(SnapshotBuilderTest, LargestTieGoesToSmallerPathWhateverTheOrder) {
  SubtreeSnapshot a =
      Walk(Spec("/", {}), {{"/", 0, Stat(0, 2)}, {"/b", 1, Stat(9, 0)}, {"/a", 1, Stat(9, 0)}});
  SubtreeSnapshot b =
      Walk(Spec("/", {}), {{"/a", 1, Stat(9, 0)}, {"/b", 1, Stat(9, 0)}, {"/", 0, Stat(0, 2)}});
  EXPECT_EQ(a.largest_znode_path, "/a");
  EXPECT_EQ(b.largest_znode_path, "/a");
}

TEST(SnapshotBuilderTest, SeriesCapKeepsTheSmallestPathsAndSaysSo) {
  std::vector<Node> nodes = {{"/d", 0, Stat(0, 50)}};
  for (int i = 49; i >= 0; --i) {
    char name[16];
    std::snprintf(name, sizeof name, "/d/n%02d", i);
    nodes.push_back({name, 1, Stat(1, 0)});
  }
  SubtreeSnapshot s = Walk(Spec("/d", {"/d/*"}, 5), nodes);
  ASSERT_EQ(s.znode_samples.size(), 5u);  // the root + 4 matches
  EXPECT_EQ(s.znode_samples[0].path, "/d");
  EXPECT_EQ(s.znode_samples[1].path, "/d/n00");
  EXPECT_EQ(s.znode_samples[4].path, "/d/n03");
  EXPECT_TRUE(s.znode_series_truncated);
  EXPECT_EQ(s.znodes, 51u);  // aggregates still count everything
}

TEST(SnapshotBuilderTest, MissingRootGivesAnEmptySnapshot) {
  zk::WalkSummary summary;
  summary.status = Status::NotFound("/gone");
  SubtreeSnapshot s = Walk(Spec("/gone", {"*"}), {}, summary);
  EXPECT_FALSE(s.root_exists);
  EXPECT_EQ(s.znodes, 0u);
  EXPECT_TRUE(s.znode_samples.empty());
}

TEST(SnapshotBuilderTest, CarriesTheWalkOutcome) {
  zk::WalkSummary summary;
  summary.truncated_znodes = true;
  summary.no_auth = 3;
  summary.no_node = 2;
  summary.duration = std::chrono::milliseconds(250);
  SubtreeSnapshot s = Walk(Spec("/", {}), {{"/", 0, Stat(0, 1)}}, summary);
  EXPECT_TRUE(s.truncated());
  EXPECT_EQ(s.skipped_no_auth, 3u);
  EXPECT_EQ(s.skipped_no_node, 2u);
  EXPECT_EQ(s.duration, std::chrono::milliseconds(250));
}

}  // namespace
}  // namespace zkx::collectors
