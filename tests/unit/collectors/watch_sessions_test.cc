// Watch mode over several watch sessions (zk::WatchShards over in-memory members, one FakeZnodeTree each, all
// holding the same tree): a subtree larger than one session's budget stays in watch mode with each session's
// share under its own budget; a reconnect of any session resyncs it; a member that lags behind the one its
// parent was listed on loses no child; a fallback removes the watches on every session.
#include <algorithm>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include <gtest/gtest.h>

#include "collectors/subtree_refresher.h"
#include "collectors/watch_budget.h"
#include "tests/support/fake_znode_tree.h"
#include "zk/watch_shards.h"

namespace zkx::collectors {
namespace {

using std::chrono::milliseconds;
using test::FakeZnodeTree;
using Versions = std::map<std::string, std::tuple<int32_t, int32_t, int32_t>>;

SubtreeSpec WatchSpec(const std::string& root) {
  SubtreeSpec s;
  s.root = root;
  s.refresh_mode = RefreshMode::kWatch;
  s.refresh_interval = milliseconds(100);
  s.resync_interval = std::chrono::hours(1);  // only reconnects resync
  s.znode_patterns = {root + "/**"};
  s.max_znode_series = 100000;
  return s;
}

// `n` members with the same tree, edited in the same order (a lagging one later); member 0 is the primary
// and answers the plain reads.
struct Members {
  // `held`: members that answer only when the test releases their requests (FakeZnodeTree::Answer::kHold).
  explicit Members(std::size_t n, const std::set<std::size_t>& held = {}) {
    for (std::size_t i = 0; i < n; ++i) {
      trees.push_back(std::make_unique<FakeZnodeTree>(held.count(i) > 0 ? FakeZnodeTree::Answer::kHold
                                                                        : FakeZnodeTree::Answer::kInline));
    }
    std::vector<zk::ZnodeReader*> readers;
    for (auto& t : trees) readers.push_back(t.get());
    shards = std::make_unique<zk::WatchShards>(trees[0].get(), readers);
  }
  void OnAll(const std::function<void(FakeZnodeTree&)>& edit) {
    for (auto& t : trees) edit(*t);
  }
  FakeZnodeTree& operator[](std::size_t i) { return *trees[i]; }
  std::size_t ShardOf(const std::string& path) const { return shards->WatchShardOf(path); }
  // A child name under `parent` whose watches live on `shard`.
  std::string ChildOnShard(const std::string& parent, const std::string& prefix, std::size_t shard) const {
    for (int i = 0;; ++i) {
      const std::string path = parent + "/" + prefix + std::to_string(i);
      if (ShardOf(path) == shard) return path;
    }
  }
  // Watches each member should hold for a mirror of `expected`: a data and a child watch per znode on its
  // shard.
  std::vector<std::size_t> WatchesFor(const Versions& expected) const {
    std::vector<std::size_t> out(trees.size(), 0);
    for (const auto& [path, v] : expected) out[ShardOf(path)] += 2;
    return out;
  }
  // The znodes of `expected` that miss a data or a child watch on their shard's member.
  std::vector<std::string> Unwatched(const Versions& expected) const {
    std::vector<std::string> out;
    for (const auto& [path, v] : expected) {
      const FakeZnodeTree& t = *trees[ShardOf(path)];
      if (!t.HasDataWatch(path) || !t.HasChildWatch(path)) out.push_back(path);
    }
    return out;
  }
  std::vector<std::size_t> Watches() const {
    std::vector<std::size_t> out;
    for (const auto& t : trees) out.push_back(t->watches());
    return out;
  }
  std::vector<std::unique_ptr<FakeZnodeTree>> trees;
  std::unique_ptr<zk::WatchShards> shards;
};

Versions Expected(const FakeZnodeTree& zk, const std::string& root) {
  Versions out;
  for (const auto& [path, stat] : zk.Stats(root))
    out[path] = {stat.version, stat.cversion, stat.num_children};
  return out;
}

Versions Published(const SubtreeRefresher& r) {
  Versions out;
  auto view = r.View();
  if (!view->last_success) return out;
  for (const auto& z : view->last_success->znode_samples) {
    out[z.path] = {z.stat.version, z.stat.cversion, z.stat.num_children};
  }
  return out;
}

bool Eventually(const std::function<bool()>& done, milliseconds timeout = milliseconds(10000)) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (done()) return true;
    std::this_thread::sleep_for(milliseconds(10));
  }
  return done();
}

// Converged, or what differs: (version, cversion, children) published against the tree's.
testing::AssertionResult Converges(const FakeZnodeTree& zk, const SubtreeRefresher& r,
                                   const std::string& root) {
  if (Eventually([&] { return Published(r) == Expected(zk, root); })) return testing::AssertionSuccess();
  const Versions got = Published(r);
  const Versions want = Expected(zk, root);
  auto failure = testing::AssertionFailure();
  auto show = [](const Versions& v, const std::string& path) {
    auto it = v.find(path);
    if (it == v.end()) return std::string("absent");
    const auto& [version, cversion, children] = it->second;
    return std::to_string(version) + "/" + std::to_string(cversion) + "/" + std::to_string(children);
  };
  std::set<std::string> paths;
  for (const auto& [path, v] : got) paths.insert(path);
  for (const auto& [path, v] : want) paths.insert(path);
  for (const std::string& path : paths) {
    if (show(got, path) != show(want, path))
      failure << path << ": published " << show(got, path) << ", tree " << show(want, path) << "; ";
  }
  return failure;
}

// /r, /r/n0..n9, each with c0..c9: 111 znodes, ~1.9 KB of watched paths (2 x (4 + ~9) each).
void BuildTree(FakeZnodeTree& zk) {
  zk.Create("/r");
  for (int i = 0; i < 10; ++i) {
    for (int j = 0; j < 10; ++j) zk.Create("/r/n" + std::to_string(i) + "/c" + std::to_string(j), "data");
  }
}

std::unique_ptr<SubtreeRefresher> StartRefresher(Members& m, WatchBudget* budget, const SubtreeSpec& spec) {
  auto r = std::make_unique<SubtreeRefresher>(
      spec, m.trees[0].get(), [] { return true; }, budget, nullptr,
      WatchSessions{m.shards.get(), [] { return true; }});
  r->Start();
  return r;
}

TEST(WatchSessionsTest, ASubtreeOverOneSessionsBudgetStaysInWatchModeOverThree) {
  // One session cannot hold the tree: it is polled.
  {
    FakeZnodeTree zk;
    BuildTree(zk);
    WatchBudget one(1000);
    SubtreeRefresher r(
        WatchSpec("/r"), &zk, [] { return true; }, &one);
    r.Start();
    ASSERT_TRUE(Eventually([&] { return r.View()->watch.mode == RefreshMode::kPoll; }));
  }
  Members m(3);
  m.OnAll(BuildTree);
  WatchBudget budget(1000, 0, 3);
  auto r = StartRefresher(m, &budget, WatchSpec("/r"));
  ASSERT_TRUE(Converges(m[0], *r, "/r"));
  EXPECT_EQ(r->View()->watch.mode, RefreshMode::kWatch);
  const Versions expected = Expected(m[0], "/r");
  EXPECT_EQ(m.Watches(), m.WatchesFor(expected));
  std::size_t total = 0;
  for (std::size_t i = 0; i < 3; ++i) {
    EXPECT_GT(budget.used(i), 0u) << "session " << i;
    EXPECT_LE(budget.used(i), 1000u) << "session " << i;
    total += budget.used(i);
  }
  EXPECT_GT(total, 1000u);  // more than one session could hold
  EXPECT_EQ(r->View()->watch.watched_bytes, total);

  // Changes are followed through the events of every session, without a walk.
  m.OnAll([](FakeZnodeTree& t) {
    for (int i = 0; i < 10; ++i) t.Set("/r/n" + std::to_string(i) + "/c3", "changed");
    t.Delete("/r/n4");
    t.Create("/r/n4/again");
  });
  ASSERT_TRUE(Converges(m[0], *r, "/r"));
  EXPECT_EQ(r->View()->refreshes_total, 1u);
  // Nine of the ten changed znodes survive; /r/n4/c3 goes with /r/n4, whose deletion may reach the mirror
  // (through another session's events or listing) before its data change does.
  EXPECT_GE(r->View()->watch.data_changed_total, 9u);
  // Every mirrored znode is watched on its own session (the fake, unlike zk::Session, also keeps the
  // exists-watches reads leave on znodes deleted meanwhile: at least, not exactly).
  EXPECT_TRUE(Eventually([&] { return m.Unwatched(Expected(m[0], "/r")).empty(); }))
      << "unwatched: " << testing::PrintToString(m.Unwatched(Expected(m[0], "/r")));
  r->Stop();
  EXPECT_EQ(budget.used(), 0u);
}

TEST(WatchSessionsTest, AReconnectOfAnySessionResyncsAndRearmsItsWatches) {
  Members m(3);
  m.OnAll(BuildTree);
  WatchBudget budget(WatchBudget::kDefaultLimit, 0, 3);
  auto r = StartRefresher(m, &budget, WatchSpec("/r"));
  ASSERT_TRUE(Converges(m[0], *r, "/r"));
  // Session 2 expires: its watches are gone, changes meanwhile fire nothing there.
  m[2].LoseWatches();
  m.OnAll([](FakeZnodeTree& t) {
    for (int i = 0; i < 10; ++i) {
      t.Set("/r/n" + std::to_string(i), "x");
      t.Create("/r/n" + std::to_string(i) + "/new");
    }
  });
  m[2].Reconnect();
  ASSERT_TRUE(Converges(m[0], *r, "/r"));
  EXPECT_EQ(r->View()->watch.resyncs_total, 2u);
  EXPECT_TRUE(Eventually([&] { return m.Watches() == m.WatchesFor(Expected(m[0], "/r")); }));
  // Session 2's watches work again: a change on one of its paths is seen without a walk.
  const std::string on_2 = m.ChildOnShard("/r/n1", "late", 2);
  m.OnAll([&](FakeZnodeTree& t) { t.Create(on_2); });
  m.OnAll([&](FakeZnodeTree& t) { t.Set(on_2, "y"); });
  ASSERT_TRUE(Converges(m[0], *r, "/r"));
  EXPECT_EQ(r->View()->refreshes_total, 2u);
}

// The parent is listed on its own session's member, which has applied a creation that the child's
// session's member has not: the child's read there answers kNotFound. It must appear once that member
// catches up, without a resync.
TEST(WatchSessionsTest, AChildALaggingMemberLacksAppearsWhenItCatchesUp) {
  Members m(2);
  m.OnAll(BuildTree);
  const std::string parent = "/r/n" + std::to_string([&] {
                               for (int i = 0;; ++i) {
                                 if (m.ShardOf("/r/n" + std::to_string(i)) == 0) return i;
                               }
                             }());
  WatchBudget budget(WatchBudget::kDefaultLimit, 0, 2);
  auto r = StartRefresher(m, &budget, WatchSpec("/r"));
  ASSERT_TRUE(Converges(m[0], *r, "/r"));

  // Incremental: member 0 (the parent's) has the new child, member 1 (the child's) not yet.
  const std::string child = m.ChildOnShard(parent, "fresh", 1);
  m[0].Create(child, "v");
  ASSERT_TRUE(Eventually([&] { return r->View()->watch.children_changed_total >= 1; }));
  std::this_thread::sleep_for(milliseconds(300));
  EXPECT_EQ(Published(*r).count(child), 0u);  // member 1 answered kNotFound
  m[1].Create(child, "v");                    // member 1 catches up: kCreated on its exists-watch
  ASSERT_TRUE(Converges(m[0], *r, "/r"));
  EXPECT_EQ(r->View()->refreshes_total, 1u);  // no walk needed
  EXPECT_TRUE(Eventually([&] { return m.Watches() == m.WatchesFor(Expected(m[0], "/r")); }));
  r->Stop();

  // During a full sync: the walk lists the parent on member 0 and misses the child on member 1.
  const std::string other = m.ChildOnShard(parent, "during-sync", 1);
  m[0].Create(other);
  auto again = StartRefresher(m, &budget, WatchSpec("/r"));
  ASSERT_TRUE(Eventually([&] { return again->View()->last_success != nullptr; }));
  std::this_thread::sleep_for(milliseconds(300));
  EXPECT_EQ(Published(*again).count(other), 0u);
  m[1].Create(other);
  ASSERT_TRUE(Converges(m[0], *again, "/r"));
  EXPECT_EQ(again->View()->refreshes_total, 1u);
}

// The other way round: the parent's member lags behind a deletion the child's member applied. The stale
// listing names a child its session cannot find; once the parent's member catches up, the child's
// exists-watch is removed again.
TEST(WatchSessionsTest, AStaleListingLeavesNoWatchBehind) {
  Members m(2);
  m.OnAll(BuildTree);
  int parent_index = 0;
  while (m.ShardOf("/r/n" + std::to_string(parent_index)) != 0) ++parent_index;
  const std::string parent = "/r/n" + std::to_string(parent_index);
  const std::string child = m.ChildOnShard(parent, "gone", 1);
  m.OnAll([&](FakeZnodeTree& t) { t.Create(child); });
  WatchBudget budget(WatchBudget::kDefaultLimit, 0, 2);
  auto r = StartRefresher(m, &budget, WatchSpec("/r"));
  ASSERT_TRUE(Converges(m[0], *r, "/r"));
  ASSERT_EQ(Published(*r).count(child), 1u);

  m[1].Delete(child);  // the child's member first: its watches fire kDeleted
  ASSERT_TRUE(Eventually([&] { return Published(*r).count(child) == 0; }));
  // The parent's member, still with the child, lists it again (its child watch fired for another reason).
  m[0].Deliver(zk::WatchEvent{zk::WatchEventType::kChildrenChanged, parent, m.shards->SessionEpoch()});
  std::this_thread::sleep_for(milliseconds(300));
  EXPECT_EQ(Published(*r).count(child), 0u);  // not found on its own member: not mirrored
  m[0].Delete(child);                         // the parent's member catches up: its child watch fires
  ASSERT_TRUE(Converges(m[0], *r, "/r"));
  EXPECT_TRUE(Eventually([&] { return m.Watches() == m.WatchesFor(Expected(m[0], "/r")); }))
      << "member 1 holds " << m[1].watches() << " watches";
  EXPECT_TRUE(Eventually([&] { return budget.used() == r->View()->watch.watched_bytes; }));
}

// A full sync that fails (a lost connection) after its walk left an exists-watch on `child`, which its own
// session's member (1) lacks: member 1 applied its deletion, the parent's member (0) not yet. The walk
// reaches `deep` last, and member 1 fails it. The sizing walk before reads from member 0 and succeeds.
struct FailedSync {
  explicit FailedSync(Members& m) {
    int parent_index = 0;
    while (m.ShardOf("/r/n" + std::to_string(parent_index)) != 0) ++parent_index;
    child = m.ChildOnShard("/r/n" + std::to_string(parent_index), "gone", 1);
    m[0].Create(child);
    deep = m.ChildOnShard("/r/zz/a/b", "c", 1);
    m.OnAll([&](FakeZnodeTree& t) { t.Create(deep); });
    m[1].FailWith(deep, Status::Unavailable("connection loss"));
  }
  std::string child;
  std::string deep;
};

// The exists-watch must not outlive the failed sync unaccounted (seen on the real ensemble: 7 such watches
// stayed armed through a fallback). Once the child is gone for good, the next sync removes it; a fallback
// removes it too.
TEST(WatchSessionsTest, AFailedSyncLeavesNoWatchBehind) {
  Members m(2);
  m.OnAll(BuildTree);
  const FailedSync failed(m);
  WatchBudget budget(WatchBudget::kDefaultLimit, 0, 2);
  auto r = StartRefresher(m, &budget, WatchSpec("/r"));
  ASSERT_TRUE(Eventually([&] { return !r->View()->last_status.ok(); }));
  ASSERT_TRUE(m[1].HasDataWatch(failed.child));  // the exists-watch the failed sync's read left

  m[1].Heal(failed.deep);
  m[0].Delete(failed.child);  // member 0 catches up
  ASSERT_TRUE(Converges(m[0], *r, "/r"));
  EXPECT_TRUE(Eventually([&] { return m.Watches() == m.WatchesFor(Expected(m[0], "/r")); }))
      << "member 1 holds " << m[1].watches() << " watches, the child's exists-watch "
      << (m[1].HasDataWatch(failed.child) ? "among them" : "not");
  EXPECT_TRUE(Eventually([&] { return budget.used() == r->View()->watch.watched_bytes; }));
  r->Stop();
  EXPECT_EQ(budget.used(), 0u);
}

TEST(WatchSessionsTest, AFallbackAfterAFailedSyncLeavesNoWatchBehind) {
  Members m(3);
  m.OnAll(BuildTree);
  const FailedSync failed(m);
  WatchBudget budget(1200, 0, 3);  // ~1,000 bytes on each session, and 30 more znodes on one do not fit
  auto r = StartRefresher(m, &budget, WatchSpec("/r"));
  ASSERT_TRUE(Eventually([&] { return !r->View()->last_status.ok(); }));
  ASSERT_TRUE(m[1].HasDataWatch(failed.child));

  // Grown past session 1's budget meanwhile: the next sync's sizing walk falls back.
  m.OnAll([&](FakeZnodeTree& t) {
    for (int i = 0; i < 30; ++i) t.Create(m.ChildOnShard("/r/n0", "grow" + std::to_string(i) + "-", 1));
  });
  ASSERT_TRUE(Eventually([&] { return r->View()->watch.mode == RefreshMode::kPoll; }));
  EXPECT_TRUE(Eventually([&] { return m.Watches() == std::vector<std::size_t>(3, 0); }))
      << m[0].watches() << " " << m[1].watches() << " " << m[2].watches() << ", the child's exists-watch "
      << (m[1].HasDataWatch(failed.child) ? "among them" : "not");
  EXPECT_EQ(budget.used(), 0u);
}

// The sync fails while reads on another session are still in flight: those reads arm their watches after
// the walk gave up, never visited. A fallback before the next sync succeeds must remove them too.
TEST(WatchSessionsTest, AFallbackRemovesTheWatchesOfReadsAFailedSyncGaveUpOn) {
  // `held` (neither the plain reader, member 0, nor the root's member) answers when the test says.
  const std::size_t root_shard = zk::WatchShards::ShardOf("/r", 3);
  const std::size_t held = root_shard == 1 ? 2 : 1;
  Members m(3, {held});
  m.OnAll(BuildTree);
  int bad = 0;
  while (m.ShardOf("/r/n" + std::to_string(bad)) != held) ++bad;
  const std::string failing = "/r/n" + std::to_string(bad);
  m[held].FailWith(failing, Status::Unavailable("connection loss"));
  WatchBudget budget(1200, 0, 3);
  auto r = StartRefresher(m, &budget, WatchSpec("/r"));
  // The watched walk waits for `held`'s replies alone.
  std::size_t waiting = 0;
  ASSERT_TRUE(Eventually([&] {
    const std::size_t now = m[held].held();
    const bool settled = now > 0 && now == waiting;
    waiting = now;
    std::this_thread::sleep_for(milliseconds(100));
    return settled;
  }));
  // Grown past one session's budget meanwhile: the retry's sizing walk will fall back.
  m.OnAll([&](FakeZnodeTree& t) {
    for (int i = 0; i < 30; ++i) t.Create(m.ChildOnShard("/r/n0", "grow" + std::to_string(i) + "-", 0));
  });
  // Answer `held`'s requests up to the failing listing: the walk gives up with the rest still in flight.
  const std::vector<std::string> asked = m[held].requested_paths();
  const auto last = std::find(asked.rbegin(), asked.rend(), failing);
  ASSERT_NE(last, asked.rend());
  const auto through = static_cast<std::size_t>(asked.rend() - last);
  ASSERT_LT(through, asked.size());
  m[held].ReleaseHeld(through);
  ASSERT_TRUE(Eventually([&] { return r->View()->watch.mode == RefreshMode::kPoll; }));
  // The reads it gave up on land now (arming their watches), then the fallback's removals queued behind them.
  m[held].ReleaseHeld();
  EXPECT_TRUE(Eventually([&] { return m.Watches() == std::vector<std::size_t>(3, 0); }))
      << m[0].watches() << " " << m[1].watches() << " " << m[2].watches();
  EXPECT_EQ(budget.used(), 0u);
}

TEST(WatchSessionsTest, FallingBackRemovesTheWatchesOnEverySession) {
  Members m(3);
  m.OnAll(BuildTree);
  WatchBudget budget(1000, 0, 3);
  auto r = StartRefresher(m, &budget, WatchSpec("/r"));
  ASSERT_TRUE(Converges(m[0], *r, "/r"));
  ASSERT_EQ(r->View()->watch.mode, RefreshMode::kWatch);
  for (std::size_t i = 0; i < 3; ++i) ASSERT_GT(m[i].watches(), 0u);
  // Grows past the budget of one session (the new znodes all land on session 1).
  m.OnAll([&](FakeZnodeTree& t) {
    for (int i = 0; i < 30; ++i) t.Create(m.ChildOnShard("/r/n0", "grow" + std::to_string(i) + "-", 1));
  });
  ASSERT_TRUE(Eventually([&] { return r->View()->watch.mode == RefreshMode::kPoll; }));
  EXPECT_TRUE(Eventually([&] { return m.Watches() == std::vector<std::size_t>(3, 0); }))
      << m[0].watches() << " " << m[1].watches() << " " << m[2].watches();
  EXPECT_EQ(budget.used(), 0u);
  ASSERT_TRUE(Converges(m[0], *r, "/r"));  // polled from now on
}

}  // namespace
}  // namespace zkx::collectors
