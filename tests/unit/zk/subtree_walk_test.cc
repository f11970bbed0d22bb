// WalkSubtree against an in-memory fake ZnodeReader: synchronous, asynchronous (worker threads, random
// delays, out-of-order completions) and "never completes until told" variants.
#include "zk/subtree_walk.h"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

namespace zkx::zk {
namespace {

using std::chrono::milliseconds;

struct FakeNode {
  ZnodeStat stat;
  std::vector<std::string> children;
};
using Tree = std::map<std::string, FakeNode>;

std::string Join(const std::string& parent, const std::string& name) {
  return parent == "/" ? "/" + name : parent + "/" + name;
}

// Adds `path` and a full subtree of `fanout` children per node, `levels` levels deep below it.
void Grow(Tree& tree, const std::string& path, int fanout, int levels, int64_t& zxid) {
  FakeNode& node = tree[path];
  node.stat.czxid = ++zxid;
  if (levels > 0) {
    for (int i = 0; i < fanout; ++i) {
      const std::string name = "n" + std::to_string(i);
      tree[path].children.push_back(name);
      Grow(tree, Join(path, name), fanout, levels - 1, zxid);
    }
  }
  tree[path].stat.num_children = static_cast<int32_t>(tree[path].children.size());
}

// "/" with 4 children, 4 levels deep (341 znodes), plus a chain "/deep/d/d/.../d" 10 levels below the root.
Tree MakeTree() {
  Tree tree;
  int64_t zxid = 0;
  Grow(tree, "/", 4, 4, zxid);
  tree["/"].children.emplace_back("deep");
  tree["/"].stat.num_children += 1;
  std::string path = "/deep";
  for (int i = 0; i < 9; ++i) {
    tree[path].children = {"d"};
    tree[path].stat.num_children = 1;
    tree[path].stat.czxid = ++zxid;
    path += "/d";
  }
  tree[path].stat.czxid = ++zxid;
  return tree;
}

int DepthBelow(const std::string& root, const std::string& path) {
  if (path == root) return 0;
  const std::string rest = root == "/" ? path : path.substr(root.size());
  return static_cast<int>(std::count(rest.begin(), rest.end(), '/'));
}

class FakeReader final : public ZnodeReader {
 public:
  enum class Mode { kSync, kAsync, kHold };

  FakeReader(Tree tree, Mode mode) : tree_(std::move(tree)), mode_(mode) {
    if (mode_ == Mode::kAsync) {
      for (unsigned i = 0; i < 3; ++i) workers_.emplace_back([this, i] { Work(i); });
    }
  }
  ~FakeReader() override {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stop_ = true;
    }
    cv_.notify_all();
    for (auto& w : workers_) w.join();
    // kHold: complete whatever is still queued now, long after the walk returned.
    std::deque<Request> rest;
    {
      std::lock_guard<std::mutex> lock(mu_);
      rest.swap(queue_);
    }
    for (auto& r : rest) Complete(r);
  }

  // Makes `path` fail with `status` (an error) when read.
  void SetError(const std::string& path, Status status) { errors_[path] = std::move(status); }

  void GetChildren2(const std::string& path, ChildrenCallback done) override {
    const int now = in_flight_.fetch_add(1) + 1;
    int prev = max_in_flight_.load();
    while (now > prev && !max_in_flight_.compare_exchange_weak(prev, now)) {
    }
    requests_.fetch_add(1);
    if (mode_ == Mode::kSync) {
      Request r{path, std::move(done)};
      Complete(r);
      return;
    }
    {
      std::lock_guard<std::mutex> lock(mu_);
      queue_.push_back({path, std::move(done)});
    }
    cv_.notify_one();
  }

  int max_in_flight() const { return max_in_flight_.load(); }
  int requests() const { return requests_.load(); }
  int in_flight() const { return in_flight_.load(); }

 private:
  struct Request {
    std::string path;
    ChildrenCallback done;
  };

  void Complete(Request& r) {
    Status status;
    ChildrenResult result;
    if (auto e = errors_.find(r.path); e != errors_.end()) {
      status = e->second;
    } else if (auto it = tree_.find(r.path); it != tree_.end()) {
      result.stat = it->second.stat;
      result.children = it->second.children;
    } else {
      status = Status::NotFound("no node " + r.path);
    }
    in_flight_.fetch_sub(1);  // before the callback: the walker may issue again as soon as it sees this
    r.done(std::move(status), std::move(result));
  }

  void Work(unsigned seed) {
    std::mt19937 rng(seed * 7919u + 1u);
    for (;;) {
      Request r;
      {
        std::unique_lock<std::mutex> lock(mu_);
        cv_.wait(lock, [&] { return stop_ || !queue_.empty(); });
        if (stop_) return;
        // Pick a random queued request: completions arrive out of order.
        std::uniform_int_distribution<std::size_t> pick(0, queue_.size() - 1);
        auto it = queue_.begin() + static_cast<std::ptrdiff_t>(pick(rng));
        r = std::move(*it);
        queue_.erase(it);
      }
      std::uniform_int_distribution<int> delay_us(0, 300);
      std::this_thread::sleep_for(std::chrono::microseconds(delay_us(rng)));
      Complete(r);
    }
  }

  const Tree tree_;
  const Mode mode_;
  std::map<std::string, Status> errors_;  // set before the walk
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Request> queue_;  // guarded by mu_
  bool stop_ = false;          // guarded by mu_
  std::vector<std::thread> workers_;
  std::atomic<int> in_flight_{0};
  std::atomic<int> max_in_flight_{0};
  std::atomic<int> requests_{0};
};

struct Visited {
  std::map<std::string, int> depth;  // path -> depth
  std::map<std::string, int64_t> czxid;
};

WalkSummary Walk(FakeReader& reader, const std::string& root, const WalkLimits& limits, Visited* visited) {
  return WalkSubtree(reader, root, limits, [&](const WalkedZnode& z) {
    EXPECT_TRUE(visited->depth.emplace(std::string(z.path), z.depth).second) << "visited twice: " << z.path;
    ASSERT_NE(z.stat, nullptr);
    visited->czxid[std::string(z.path)] = z.stat->czxid;
  });
}

std::set<std::string> Keys(const Tree& tree, const std::string& root) {
  std::set<std::string> keys;
  for (const auto& [path, node] : tree) {
    if (path == root || root == "/" || path.rfind(root + "/", 0) == 0) keys.insert(path);
  }
  return keys;
}

std::set<std::string> Keys(const Visited& v) {
  std::set<std::string> keys;
  for (const auto& [path, depth] : v.depth) keys.insert(path);
  return keys;
}

class WalkModes : public ::testing::TestWithParam<FakeReader::Mode> {};

TEST_P(WalkModes, VisitsTheWholeTree) {
  const Tree tree = MakeTree();
  FakeReader reader(tree, GetParam());
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
    EXPECT_EQ(v.czxid[path], tree.at(path).stat.czxid) << path;
  }
  EXPECT_LE(reader.max_in_flight(), 8);
  EXPECT_EQ(reader.requests(), static_cast<int>(tree.size()));
}

TEST_P(WalkModes, VisitsASubtree) {
  const Tree tree = MakeTree();
  FakeReader reader(tree, GetParam());
  Visited v;
  const WalkSummary s = Walk(reader, "/n2", WalkLimits{}, &v);
  ASSERT_TRUE(s.status.ok());
  EXPECT_EQ(Keys(v), Keys(tree, "/n2"));
  EXPECT_EQ(v.depth["/n2"], 0);
  EXPECT_EQ(v.depth["/n2/n1/n0"], 2);
}

TEST_P(WalkModes, DepthCap) {
  const Tree tree = MakeTree();
  FakeReader reader(tree, GetParam());
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
  FakeReader reader2(tree, GetParam());
  limits.max_depth = 10;
  Visited v2;
  const WalkSummary s2 = Walk(reader2, "/", limits, &v2);
  EXPECT_FALSE(s2.truncated_depth);
  EXPECT_EQ(s2.visited, tree.size());
}

TEST_P(WalkModes, ZnodeCap) {
  const Tree tree = MakeTree();
  FakeReader reader(tree, GetParam());
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
  FakeReader reader2(tree, GetParam());
  limits.max_znodes = tree.size();
  Visited v2;
  const WalkSummary s2 = Walk(reader2, "/", limits, &v2);
  EXPECT_FALSE(s2.truncated_znodes);
  EXPECT_EQ(s2.visited, tree.size());
}

TEST_P(WalkModes, VanishedZnodesAreCountedAndSkipped) {
  Tree tree = MakeTree();
  // Deleted between the parent's listing and the read: listed, but gone.
  tree.erase("/n1/n3");
  tree.erase("/deep/d/d");
  FakeReader reader(tree, GetParam());
  Visited v;
  const WalkSummary s = Walk(reader, "/", WalkLimits{}, &v);
  ASSERT_TRUE(s.status.ok()) << s.status.ToString();
  EXPECT_EQ(s.no_node, 2u);
  EXPECT_FALSE(v.depth.count("/n1/n3"));
  EXPECT_FALSE(v.depth.count("/n1/n3/n0"));  // its parent vanished: never listed
}

TEST_P(WalkModes, PermissionDeniedBelowRootIsCountedAndSkipped) {
  const Tree tree = MakeTree();
  FakeReader reader(tree, GetParam());
  reader.SetError("/n3", Status::PermissionDenied("no auth"));
  reader.SetError("/n0/n0/n0", Status::Internal("weird"));
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
  const Tree tree = MakeTree();
  {
    FakeReader reader(tree, GetParam());
    Visited v;
    const WalkSummary s = Walk(reader, "/missing", WalkLimits{}, &v);
    EXPECT_EQ(s.status.code(), StatusCode::kNotFound);
    EXPECT_EQ(s.visited, 0u);
  }
  {
    FakeReader reader(tree, GetParam());
    reader.SetError("/n1", Status::PermissionDenied("no auth"));
    Visited v;
    const WalkSummary s = Walk(reader, "/n1", WalkLimits{}, &v);
    EXPECT_EQ(s.status.code(), StatusCode::kPermissionDenied);
    EXPECT_EQ(s.visited, 0u);
  }
  {
    FakeReader reader(tree, GetParam());
    reader.SetError("/", Status::Internal("boom"));
    Visited v;
    const WalkSummary s = Walk(reader, "/", WalkLimits{}, &v);
    EXPECT_EQ(s.status.code(), StatusCode::kInternal);
  }
}

TEST_P(WalkModes, LostConnectionFailsTheWalk) {
  const Tree tree = MakeTree();
  FakeReader reader(tree, GetParam());
  reader.SetError("/n2/n2", Status::Unavailable("connection loss"));
  WalkLimits limits;
  limits.max_in_flight = 4;
  Visited v;
  const auto start = std::chrono::steady_clock::now();
  const WalkSummary s = Walk(reader, "/", limits, &v);
  EXPECT_EQ(s.status.code(), StatusCode::kUnavailable);
  EXPECT_LT(s.visited, tree.size());
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));

  FakeReader reader2(tree, GetParam());
  reader2.SetError("/n1", Status::Cancelled("closing"));
  Visited v2;
  EXPECT_EQ(Walk(reader2, "/", limits, &v2).status.code(), StatusCode::kCancelled);
}

TEST_P(WalkModes, InFlightLimitOfOne) {
  const Tree tree = MakeTree();
  FakeReader reader(tree, GetParam());
  WalkLimits limits;
  limits.max_in_flight = 1;
  Visited v;
  const WalkSummary s = Walk(reader, "/", limits, &v);
  ASSERT_TRUE(s.status.ok());
  EXPECT_EQ(s.visited, tree.size());
  EXPECT_EQ(reader.max_in_flight(), 1);
}

std::string ModeName(const ::testing::TestParamInfo<FakeReader::Mode>& param_info) {
  return param_info.param == FakeReader::Mode::kSync ? "Sync" : "Async";
}

// The visitor stops the walk: nothing more is requested, and what was in flight is still drained and visited
// (a watched sync must know every znode it armed), so visits = requests.
TEST_P(WalkModes, VisitorStopsTheWalkAndInFlightRepliesAreDrained) {
  const Tree tree = MakeTree();
  FakeReader reader(tree, GetParam());
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

INSTANTIATE_TEST_SUITE_P(Modes, WalkModes,
                         ::testing::Values(FakeReader::Mode::kSync, FakeReader::Mode::kAsync), ModeName);

TEST(SubtreeWalkTest, AsyncPipelineFillsTheWindow) {
  const Tree tree = MakeTree();
  FakeReader reader(tree, FakeReader::Mode::kAsync);
  WalkLimits limits;
  limits.max_in_flight = 16;
  Visited v;
  const WalkSummary s = Walk(reader, "/", limits, &v);
  ASSERT_TRUE(s.status.ok());
  EXPECT_LE(reader.max_in_flight(), 16);
  EXPECT_GT(reader.max_in_flight(), 1);  // it does pipeline
}

TEST(SubtreeWalkTest, TimeoutReturnsAtOnceAndLateCompletionsAreHarmless) {
  const Tree tree = MakeTree();
  auto reader = std::make_unique<FakeReader>(tree, FakeReader::Mode::kHold);  // never completes by itself
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
  const Tree tree = MakeTree();
  FakeReader reader(tree, FakeReader::Mode::kSync);
  WalkLimits limits;
  limits.timeout = milliseconds(0);
  Visited v;
  const WalkSummary s = Walk(reader, "/", limits, &v);
  EXPECT_TRUE(s.truncated_timeout);
  EXPECT_EQ(reader.requests(), 0);
}

}  // namespace
}  // namespace zkx::zk
