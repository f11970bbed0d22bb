// WalkSubtree against the in-memory FakeZnodeTree: answered inline, by worker threads (random delays,
// out-of-order completions) and "never until told".
#include "zk/subtree_walk.h"

#include <algorithm>
#include <map>
#include <memory>
#include <set>
#include <vector>

#include <gtest/gtest.h>

#include "base/znode_path.h"
#include "tests/support/fake_znode_tree.h"

namespace zkx::zk {
namespace {

using std::chrono::milliseconds;
using test::FakeZnodeTree;
using Answer = FakeZnodeTree::Answer;
using Stats = std::map<std::string, ZnodeStat>;

// Adds a full subtree of `fanout` children per node, `levels` levels deep, below `path`.
void Grow(FakeZnodeTree& tree, const std::string& path, int fanout, int levels) {
  if (levels == 0) return;
  for (int i = 0; i < fanout; ++i) {
    const std::string child = JoinZnodePath(path, "n" + std::to_string(i));
    tree.Create(child);
    Grow(tree, child, fanout, levels - 1);
  }
}

// "/" with 4 children, 4 levels deep (341 znodes), plus a chain "/deep/d/d/.../d" 10 levels below the root.
// Returns every znode's Stat.
Stats MakeTree(FakeZnodeTree& tree) {
  Grow(tree, "/", 4, 4);
  std::string path = "/deep";
  for (int i = 0; i < 9; ++i) path += "/d";
  tree.Create(path);  // and its 9 ancestors below "/"
  return tree.Stats();
}

int DepthBelow(const std::string& root, const std::string& path) {
  if (path == root) return 0;
  const std::string rest = root == "/" ? path : path.substr(root.size());
  return static_cast<int>(std::count(rest.begin(), rest.end(), '/'));
}

struct Visited {
  std::map<std::string, int> depth;  // path -> depth
  std::map<std::string, int64_t> czxid;
};

WalkSummary Walk(ZnodeReader& reader, const std::string& root, const WalkLimits& limits, Visited* visited) {
  return WalkSubtree(reader, root, limits, [&](const WalkedZnode& z) {
    EXPECT_TRUE(visited->depth.emplace(std::string(z.path), z.depth).second) << "visited twice: " << z.path;
    ASSERT_NE(z.stat, nullptr);
    visited->czxid[std::string(z.path)] = z.stat->czxid;
  });
}

std::set<std::string> Keys(const Stats& tree, const std::string& root) {
  std::set<std::string> keys;
  for (const auto& [path, stat] : tree) {
    if (ZnodePathInside(path, root)) keys.insert(path);
  }
  return keys;
}

std::set<std::string> Keys(const Visited& v) {
  std::set<std::string> keys;
  for (const auto& [path, depth] : v.depth) keys.insert(path);
  return keys;
}

class WalkModes : public ::testing::TestWithParam<Answer> {};

TEST_P(WalkModes, VisitsTheWholeTree) {
  FakeZnodeTree reader(GetParam());
  const Stats tree = MakeTree(reader);
  WalkLimits limits;
  limits.max_in_flight = 8;
  Visited v;
  const WalkSummary s = Walk(reader, "/", limits, &v);
  ASSERT_TRUE(s.status.ok()) << s.status.ToString();
  EXPECT_EQ(Keys(v), Keys(tree, "/"));
  EXPECT_EQ(s.visited, tree.size());
  EXPECT_FALSE(s.truncated());
  EXPECT_EQ(s.no_node + s.no_auth + s.errors, 0u);
  EXPECT_GT(s.duration.count(), 0);
  for (const auto& [path, depth] : v.depth) {
    EXPECT_EQ(depth, DepthBelow("/", path)) << path;
    EXPECT_EQ(v.czxid[path], tree.at(path).czxid) << path;
  }
  EXPECT_LE(reader.max_in_flight(), 8);
  EXPECT_EQ(reader.requests(), static_cast<int>(tree.size()));
}

TEST_P(WalkModes, VisitsASubtree) {
  FakeZnodeTree reader(GetParam());
  const Stats tree = MakeTree(reader);
  Visited v;
  const WalkSummary s = Walk(reader, "/n2", WalkLimits{}, &v);
  ASSERT_TRUE(s.status.ok());
  EXPECT_EQ(Keys(v), Keys(tree, "/n2"));
  EXPECT_EQ(v.depth["/n2"], 0);
  EXPECT_EQ(v.depth["/n2/n1/n0"], 2);
}

TEST_P(WalkModes, DepthCap) {
  FakeZnodeTree reader(GetParam());
  const Stats tree = MakeTree(reader);
  WalkLimits limits;
  limits.max_depth = 2;
  Visited v;
  const WalkSummary s = Walk(reader, "/", limits, &v);
  ASSERT_TRUE(s.status.ok());
  EXPECT_TRUE(s.truncated_depth);
  EXPECT_FALSE(s.truncated_znodes);
  std::set<std::string> expected;
  for (const auto& p : Keys(tree, "/")) {
    if (DepthBelow("/", p) <= 2) expected.insert(p);
  }
  EXPECT_EQ(Keys(v), expected);

  // A cap at the tree's own depth does not bite.
  FakeZnodeTree reader2(GetParam());
  MakeTree(reader2);
  limits.max_depth = 10;
  Visited v2;
  const WalkSummary s2 = Walk(reader2, "/", limits, &v2);
  EXPECT_FALSE(s2.truncated_depth);
  EXPECT_EQ(s2.visited, tree.size());
}

TEST_P(WalkModes, ZnodeCap) {
  FakeZnodeTree reader(GetParam());
  const Stats tree = MakeTree(reader);
  WalkLimits limits;
  limits.max_znodes = 37;
  limits.max_in_flight = 5;
  Visited v;
  const WalkSummary s = Walk(reader, "/", limits, &v);
  ASSERT_TRUE(s.status.ok());
  EXPECT_TRUE(s.truncated_znodes);
  EXPECT_EQ(s.visited, 37u);
  EXPECT_EQ(reader.requests(), 37);

  // Exactly the tree's size: everything read, nothing truncated.
  FakeZnodeTree reader2(GetParam());
  MakeTree(reader2);
  limits.max_znodes = tree.size();
  Visited v2;
  const WalkSummary s2 = Walk(reader2, "/", limits, &v2);
  EXPECT_FALSE(s2.truncated_znodes);
  EXPECT_EQ(s2.visited, tree.size());
}

TEST_P(WalkModes, VanishedZnodesAreCountedAndSkipped) {
  FakeZnodeTree reader(GetParam());
  MakeTree(reader);
  // Deleted between the parent's listing and the read: listed, but gone.
  reader.FailWith("/n1/n3", Status::NotFound("no node /n1/n3"));
  reader.FailWith("/deep/d/d", Status::NotFound("no node /deep/d/d"));
  Visited v;
  const WalkSummary s = Walk(reader, "/", WalkLimits{}, &v);
  ASSERT_TRUE(s.status.ok()) << s.status.ToString();
  EXPECT_EQ(s.no_node, 2u);
  EXPECT_FALSE(v.depth.count("/n1/n3"));
  EXPECT_FALSE(v.depth.count("/n1/n3/n0"));  // its parent vanished: never listed
}

TEST_P(WalkModes, PermissionDeniedBelowRootIsCountedAndSkipped) {
  FakeZnodeTree reader(GetParam());
  const Stats tree = MakeTree(reader);
  reader.FailWith("/n3", Status::PermissionDenied("no auth"));
  reader.FailWith("/n0/n0/n0", Status::Internal("weird"));
  Visited v;
  const WalkSummary s = Walk(reader, "/", WalkLimits{}, &v);
  ASSERT_TRUE(s.status.ok());
  EXPECT_EQ(s.no_auth, 1u);
  EXPECT_EQ(s.errors, 1u);
  for (const auto& [path, depth] : v.depth) {
    EXPECT_NE(path.rfind("/n3", 0), 0u) << path;
    EXPECT_NE(path.rfind("/n0/n0/n0", 0), 0u) << path;
  }
  EXPECT_EQ(s.visited, tree.size() - Keys(tree, "/n3").size() - Keys(tree, "/n0/n0/n0").size());
}

TEST_P(WalkModes, RootErrorsFailTheWalk) {
  struct Case {
    std::string root;
    Status failure;  // of the root; OK: none (the root is missing)
    StatusCode want;
  };
  for (const Case& c : {Case{"/missing", Status::Ok(), StatusCode::kNotFound},
                        Case{"/n1", Status::PermissionDenied("no auth"), StatusCode::kPermissionDenied},
                        Case{"/", Status::Internal("boom"), StatusCode::kInternal}}) {
    FakeZnodeTree reader(GetParam());
    MakeTree(reader);
    if (!c.failure.ok()) reader.FailWith(c.root, c.failure);
    Visited v;
    const WalkSummary s = Walk(reader, c.root, WalkLimits{}, &v);
    EXPECT_EQ(s.status.code(), c.want) << c.root;
    EXPECT_EQ(s.visited, 0u) << c.root;
  }
}

TEST_P(WalkModes, LostConnectionFailsTheWalk) {
  FakeZnodeTree reader(GetParam());
  const Stats tree = MakeTree(reader);
  reader.FailWith("/n2/n2", Status::Unavailable("connection loss"));
  WalkLimits limits;
  limits.max_in_flight = 4;
  Visited v;
  const auto start = std::chrono::steady_clock::now();
  const WalkSummary s = Walk(reader, "/", limits, &v);
  EXPECT_EQ(s.status.code(), StatusCode::kUnavailable);
  EXPECT_LT(s.visited, tree.size());
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));

  FakeZnodeTree reader2(GetParam());
  MakeTree(reader2);
  reader2.FailWith("/n1", Status::Cancelled("closing"));
  Visited v2;
  EXPECT_EQ(Walk(reader2, "/", limits, &v2).status.code(), StatusCode::kCancelled);
}

TEST_P(WalkModes, InFlightLimitOfOne) {
  FakeZnodeTree reader(GetParam());
  const Stats tree = MakeTree(reader);
  WalkLimits limits;
  limits.max_in_flight = 1;
  Visited v;
  const WalkSummary s = Walk(reader, "/", limits, &v);
  ASSERT_TRUE(s.status.ok());
  EXPECT_EQ(s.visited, tree.size());
  EXPECT_EQ(reader.max_in_flight(), 1);
}

std::string ModeName(const ::testing::TestParamInfo<Answer>& param_info) {
  return param_info.param == Answer::kInline ? "Sync" : "Async";
}

// The visitor stops the walk: nothing more is requested, and what was in flight is still drained and visited
// (a watched sync must know every znode it armed), so visits = requests.
TEST_P(WalkModes, VisitorStopsTheWalkAndInFlightRepliesAreDrained) {
  FakeZnodeTree reader(GetParam());
  const Stats tree = MakeTree(reader);
  WalkLimits limits;
  limits.max_in_flight = 6;
  std::set<std::string> seen;
  const WalkSummary s = WalkSubtreeUntil(
      reader, "/", limits,
      [&](const WalkedZnode& z) {
        seen.insert(std::string(z.path));
        return seen.size() < 20;
      },
      WalkWatches::kNone);
  ASSERT_TRUE(s.status.ok());
  EXPECT_TRUE(s.stopped);
  EXPECT_FALSE(s.truncated_znodes);
  EXPECT_GE(seen.size(), 20u);
  EXPECT_LE(seen.size(), 20u + 6u);
  EXPECT_EQ(reader.requests(), static_cast<int>(seen.size()));
  EXPECT_EQ(s.visited, seen.size());
}

INSTANTIATE_TEST_SUITE_P(Modes, WalkModes, ::testing::Values(Answer::kInline, Answer::kWorkers), ModeName);

TEST(SubtreeWalkTest, AsyncPipelineFillsTheWindow) {
  FakeZnodeTree reader(Answer::kWorkers);
  MakeTree(reader);
  WalkLimits limits;
  limits.max_in_flight = 16;
  Visited v;
  const WalkSummary s = Walk(reader, "/", limits, &v);
  ASSERT_TRUE(s.status.ok());
  EXPECT_LE(reader.max_in_flight(), 16);
  EXPECT_GT(reader.max_in_flight(), 1);  // it does pipeline
}

TEST(SubtreeWalkTest, TimeoutReturnsAtOnceAndLateCompletionsAreHarmless) {
  auto reader = std::make_unique<FakeZnodeTree>(Answer::kHold);  // never answers by itself
  MakeTree(*reader);
  WalkLimits limits;
  limits.timeout = milliseconds(50);
  Visited v;
  const auto start = std::chrono::steady_clock::now();
  const WalkSummary s = Walk(*reader, "/", limits, &v);
  const auto took = std::chrono::steady_clock::now() - start;
  EXPECT_TRUE(s.truncated_timeout);
  EXPECT_EQ(s.visited, 0u);
  EXPECT_GE(took, milliseconds(50));
  EXPECT_LT(took, std::chrono::seconds(2));
  EXPECT_EQ(reader->in_flight(), 1);
  reader.reset();  // completes the held request after the walk has returned
}

TEST(SubtreeWalkTest, ZeroTimeoutReadsNothing) {
  FakeZnodeTree reader(Answer::kInline);
  MakeTree(reader);
  WalkLimits limits;
  limits.timeout = milliseconds(0);
  Visited v;
  const WalkSummary s = Walk(reader, "/", limits, &v);
  EXPECT_TRUE(s.truncated_timeout);
  EXPECT_EQ(reader.requests(), 0);
}

}  // namespace
}  // namespace zkx::zk
