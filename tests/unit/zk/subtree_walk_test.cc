// WalkSubtree against the in-memory FakeZnodeTree: answered inline, by worker threads (random delays,
// out-of-order completions) and "never until told".
#include "zk/subtree_walk.h"

#include <algorithm>
#include <atomic>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <thread>
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

// ------------------------------------------------------------------------------- rounds: WalkSubtrees

// What each job of a round saw: its visits (path -> depth), its summary, and when its done() ran.
struct JobRecord {
  Visited visited;
  std::optional<WalkSummary> summary;
  int done_calls = 0;
  int visits_after_done = 0;
  int done_order = -1;
};

std::vector<JobRecord> WalkRound(std::vector<WalkJob> jobs) {
  std::vector<JobRecord> records(jobs.size());
  for (std::size_t i = 0; i < jobs.size(); ++i) {
    if (jobs[i].visit) continue;  // the test's own visitor
    jobs[i].visit = [&records, i](const WalkedZnode& z) {
      JobRecord& r = records[i];
      if (r.done_calls > 0) ++r.visits_after_done;
      EXPECT_TRUE(r.visited.depth.emplace(std::string(z.path), z.depth).second)
          << "visited twice: " << z.path;
      return true;
    };
  }
  int order = 0;
  WalkSubtrees(jobs, [&](std::size_t i, WalkSummary summary) {
    JobRecord& r = records.at(i);
    ++r.done_calls;
    r.done_order = order++;
    r.summary = std::move(summary);
  });
  for (const JobRecord& r : records) EXPECT_EQ(r.done_calls, 1);
  return records;
}

WalkJob Job(ZnodeReader& reader, const std::string& root, WalkLimits limits = {}) {
  WalkJob job;
  job.reader = &reader;
  job.root = root;
  job.limits = limits;
  return job;
}

// Every job of a round reports exactly what it would have reported walked alone: its own znodes, depths
// counted from its own root, its own missing root.
TEST_P(WalkModes, ARoundWalksEachJobAsIfAlone) {
  FakeZnodeTree reader(GetParam());
  const Stats tree = MakeTree(reader);
  WalkLimits limits;
  limits.max_in_flight = 8;
  const std::vector<std::string> roots = {"/n0", "/n1/n2", "/missing", "/deep/d/d", "/n3/n3/n3/n3", "/"};
  std::vector<WalkJob> jobs;
  for (const auto& root : roots) jobs.push_back(Job(reader, root, limits));
  const std::vector<JobRecord> round = WalkRound(jobs);

  std::size_t requests = 0;
  for (std::size_t i = 0; i < roots.size(); ++i) {
    const JobRecord& r = round[i];
    ASSERT_TRUE(r.summary.has_value()) << roots[i];
    EXPECT_EQ(r.visits_after_done, 0) << roots[i];
    if (roots[i] == "/missing") {
      EXPECT_EQ(r.summary->status.code(), StatusCode::kNotFound);
      EXPECT_EQ(r.summary->visited, 0u);
      ++requests;
      continue;
    }
    ASSERT_TRUE(r.summary->status.ok()) << roots[i] << ": " << r.summary->status.ToString();
    EXPECT_EQ(Keys(r.visited), Keys(tree, roots[i])) << roots[i];
    EXPECT_EQ(r.summary->visited, Keys(tree, roots[i]).size()) << roots[i];
    EXPECT_FALSE(r.summary->truncated()) << roots[i];
    for (const auto& [path, depth] : r.visited.depth) EXPECT_EQ(depth, DepthBelow(roots[i], path)) << path;
    requests += r.summary->visited;
  }
  EXPECT_EQ(reader.requests(), static_cast<int>(requests));
  EXPECT_LE(reader.max_in_flight(), 8);
}

// Caps are per job: one job's znode and depth caps truncate it alone.
TEST_P(WalkModes, ARoundKeepsEachJobsCaps) {
  FakeZnodeTree reader(GetParam());
  const Stats tree = MakeTree(reader);
  WalkLimits small;
  small.max_znodes = 7;
  small.max_in_flight = 3;
  WalkLimits shallow;
  shallow.max_depth = 1;
  const std::vector<JobRecord> round =
      WalkRound({Job(reader, "/n0", small), Job(reader, "/n1", shallow), Job(reader, "/n2", WalkLimits{})});
  ASSERT_TRUE(round[0].summary && round[1].summary && round[2].summary);
  EXPECT_TRUE(round[0].summary->truncated_znodes);
  EXPECT_EQ(round[0].summary->visited, 7u);
  EXPECT_TRUE(round[1].summary->truncated_depth);
  EXPECT_EQ(round[1].summary->visited, 5u);  // /n1 and its 4 children
  EXPECT_FALSE(round[2].summary->truncated());
  EXPECT_EQ(round[2].summary->visited, Keys(tree, "/n2").size());
}

// A lost connection under one job ends that job alone; a visitor that stops its job stops only it.
TEST_P(WalkModes, ARoundEndsAFailedOrStoppedJobAlone) {
  FakeZnodeTree reader(GetParam());
  const Stats tree = MakeTree(reader);
  reader.FailWith("/n2/n2", Status::Unavailable("connection loss"));
  WalkLimits limits;
  limits.max_in_flight = 4;
  WalkJob stopping = Job(reader, "/n3", limits);
  int stopping_visits = 0;
  stopping.visit = [&](const WalkedZnode&) { return ++stopping_visits < 3; };
  const std::vector<JobRecord> round =
      WalkRound({Job(reader, "/n2", limits), Job(reader, "/n1", limits), stopping});
  ASSERT_TRUE(round[0].summary && round[1].summary && round[2].summary);
  EXPECT_EQ(round[0].summary->status.code(), StatusCode::kUnavailable);
  EXPECT_LT(round[0].summary->visited, Keys(tree, "/n2").size());
  ASSERT_TRUE(round[1].summary->status.ok());
  EXPECT_EQ(round[1].summary->visited, Keys(tree, "/n1").size());
  EXPECT_TRUE(round[2].summary->stopped);
  EXPECT_GE(stopping_visits, 3);
  EXPECT_LT(static_cast<std::size_t>(stopping_visits), Keys(tree, "/n3").size());
}

// A big walk does not keep the round's window to itself: the small walks beside it end long before it does,
// whatever their place in the round.
TEST_P(WalkModes, ARoundSharesItsWindowWithSmallWalks) {
  FakeZnodeTree reader(GetParam());
  Grow(reader, "/big", 6, 4);  // 1,554 znodes below /big
  for (int i = 0; i < 16; ++i) reader.Create("/s" + std::to_string(i) + "/a");
  WalkLimits limits;
  limits.max_in_flight = 4;
  std::vector<WalkJob> jobs = {Job(reader, "/big", limits)};
  std::size_t big_visits = 0;
  jobs[0].visit = [&](const WalkedZnode&) {
    ++big_visits;
    return true;
  };
  for (int i = 0; i < 16; ++i) {
    jobs.push_back(Job(reader, "/s" + std::to_string(i), limits));
    jobs.back().visit = [](const WalkedZnode&) { return true; };
  }
  std::size_t big_visits_when_small_done = 0;
  std::vector<WalkSummary> summaries(jobs.size());
  WalkSubtrees(jobs, [&](std::size_t i, WalkSummary summary) {
    if (i > 0) big_visits_when_small_done = big_visits;
    summaries[i] = std::move(summary);
  });
  EXPECT_EQ(summaries[0].visited, 1555u);
  for (std::size_t i = 1; i < jobs.size(); ++i) EXPECT_EQ(summaries[i].visited, 2u) << jobs[i].root;
  EXPECT_LT(big_visits_when_small_done, 200u);  // the small ones took turns from the start
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

// The round as a whole keeps to the largest of its jobs' in-flight caps, however many jobs it has.
TEST(SubtreeWalkTest, ARoundKeepsToTheLargestJobCap) {
  FakeZnodeTree reader(Answer::kWorkers);
  const Stats tree = MakeTree(reader);
  std::vector<WalkJob> jobs;
  for (int i = 0; i < 4; ++i) {
    WalkLimits limits;
    limits.max_in_flight = i == 2 ? 6 : 2;
    jobs.push_back(Job(reader, "/n" + std::to_string(i), limits));
  }
  const std::vector<JobRecord> round = WalkRound(jobs);
  for (std::size_t i = 0; i < 4; ++i) {
    ASSERT_TRUE(round[i].summary && round[i].summary->status.ok());
    EXPECT_EQ(round[i].summary->visited, Keys(tree, "/n" + std::to_string(i)).size());
  }
  EXPECT_LE(reader.max_in_flight(), 6);
  EXPECT_GT(reader.max_in_flight(), 2);  // the jobs did share the window
}

// A walk of a kHold reader on its own thread, whose requests the test answers: Held() waits until n are
// held, Finish() answers every request until the walk returns and gives its summary.
class HeldWalk {
 public:
  HeldWalk(FakeZnodeTree& reader, const std::string& root) : reader_(reader) {
    thread_ = std::thread([this, root] {
      summary_ = WalkSubtree(reader_, root, WalkLimits{}, [](const WalkedZnode&) {});
      finished_ = true;
    });
  }
  HeldWalk(const HeldWalk&) = delete;
  HeldWalk& operator=(const HeldWalk&) = delete;
  ~HeldWalk() {
    if (thread_.joinable()) Finish();
  }

  // Waits (up to 5 s) until at least n requests are held; the test's next check says if they were.
  void Held(std::size_t n) {
    for (int i = 0; i < 5000 && reader_.held() < n; ++i) std::this_thread::sleep_for(milliseconds(1));
  }
  WalkSummary Finish() {
    while (!finished_) {
      if (reader_.ReleaseHeld() == 0) std::this_thread::sleep_for(milliseconds(1));
    }
    thread_.join();
    return summary_;
  }

 private:
  FakeZnodeTree& reader_;
  std::atomic<bool> finished_{false};
  WalkSummary summary_;
  std::thread thread_;
};

// A walk keeps to half of its reader's cap (the session's other requests must always find a slot), whatever
// its own max_in_flight or the window's starting size.
TEST(SubtreeWalkTest, AWalkKeepsToHalfItsReadersCap) {
  FakeZnodeTree reader(Answer::kHold);
  for (int i = 0; i < 100; ++i) reader.Create("/w/c" + std::to_string(i));
  reader.SetInFlightCap(16);
  const WalkSummary summary = HeldWalk(reader, "/w").Finish();
  ASSERT_TRUE(summary.status.ok());
  EXPECT_EQ(summary.visited, 101U);
  EXPECT_EQ(reader.max_in_flight(), 8);
}

// The window's floor is per session the reader spreads the walk over (32 each): over 16 sessions the walk
// puts 512 in flight as soon as the frontier allows, above the window's start of 256.
TEST(SubtreeWalkTest, TheWindowsFloorGrowsWithTheReadersSessions) {
  FakeZnodeTree reader(Answer::kHold);
  for (int i = 0; i < 2000; ++i) reader.Create("/w/c" + std::to_string(i));
  reader.SetWalkSessionsInUse(16);
  HeldWalk walk(reader, "/w");
  walk.Held(1);
  EXPECT_EQ(reader.ReleaseHeld(1), 1U);  // the root, with its 2,000 children
  walk.Held(512);
  std::this_thread::sleep_for(milliseconds(50));  // nothing more comes before replies do
  EXPECT_EQ(reader.held(), 512U);
  const WalkSummary summary = walk.Finish();
  ASSERT_TRUE(summary.status.ok());
  EXPECT_EQ(summary.visited, 2001U);
  EXPECT_GE(summary.in_flight_window, 512U);
}

// What a walk reports to its reader as busy (the walk-session count's input, ZnodeReader::NoteBusyWalk):
// replies received while its window was full or at least 128 requests were in flight. 200 chains of 10
// keep 200 in flight, below the first window (256), and count; 10 chains never do. Before, only a full
// window counted, and a deep tree's walk told the session count almost nothing.
TEST(SubtreeWalkTest, AWideFrontierBelowTheWindowCountsAsBusy) {
  for (const int chains : {200, 10}) {
    FakeZnodeTree reader(Answer::kWorkers);
    for (int c = 0; c < chains; ++c) reader.Create("/d/c" + std::to_string(c) + "/l/l/l/l/l/l/l/l/l");
    const WalkSummary summary = WalkSubtree(reader, "/d", WalkLimits{}, [](const WalkedZnode&) {});
    ASSERT_TRUE(summary.status.ok());
    ASSERT_EQ(summary.visited, 1u + 10u * static_cast<std::size_t>(chains));
    if (chains >= 128) {
      EXPECT_GE(reader.busy_replies(), summary.visited / 2) << chains << " chains";
    } else {
      EXPECT_EQ(reader.busy_replies(), 0u) << chains << " chains";
    }
  }
}

// Each job's timeout is its own: a job whose reader never answers times out, and the job beside it
// (another reader) finishes first and is reported as soon as it has ended, not at the round's end.
TEST(SubtreeWalkTest, ARoundTimesOutAJobAloneAndReportsEachJobWhenItEnds) {
  auto held = std::make_unique<FakeZnodeTree>(Answer::kHold);
  MakeTree(*held);
  FakeZnodeTree answering(Answer::kWorkers);
  const Stats tree = MakeTree(answering);
  WalkLimits quick;
  quick.timeout = milliseconds(1500);  // ample for the other job to finish first, even under TSan
  const std::vector<JobRecord> round = WalkRound({Job(*held, "/", quick), Job(answering, "/", WalkLimits{})});
  ASSERT_TRUE(round[0].summary && round[1].summary);
  EXPECT_TRUE(round[0].summary->truncated_timeout);
  EXPECT_EQ(round[0].summary->visited, 0u);
  ASSERT_TRUE(round[1].summary->status.ok());
  EXPECT_FALSE(round[1].summary->truncated());
  EXPECT_EQ(round[1].summary->visited, tree.size());
  EXPECT_EQ(round[1].done_order, 0);
  EXPECT_EQ(round[0].done_order, 1);
  held.reset();  // answers the held request after the round has returned
}

// A job waiting for the round's window spends none of its timeout: with a window of one held by a job whose
// reader never answers, the job behind it starts when that one times out, and then has its whole timeout.
// The job that timed out before its root was read fails: it says nothing about the subtree.
TEST(SubtreeWalkTest, ATimeoutRunsFromTheJobsFirstRequest) {
  auto held = std::make_unique<FakeZnodeTree>(Answer::kHold);
  MakeTree(*held);
  FakeZnodeTree answering(Answer::kWorkers);
  const Stats tree = MakeTree(answering);
  WalkLimits one;
  one.max_in_flight = 1;  // the round's window: one request
  WalkLimits held_limits = one;
  held_limits.timeout = milliseconds(300);
  WalkLimits short_limits = one;
  short_limits.timeout = milliseconds(5000);
  const std::vector<JobRecord> round =
      WalkRound({Job(*held, "/", held_limits), Job(answering, "/n1", short_limits)});
  ASSERT_TRUE(round[0].summary && round[1].summary);
  EXPECT_TRUE(round[0].summary->truncated_timeout);
  EXPECT_EQ(round[0].summary->status.code(), StatusCode::kDeadlineExceeded);
  EXPECT_EQ(round[0].summary->visited, 0u);
  ASSERT_TRUE(round[1].summary->status.ok()) << round[1].summary->status.ToString();
  EXPECT_FALSE(round[1].summary->truncated());
  EXPECT_EQ(round[1].summary->visited, Keys(tree, "/n1").size());
  EXPECT_EQ(round[0].done_order, 0);  // the second job could not start before the first ended
  held.reset();
}

// Time spent in `done` for one job is not counted against the others' timeouts.
TEST(SubtreeWalkTest, ASlowDoneSpendsNoOtherJobsTimeout) {
  FakeZnodeTree reader(Answer::kWorkers);
  const Stats tree = MakeTree(reader);
  WalkLimits quick;
  quick.timeout = milliseconds(1000);
  std::vector<WalkJob> jobs = {Job(reader, "/deep/d/d/d/d/d/d/d/d/d"), Job(reader, "/", quick)};
  for (WalkJob& job : jobs) job.visit = [](const WalkedZnode&) { return true; };
  std::vector<WalkSummary> summaries(2);
  WalkSubtrees(jobs, [&](std::size_t i, WalkSummary summary) {
    if (i == 0) std::this_thread::sleep_for(milliseconds(1500));  // e.g. an ACL audit of its own
    summaries[i] = std::move(summary);
  });
  EXPECT_TRUE(summaries[0].status.ok());
  ASSERT_TRUE(summaries[1].status.ok()) << summaries[1].status.ToString();
  EXPECT_FALSE(summaries[1].truncated_timeout);
  EXPECT_EQ(summaries[1].visited, tree.size());
}

TEST(SubtreeWalkTest, AnEmptyRoundReturnsAtOnce) {
  int calls = 0;
  WalkSubtrees({}, [&](std::size_t, WalkSummary) { ++calls; });
  EXPECT_EQ(calls, 0);
}

}  // namespace
}  // namespace zkx::zk
