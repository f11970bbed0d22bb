// Watch mode over several watch sessions (zk::WatchShards, --zookeeper.watch-sessions) against a real
// 3-member ensemble. A subtree larger than one session's watch budget stays in watch mode with each
// session's SetWatches share under its own budget; the published snapshot equals a fresh walk (a separate
// session without watches) after every session reconnected, after a real expiry of one watch session, and
// after changes made while a watch session's member was paused (lagging) or down; growing past one session's
// budget falls back to poll mode and removes the watches on every session.
#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "collectors/subtree_refresher.h"
#include "collectors/watch_budget.h"
#include "tests/support/sessions.h"
#include "tests/support/wait_and_ports.h"
#include "tests/support/watch_mode_checks.h"
#include "tests/support/zk_ensemble.h"
#include "tests/support/zk_test_client.h"
#include "zk/session.h"
#include "zk/watch_shards.h"

namespace zkx {
namespace {

using std::chrono::milliseconds;
using test::Converges;

// `sessions` started sessions (the primary first) behind a zk::WatchShards, and one more without watches
// that checks.
struct WatchSessions {
  std::vector<std::unique_ptr<zk::Session>> sessions;
  std::unique_ptr<zk::WatchShards> shards;

  explicit WatchSessions(const std::vector<std::string>& hosts, milliseconds timeout = milliseconds(10000)) {
    std::vector<zk::ZnodeReader*> readers;
    for (const std::string& h : hosts) {
      sessions.push_back(test::StartSession(h, timeout));
      readers.push_back(sessions.back().get());
    }
    shards = std::make_unique<zk::WatchShards>(sessions[0].get(), readers);
  }
  [[nodiscard]] bool AllConnected() const {
    for (const auto& s : sessions) {
      if (!s->Connected()) return false;
    }
    return true;
  }
  std::unique_ptr<collectors::SubtreeRefresher> Refresher(const collectors::SubtreeSpec& spec,
                                                          collectors::WatchBudget* budget) {
    auto r = std::make_unique<collectors::SubtreeRefresher>(
        spec, sessions[0].get(), [this] { return sessions[0]->Connected(); }, budget, nullptr,
        collectors::WatchSessions{shards.get(), [this] { return AllConnected(); }});
    r->Start();
    return r;
  }
  // Data + child watches each session should hold for `tree`: 2 per znode on the session of its path.
  [[nodiscard]] std::vector<std::size_t> WatchesFor(const test::WatchedTree& tree) const {
    std::vector<std::size_t> out(sessions.size(), 0);
    for (const auto& [path, v] : tree) out[shards->WatchShardOf(path)] += 2;
    return out;
  }
  [[nodiscard]] std::vector<std::size_t> Watches() const {
    std::vector<std::size_t> out;
    for (const auto& s : sessions) out.push_back(s->Stats().watches);
    return out;
  }
};

// `root` with `parents` children of `children` each, created in bulk.
void CreateWideTree(test::ZkTestClient& w, const std::string& root, int parents, int children) {
  std::vector<std::pair<std::string, std::string>> tree{{root, "r"}};
  for (int p = 0; p < parents; ++p) {
    const std::string parent = root + "/n" + std::to_string(p);
    tree.emplace_back(parent, "p");
    for (int c = 0; c < children; ++c) tree.emplace_back(parent + "/c" + std::to_string(c), "data");
  }
  ASSERT_TRUE(w.CreateTree(tree).ok());
}

// New children under every parent (so that most land on another session than their parent), data changes
// and deletions, tagged by `round`. Only repeatable writes, which ZkTestClient retries through connection
// loss: they run while members are killed or paused.
void Changes(test::ZkTestClient& w, const std::string& root, int parents, int round) {
  const std::string tag = "r" + std::to_string(round);
  for (int p = 0; p < parents; ++p) {
    const std::string parent = root + "/n" + std::to_string(p);
    for (int i = 0; i < 3; ++i) {
      const std::string child = parent + "/" + tag + "-" + std::to_string(i);
      ASSERT_TRUE(test::Succeeds(w.CreateRecursive(child)));
    }
    const std::string changed = parent + "/c" + std::to_string(round % 7);
    ASSERT_TRUE(test::Succeeds(w.Set(changed, tag)));
    const std::string deleted = parent + "/c" + std::to_string(50 + round);
    ASSERT_TRUE(test::Succeeds(w.DeleteRecursive(deleted)));
  }
}

// The data and exists watches of every member, summed; -1 if one did not answer.
long ServerWatches(const test::ZkEnsemble& ensemble) {
  long total = 0;
  for (int i = 0; i < ensemble.size(); ++i) {
    const long on_member = ensemble.DataWatches(i);
    if (on_member < 0) return -1;
    total += on_member;
  }
  return total;
}

constexpr int kParents = 20;
constexpr int kChildren = 99;           // 1 + 20 + 1,980 = 2,001 znodes, ~62 KB of watched paths
constexpr std::size_t kBudget = 30000;  // per session: one session cannot hold the subtree, three can

TEST(WatchSessionsTest, BigSubtreeStaysInWatchModeThroughReconnectsLagAndFallsBackOnEverySession) {
  test::ZkEnsemble ensemble(test::ZkEnsembleOptions{.servers = 3});
  ASSERT_TRUE(ensemble.Start().ok());
  test::ZkTestClient writer;
  ASSERT_TRUE(writer.Connect(ensemble.ConnectString()).ok());
  CreateWideTree(writer, "/s", kParents, kChildren);
  auto checker = test::ConnectedSession(ensemble.ConnectString());
  ASSERT_NE(checker, nullptr);

  // One session: over its budget, the subtree is polled.
  {
    auto one = test::ConnectedSession(ensemble.ConnectString());
    collectors::WatchBudget budget(kBudget);
    collectors::SubtreeRefresher r(
        test::WatchModeSpec("/s"), one.get(), [&] { return one->Connected(); }, &budget);
    r.Start();
    ASSERT_TRUE(test::WaitFor([&] { return r.View()->watch.mode == collectors::RefreshMode::kPoll; },
                              milliseconds(30000)));
    EXPECT_EQ(one->Stats().watches, 0u);
  }

  // (a) Three sessions: watch mode, each session's SetWatches share under its budget.
  WatchSessions w({ensemble.ConnectString(), ensemble.ConnectString(), ensemble.ConnectString()});
  ASSERT_TRUE(test::WaitFor([&] { return w.AllConnected(); }, milliseconds(30000)));
  collectors::WatchBudget budget(kBudget, 0, 3);
  auto r = w.Refresher(test::WatchModeSpec("/s"), &budget);
  ASSERT_TRUE(Converges(*checker, *r, "/s", milliseconds(60000)));
  ASSERT_EQ(r->View()->watch.mode, collectors::RefreshMode::kWatch);
  const test::WatchedTree synced = test::FreshWalk(*checker, "/s");
  ASSERT_EQ(synced.size(), 2001u);
  EXPECT_TRUE(test::WaitFor([&] { return w.Watches() == w.WatchesFor(synced); }, milliseconds(10000)));
  std::size_t total = 0;
  for (std::size_t i = 0; i < 3; ++i) {
    const zk::SessionStats s = w.sessions[i]->Stats();
    EXPECT_GT(s.watched_path_bytes, 0u) << "session " << i;
    EXPECT_LE(s.watched_path_bytes, kBudget) << "session " << i;
    EXPECT_EQ(s.watched_path_bytes, budget.used(i)) << "session " << i;  // both count 2 x (4 + path)
    total += s.watched_path_bytes;
  }
  EXPECT_GT(total, kBudget);  // more than one session may hold
  Changes(writer, "/s", kParents, 0);
  ASSERT_TRUE(Converges(*checker, *r, "/s"));
  EXPECT_EQ(r->View()->refreshes_total, 1u);  // followed by watches alone

  // (b) Every member killed in turn (and restarted): every session reconnects, changes meanwhile.
  for (int member = 0; member < 3; ++member) {
    ensemble.Kill(member);
    test::ZkTestClient w2;
    ASSERT_TRUE(w2.Connect(ensemble.ConnectString(), milliseconds(30000)).ok());
    Changes(w2, "/s", kParents, 1 + member);
    ASSERT_TRUE(test::WaitFor([&] { return w.AllConnected(); }, milliseconds(30000)));
    ASSERT_TRUE(Converges(*checker, *r, "/s", milliseconds(30000))) << "member " << member << " down";
    ASSERT_TRUE(ensemble.Restart(member).ok());
    ASSERT_TRUE(ensemble.WaitForQuorum(milliseconds(60000)).ok());
  }
  for (std::size_t i = 0; i < 3; ++i) {
    const zk::SessionStats s = w.sessions[i]->Stats();
    EXPECT_GE(s.disconnects_total, 1u) << "session " << i << " never reconnected";
    EXPECT_EQ(s.expirations_total, 0u) << "session " << i;
    EXPECT_LE(s.watched_path_bytes, kBudget) << "session " << i;
  }
  EXPECT_GE(r->View()->watch.resyncs_total, 2u);
  ASSERT_TRUE(Converges(*checker, *r, "/s"));
  EXPECT_TRUE(test::WaitFor([&] { return w.Watches() == w.WatchesFor(test::FreshWalk(*checker, "/s")); },
                            milliseconds(10000)));

  // (d) Changes while the member of one watch session is paused (its reads wait, then race its catching up
  // with the leader's proposals) and while it is down.
  const int held = test::ServerHoldingSession(ensemble, w.sessions[1]->Stats().session_id);
  ASSERT_GE(held, 0);
  for (int round = 4; round < 7; ++round) {
    ensemble.Pause(held);
    test::ZkTestClient w3;
    ASSERT_TRUE(w3.Connect(ensemble.ServerAddress((held + 1) % 3), milliseconds(30000)).ok());
    Changes(w3, "/s", kParents, round);
    std::this_thread::sleep_for(milliseconds(1500));
    ensemble.Resume(held);
    ASSERT_TRUE(Converges(*checker, *r, "/s", milliseconds(30000))) << "round " << round;
  }
  // The member holding watch session 1 now: the pauses above may have moved it to another member, and killing
  // a member that holds no watch session would reconnect nothing.
  ASSERT_TRUE(test::WaitFor([&] { return w.AllConnected(); }, milliseconds(30000)));
  const int holder = test::ServerHoldingSession(ensemble, w.sessions[1]->Stats().session_id);
  ASSERT_GE(holder, 0);
  const uint64_t walks_before_kill = r->View()->refreshes_total;
  ensemble.Kill(holder);
  {
    test::ZkTestClient w4;
    ASSERT_TRUE(w4.Connect(ensemble.ConnectString(), milliseconds(30000)).ok());
    Changes(w4, "/s", kParents, 7);
  }
  ASSERT_TRUE(Converges(*checker, *r, "/s", milliseconds(30000)));
  // The reconnect resyncs. The mirror may converge before that resync has run (the changes reach it through
  // the other sessions' watches), so wait for it (under ASan it came after the convergence).
  EXPECT_TRUE(
      test::WaitFor([&] { return r->View()->refreshes_total > walks_before_kill; }, milliseconds(30000)))
      << r->View()->refreshes_total << " refreshes, " << walks_before_kill << " before the kill";
  ASSERT_TRUE(ensemble.Restart(holder).ok());
  EXPECT_TRUE(test::WaitFor([&] { return w.Watches() == w.WatchesFor(test::FreshWalk(*checker, "/s")); },
                            milliseconds(20000)));
  EXPECT_EQ(r->View()->watch.mode, collectors::RefreshMode::kWatch);

  // (e) Growing past one session's budget: poll mode, and no watch left on any session or server.
  std::vector<std::pair<std::string, std::string>> growth;
  for (int i = 0; i < 1500; ++i) growth.emplace_back("/s/n0/grown-" + std::to_string(i), "");
  // A client connected now: `writer`'s member was killed and restarted above, and a multi sent while the
  // handle is not connected fails inside the 3.8.0 C client with a bad free (seen under ASan).
  test::ZkTestClient w5;
  ASSERT_TRUE(w5.Connect(ensemble.ConnectString(), milliseconds(30000)).ok());
  ASSERT_TRUE(w5.CreateTree(growth).ok());
  ASSERT_TRUE(test::WaitFor([&] { return r->View()->watch.mode == collectors::RefreshMode::kPoll; },
                            milliseconds(30000)));
  EXPECT_TRUE(
      test::WaitFor([&] { return w.Watches() == std::vector<std::size_t>(3, 0); }, milliseconds(20000)))
      << w.Watches()[0] << " " << w.Watches()[1] << " " << w.Watches()[2] << " watches left";
  for (const auto& s : w.sessions) EXPECT_EQ(s->Stats().watched_path_bytes, 0u);
  EXPECT_TRUE(test::WaitFor([&] { return ServerWatches(ensemble) == 0; }, milliseconds(20000)))
      << "the servers hold " << ServerWatches(ensemble);
  EXPECT_EQ(budget.used(), 0u);
  ASSERT_TRUE(Converges(*checker, *r, "/s", milliseconds(30000)));  // polled from now on
}

// (c) A real expiry of one watch session: its watches go with it; the new session's kResync makes the
// refresher resync and re-arm them, and changes made meanwhile are seen.
TEST(WatchSessionsTest, ResyncsAfterARealExpiryOfOneWatchSession) {
  test::ZkEnsemble ensemble(test::ZkEnsembleOptions::ShortSessions(3));
  ASSERT_TRUE(ensemble.Start().ok());
  {
    test::ZkTestClient writer;
    ASSERT_TRUE(writer.Connect(ensemble.ConnectString()).ok());
    CreateWideTree(writer, "/x", 10, 60);
  }
  // Watch session 1 knows one follower only; freezing it past the session timeout while the other two keep
  // a quorum makes the leader expire that session (see WatchModeTest.ResyncsAfterARealSessionExpiry). The
  // other sessions know the other members only.
  Result<int> leader = ensemble.LeaderIndex();
  ASSERT_TRUE(leader.ok()) << leader.status().ToString();
  const int follower = (*leader + 1) % 3;
  const std::string others =
      ensemble.ServerAddress(*leader) + "," + ensemble.ServerAddress((*leader + 2) % 3);
  WatchSessions w({others, ensemble.ServerAddress(follower), others}, milliseconds(4000));
  ASSERT_TRUE(test::WaitFor([&] { return w.AllConnected(); }, milliseconds(30000)));
  collectors::WatchBudget budget(collectors::WatchBudget::kDefaultLimit, 0, 3);
  auto r = w.Refresher(test::WatchModeSpec("/x"), &budget);
  auto checker = test::ConnectedSession(others);
  ASSERT_NE(checker, nullptr);
  ASSERT_TRUE(Converges(*checker, *r, "/x"));
  const test::WatchedTree before_tree = test::FreshWalk(*checker, "/x");
  ASSERT_GT(w.WatchesFor(before_tree)[1], 0u);
  const zk::SessionStats before = w.sessions[1]->Stats();
  const uint64_t walks = r->View()->refreshes_total;

  ensemble.Pause(follower);
  std::this_thread::sleep_for(milliseconds(9000));
  ensemble.Resume(follower);
  test::ZkTestClient writer;
  ASSERT_TRUE(writer.Connect(others, milliseconds(30000)).ok());
  Changes(writer, "/x", 10, 0);
  ASSERT_TRUE(test::WaitFor(
      [&] {
        const zk::SessionStats s = w.sessions[1]->Stats();
        return s.expirations_total >= 1 && w.sessions[1]->Connected() && s.session_id != before.session_id;
      },
      milliseconds(60000)));
  EXPECT_EQ(w.sessions[0]->Stats().expirations_total, 0u);
  EXPECT_EQ(w.sessions[2]->Stats().expirations_total, 0u);
  ASSERT_TRUE(Converges(*checker, *r, "/x", milliseconds(30000)));
  EXPECT_GT(r->View()->refreshes_total, walks);  // resynced for session 1's expiry
  // Re-armed on the new session: the watches match the tree on every session, and work without a walk.
  EXPECT_TRUE(test::WaitFor([&] { return w.Watches() == w.WatchesFor(test::FreshWalk(*checker, "/x")); },
                            milliseconds(20000)))
      << "session 1 holds " << w.sessions[1]->Stats().watches;
  const uint64_t synced = r->View()->refreshes_total;
  Changes(writer, "/x", 10, 1);
  ASSERT_TRUE(Converges(*checker, *r, "/x"));
  EXPECT_EQ(r->View()->refreshes_total, synced);
}

}  // namespace
}  // namespace zkx
