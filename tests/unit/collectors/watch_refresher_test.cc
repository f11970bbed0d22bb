// Watch mode against an in-memory ZooKeeper with one-shot watches (FakeZnodeTree): the published snapshot
// converges to the tree through bursts of changes, a lost session (watches gone, kResync), a deleted and
// re-created root, and the budget fallback to poll.
#include "collectors/watch_refresher.h"

#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <string>
#include <thread>
#include <tuple>

#include <gtest/gtest.h>

#include "collectors/subtree_refresher.h"
#include "tests/support/fake_znode_tree.h"
#include "tests/support/wait_and_ports.h"

namespace zkx::collectors {
namespace {

using std::chrono::milliseconds;

using test::FakeZnodeTree;
using Versions = std::map<std::string, std::tuple<int32_t, int32_t, int32_t>>;

// path -> (version, cversion, children) of every znode at or below `root`.
Versions Expected(const FakeZnodeTree& zk, const std::string& root) {
  Versions out;
  for (const auto& [path, stat] : zk.Stats(root))
    out[path] = {stat.version, stat.cversion, stat.num_children};
  return out;
}

SubtreeSpec WatchSpec(const std::string& root) {
  SubtreeSpec s;
  s.root = root;
  s.refresh_mode = RefreshMode::kWatch;
  s.refresh_interval = milliseconds(100);  // the poll interval after a fallback
  s.resync_interval = std::chrono::hours(1);
  s.znode_patterns = {root + "/**"};
  s.max_znode_series = 100000;
  return s;
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

bool Converges(const FakeZnodeTree& zk, const SubtreeRefresher& r, const std::string& root) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (std::chrono::steady_clock::now() < deadline) {
    if (Published(r) == Expected(zk, root)) return true;
    std::this_thread::sleep_for(milliseconds(10));
  }
  return false;
}

void BuildTree(FakeZnodeTree& zk) {
  zk.Create("/r");
  for (int i = 0; i < 10; ++i) {
    zk.Create("/r/n" + std::to_string(i));
    for (int j = 0; j < 5; ++j)
      zk.Create("/r/n" + std::to_string(i) + "/c" + std::to_string(j), "0123456789");
  }
  zk.Create("/other");
}

// Stop() from two threads at once (a shutdown path and the destructor, say): the watch thread is joined
// once and both calls return.
TEST(WatchRefresherTest, ConcurrentStopsJoinTheWatchThreadOnce) {
  for (int i = 0; i < 20; ++i) {
    FakeZnodeTree zk;
    BuildTree(zk);
    WatchBudget budget;
    SubtreeRefresher r(
        WatchSpec("/r"), &zk, [] { return true; }, &budget);
    r.Start();
    std::atomic<bool> go{false};
    auto stop = [&] {
      while (!go.load()) std::this_thread::yield();
      r.Stop();
    };
    std::thread first(stop);
    std::thread second(stop);
    go.store(true);
    first.join();
    second.join();
    EXPECT_EQ(budget.used(), 0u);  // the watch share was returned, once
  }
}

TEST(WatchRefresherTest, ConvergesThroughBurstsOfChanges) {
  FakeZnodeTree zk;
  BuildTree(zk);
  WatchBudget budget;
  SubtreeRefresher r(
      WatchSpec("/r"), &zk, [] { return true; }, &budget);
  r.Start();
  ASSERT_TRUE(Converges(zk, r, "/r"));
  EXPECT_EQ(r.View()->watch.mode, RefreshMode::kWatch);
  EXPECT_GT(budget.used(), 0u);
  EXPECT_EQ(r.View()->refreshes_total, 1u);

  for (int i = 0; i < 10; ++i) {
    zk.Create("/r/new" + std::to_string(i));
    zk.Create("/r/new" + std::to_string(i) + "/leaf");
    zk.Set("/r/n" + std::to_string(i) + "/c0", std::to_string(20 + i));
  }
  zk.Delete("/r/n3");
  zk.Delete("/r/n7/c4");
  zk.Create("/r/n3");  // re-created under the same name, empty
  zk.Create("/other/ignored");
  ASSERT_TRUE(Converges(zk, r, "/r"));

  const WatchState w = r.View()->watch;
  EXPECT_EQ(w.created_total, 21u);  // 10 + 10 leaves + the new /r/n3
  EXPECT_EQ(w.deleted_total, 7u);   // /r/n3 + its 5 children, /r/n7/c4
  EXPECT_GE(w.data_changed_total, 10u);
  EXPECT_GE(w.children_changed_total, 1u);
  EXPECT_EQ(r.View()->refreshes_total, 1u);  // no full walk was needed
  EXPECT_EQ(r.View()->watch.watched_bytes, budget.used());
  r.Stop();
  EXPECT_EQ(budget.used(), 0u);
}

TEST(WatchRefresherTest, ResyncsAfterTheSessionLostItsWatches) {
  FakeZnodeTree zk;
  BuildTree(zk);
  WatchBudget budget;
  SubtreeRefresher r(
      WatchSpec("/r"), &zk, [] { return true; }, &budget);
  r.Start();
  ASSERT_TRUE(Converges(zk, r, "/r"));
  zk.LoseWatches();
  zk.Create("/r/silent");  // no watch left: no event
  zk.Set("/r/n1", "99");
  zk.Delete("/r/n2");
  std::this_thread::sleep_for(milliseconds(300));
  EXPECT_NE(Published(r), Expected(zk, "/r"));  // nothing told the mirror
  zk.Reconnect();
  ASSERT_TRUE(Converges(zk, r, "/r"));
  EXPECT_EQ(r.View()->refreshes_total, 2u);
  EXPECT_EQ(r.View()->watch.resyncs_total, 2u);
  // Watches are back: a change is seen again without a walk.
  zk.Set("/r/silent", "5");
  ASSERT_TRUE(Converges(zk, r, "/r"));
  EXPECT_EQ(r.View()->refreshes_total, 2u);
}

TEST(WatchRefresherTest, DeletedAndRecreatedRootIsTrackedAgain) {
  FakeZnodeTree zk;
  BuildTree(zk);
  WatchBudget budget;
  SubtreeRefresher r(
      WatchSpec("/r"), &zk, [] { return true; }, &budget);
  r.Start();
  ASSERT_TRUE(Converges(zk, r, "/r"));
  zk.Delete("/r");
  ASSERT_TRUE(Converges(zk, r, "/r"));
  EXPECT_FALSE(r.View()->last_success->root_exists);
  zk.Create("/r");
  zk.Create("/r/back");
  ASSERT_TRUE(Converges(zk, r, "/r"));
  EXPECT_TRUE(r.View()->last_success->root_exists);
  zk.Create("/r/back/again");
  ASSERT_TRUE(Converges(zk, r, "/r"));
  EXPECT_EQ(r.View()->watch.mode, RefreshMode::kWatch);
}

// kHold: answers whatever is held until `done` (the refresher's thread issues requests as it goes); false if
// it did not come within ~5 s.
bool ReleaseUntil(FakeZnodeTree& zk, const std::function<bool()>& done) {
  for (int i = 0; i < 1000; ++i) {
    if (done()) return true;
    zk.ReleaseHeld();
    std::this_thread::sleep_for(milliseconds(5));
  }
  return done();
}

// kHold: waits (~5 s at most) until at least `n` requests are held; true if they are.
bool WaitHeld(const FakeZnodeTree& zk, std::size_t n) {
  for (int i = 0; i < 1000 && zk.held() < n; ++i) std::this_thread::sleep_for(milliseconds(5));
  return zk.held() >= n;
}

// kHold: the refresher converges with `path` data- and child-watched, and a later change of `path`'s data
// reaches the published snapshot.
void ExpectConvergedAndWatched(FakeZnodeTree& zk, const SubtreeRefresher& r, const std::string& path) {
  const std::string root = "/r";
  ASSERT_TRUE(ReleaseUntil(zk, [&] { return Published(r) == Expected(zk, root); }));
  EXPECT_TRUE(ReleaseUntil(zk, [&] { return zk.HasDataWatch(path) && zk.HasChildWatch(path); }));
  zk.Set(path, "seen");
  EXPECT_TRUE(ReleaseUntil(zk, [&] { return Published(r) == Expected(zk, root); }));
}

// A new child is deleted and re-created between its parent's listing and the read that arms its data watch:
// that read leaves an exists-watch on the missing znode, which the re-creation uses up before the child's
// listing adds it to the mirror. The refresher arms the data watch again (else later changes go unseen).
TEST(WatchRefresherTest, AChildRecreatedDuringItsFirstReadKeepsItsDataWatch) {
  FakeZnodeTree zk(FakeZnodeTree::Answer::kHold);
  zk.Create("/r");
  WatchBudget budget;
  SubtreeRefresher r(
      WatchSpec("/r"), &zk, [] { return true; }, &budget);
  r.Start();
  ASSERT_TRUE(ReleaseUntil(zk, [&] { return Published(r) == Expected(zk, "/r"); }));
  zk.Create("/r/x");  // fires /r's child watch: the refresher lists /r again
  ASSERT_TRUE(WaitHeld(zk, 1));
  // /r's listing names x: its first read (exists, then children) follows. One at most: with no bound,
  // ReleaseHeld would also answer that read if the refresher sent it before the queue ran dry.
  ASSERT_EQ(zk.ReleaseHeld(1), 1u);
  ASSERT_TRUE(WaitHeld(zk, 2));
  ASSERT_EQ(zk.held(), 2u);
  zk.Delete("/r/x");
  ASSERT_EQ(zk.ReleaseHeld(1), 1u);  // the exists finds x missing: an exists-watch on it
  zk.Create("/r/x");                 // ... which this creation fires and uses up
  ExpectConvergedAndWatched(zk, r, "/r/x");
  r.Stop();
}

// A re-listing of a znode (its child watch fired) is answered after the znode was deleted (its data watch
// fired, the mirror dropped it) and re-created: the listing brings it back, and its data watch is armed
// again.
TEST(WatchRefresherTest, AZnodeRecreatedWhileBeingRelistedKeepsItsDataWatch) {
  FakeZnodeTree zk(FakeZnodeTree::Answer::kHold);
  zk.Create("/r/a/c");
  WatchBudget budget;
  SubtreeRefresher r(
      WatchSpec("/r"), &zk, [] { return true; }, &budget);
  r.Start();
  ASSERT_TRUE(ReleaseUntil(zk, [&] { return Published(r) == Expected(zk, "/r"); }));
  zk.Create("/r/a/d");  // fires /r/a's child watch: the refresher lists /r/a again (held)
  ASSERT_TRUE(WaitHeld(zk, 1));
  ASSERT_EQ(zk.held(), 1u);
  zk.Delete("/r/a");  // fires /r/a's data watch (kDeleted) and /r's child watch
  for (int i = 0; i < 1000 && Published(r).contains("/r/a"); ++i)
    std::this_thread::sleep_for(milliseconds(5));
  ASSERT_FALSE(Published(r).contains("/r/a"));
  zk.Create("/r/a");
  ASSERT_EQ(zk.ReleaseHeld(1), 1u);  // the listing of /r/a: found again
  ExpectConvergedAndWatched(zk, r, "/r/a");
  r.Stop();
}

TEST(WatchRefresherTest, MissingRootAtStartIsTrackedOnceCreated) {
  FakeZnodeTree zk;
  WatchBudget budget;
  SubtreeRefresher r(
      WatchSpec("/r"), &zk, [] { return true; }, &budget);
  r.Start();
  for (int i = 0; i < 500 && r.View()->last_success == nullptr; ++i)
    std::this_thread::sleep_for(milliseconds(10));
  ASSERT_NE(r.View()->last_success, nullptr);
  EXPECT_FALSE(r.View()->last_success->root_exists);
  zk.Create("/r");
  zk.Create("/r/x");
  ASSERT_TRUE(Converges(zk, r, "/r"));
}

// An unreadable znode (an ACL without READ for us, as on a secured ensemble): exists checks no ACL, so the
// reads that would mirror it arm its data watch while its listing answers kPermissionDenied. Neither a full
// sync nor the read of a new child may leave that watch behind: nothing mirrors it and the budget does not
// count it.
TEST(WatchRefresherTest, AnUnreadableZnodeKeepsNoWatch) {
  FakeZnodeTree zk;
  zk.Create("/r/open/c");
  zk.Create("/r/closed/below");
  zk.Deny("/r/closed");
  WatchBudget budget;
  SubtreeRefresher r(
      WatchSpec("/r"), &zk, [] { return true; }, &budget);
  r.Start();
  // Published: the tree but the unreadable znodes and what is below them. Watched: a data and a child watch
  // on each of /r, /r/open and /r/open/c, and none on the unreadable ones.
  auto settled = [&](const std::string& unreadable) {
    return test::WaitFor(
        [&] {
          Versions readable = Expected(zk, "/r");
          std::erase_if(readable, [](const auto& z) {
            return z.first.starts_with("/r/closed") || z.first.starts_with("/r/hidden");
          });
          return Published(r) == readable && zk.watches() == 6 && !zk.HasDataWatch(unreadable);
        },
        std::chrono::seconds(10), milliseconds(10));
  };
  EXPECT_TRUE(settled("/r/closed")) << zk.watches() << " watches";
  zk.Deny("/r/hidden");
  zk.Create("/r/hidden");  // fires /r's child watch: the refresher reads the new child
  EXPECT_TRUE(settled("/r/hidden")) << zk.watches() << " watches";
  EXPECT_FALSE(zk.HasDataWatch("/r/closed"));
  EXPECT_EQ(r.View()->watch.mode, RefreshMode::kWatch);
  r.Stop();
}

// A subtree that a reload drops while its session stays: Retire() removes every watch it armed before it
// returns. Stop() leaves them, for the session's close to drop.
TEST(WatchRefresherTest, RetiringRemovesItsWatchesStoppingLeavesThem) {
  constexpr std::size_t kZnodes = 61;  // BuildTree: /r, 10 children, 50 grandchildren
  for (const bool retire : {false, true}) {
    SCOPED_TRACE(retire ? "Retire" : "Stop");
    FakeZnodeTree zk;
    BuildTree(zk);
    WatchBudget budget;
    SubtreeRefresher r(
        WatchSpec("/r"), &zk, [] { return true; }, &budget);
    r.Start();
    ASSERT_TRUE(Converges(zk, r, "/r"));
    ASSERT_TRUE(test::WaitFor([&] { return zk.watches() == 2 * kZnodes; }, std::chrono::seconds(10)))
        << zk.watches() << " watches";
    if (retire) {
      r.Retire();
    } else {
      r.Stop();
    }
    EXPECT_EQ(budget.used(), 0u);
    EXPECT_EQ(zk.watches(), retire ? 0u : 2 * kZnodes);
    EXPECT_EQ(zk.requests(FakeZnodeTree::Op::kRemoveWatches), retire ? static_cast<int>(kZnodes) : 0);
  }
}

TEST(WatchRefresherTest, FallsBackToPollOverTheBudget) {
  FakeZnodeTree zk;
  BuildTree(zk);
  WatchBudget budget(200);  // the tree needs ~1.2 KB of watched paths
  SubtreeRefresher r(
      WatchSpec("/r"), &zk, [] { return true; }, &budget);
  r.Start();
  ASSERT_TRUE(Converges(zk, r, "/r"));
  ASSERT_TRUE([&] {
    for (int i = 0; i < 500 && r.View()->watch.mode != RefreshMode::kPoll; ++i)
      std::this_thread::sleep_for(milliseconds(10));
    return r.View()->watch.mode == RefreshMode::kPoll;
  }());
  EXPECT_EQ(r.View()->configured_mode, RefreshMode::kWatch);
  EXPECT_EQ(budget.used(), 0u);
  EXPECT_EQ(zk.watches(), 0u);  // the sizing walk sets none
  zk.Create("/r/polled");       // poll mode still sees changes, every refresh_interval
  ASSERT_TRUE(Converges(zk, r, "/r"));
}

TEST(WatchRefresherTest, GrowingPastTheBudgetFallsBack) {
  FakeZnodeTree zk;
  zk.Create("/r");
  WatchBudget budget(300);
  SubtreeRefresher r(
      WatchSpec("/r"), &zk, [] { return true; }, &budget);
  r.Start();
  ASSERT_TRUE(Converges(zk, r, "/r"));
  EXPECT_EQ(r.View()->watch.mode, RefreshMode::kWatch);
  for (int i = 0; i < 20; ++i) zk.Create("/r/child-" + std::to_string(i));
  ASSERT_TRUE(Converges(zk, r, "/r"));
  EXPECT_EQ(r.View()->watch.mode, RefreshMode::kPoll);
  EXPECT_EQ(budget.used(), 0u);
  EXPECT_EQ(zk.watches(), 0u);  // the fallback removed every watch it had armed
}

}  // namespace
}  // namespace zkx::collectors
