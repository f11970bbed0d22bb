// Watch mode against a real ensemble: the published snapshot stays identical to an independent fresh walk
// (a second session, no watches) through bursts of creates/deletes/updates, a killed member, a real session
// expiry, and a deleted and re-created root; above the watch budget the subtree falls back to poll.
#include <atomic>
#include <chrono>
#include <cinttypes>
#include <cstdio>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <tuple>

#include <gtest/gtest.h>

#include "base/status.h"
#include "collectors/subtree_refresher.h"
#include "collectors/watch_budget.h"
#include "tests/support/sessions.h"
#include "tests/support/wait_and_ports.h"
#include "tests/support/watch_mode_checks.h"
#include "tests/support/zk_ensemble.h"
#include "tests/support/zk_test_client.h"
#include "zk/session.h"
#include "zk/subtree_walk.h"

namespace zkx {
namespace {

using std::chrono::milliseconds;

using test::StartSession;

using test::Converges;

collectors::SubtreeSpec WatchSpec(const std::string& root) {
  return test::WatchModeSpec(root);
}

// Creates, deletes and updates a burst of znodes under `root` (which has n0..n9, each with c0..c9): 60
// znodes created, 20 data changes, c9 of one n deleted and re-created, and c8 of n0..n4 deleted (they exist
// only until the first burst). Only repeatable writes, which ZkTestClient retries through connection loss: a
// member that stalls for seconds (seen under ASan on a loaded 2-core machine) must not cut a burst short.
void Burst(test::ZkTestClient& w, const std::string& root, int round) {
  const std::string tag = "r" + std::to_string(round);
  for (int i = 0; i < 30; ++i) {
    const std::string leaf =
        root + "/n" + std::to_string(i % 10) + "/" + tag + "-" + std::to_string(i) + "/leaf";
    ASSERT_TRUE(test::Succeeds(w.CreateRecursive(leaf)));
  }
  for (int i = 0; i < 20; ++i) {
    const std::string path = root + "/n" + std::to_string(i % 10) + "/c" + std::to_string(i % 7);
    ASSERT_TRUE(test::Succeeds(w.Set(path, tag + std::string(static_cast<std::size_t>(i), 'x'))));
  }
  const std::string c9 = root + "/n" + std::to_string(round % 10) + "/c9";
  ASSERT_TRUE(test::Succeeds(w.DeleteRecursive(c9)));
  ASSERT_TRUE(test::Succeeds(w.CreateRecursive(c9, "again")));
  for (int i = 0; i < 5; ++i) {
    const std::string c8 = root + "/n" + std::to_string(i) + "/c8";
    ASSERT_TRUE(test::Succeeds(w.DeleteRecursive(c8)));
  }
}

// root + n0..n9 + their c0..c9: 111 znodes, written with repeatable writes (ZkTestClient retries connection
// loss on those), like a burst.
void CreateTree(test::ZkTestClient& w, const std::string& root) {
  ASSERT_TRUE(test::Succeeds(w.CreateRecursive(root)));
  for (int i = 0; i < 10; ++i) {
    const std::string n = root + "/n" + std::to_string(i);
    ASSERT_TRUE(test::Succeeds(w.CreateRecursive(n, "d")));
    for (int j = 0; j < 10; ++j) {
      const std::string c = n + "/c" + std::to_string(j);
      ASSERT_TRUE(test::Succeeds(w.CreateRecursive(c, "data")));
    }
  }
}

using test::ServerHoldingSession;

TEST(WatchModeTest, StaysIdenticalThroughBurstsAndAKilledMember) {
  test::ZkEnsemble ensemble(test::ZkEnsembleOptions{.servers = 3});
  ASSERT_TRUE(ensemble.Start().ok());
  test::ZkTestClient writer;
  ASSERT_TRUE(writer.Connect(ensemble.ConnectString()).ok());
  CreateTree(writer, "/w");

  auto session = StartSession(ensemble.ConnectString());
  auto checker = StartSession(ensemble.ConnectString());
  ASSERT_TRUE(
      test::WaitFor([&] { return session->Connected() && checker->Connected(); }, milliseconds(30000)));
  collectors::WatchBudget budget;
  collectors::SubtreeRefresher r(
      WatchSpec("/w"), session.get(), [&] { return session->Connected(); }, &budget);
  r.Start();
  ASSERT_TRUE(Converges(*checker, r, "/w"));
  EXPECT_EQ(r.View()->watch.mode, collectors::RefreshMode::kWatch);
  const zk::SessionStats s0 = session->Stats();
  EXPECT_EQ(s0.watches, 2 * 111u);                  // a data and a child watch per znode
  EXPECT_EQ(s0.watched_path_bytes, budget.used());  // both count 2 x (4 + path) per znode

  // Three bursts must each be followed by watches alone. A burst during which the session lost its
  // connection (a member stalling on a loaded machine, not something this test does) is resynced by a full
  // walk, which absorbs some of its events: such a burst is checked for convergence and for at most one
  // walk per reconnect, and another burst is run in its place, up to six bursts in all.
  // Counters are read once between bursts, the disconnects first: a disconnect that lands between two
  // readings is charged to the burst after it, together with the walk it causes.
  int clean_bursts = 0;
  int burst = 0;
  uint64_t disconnects0 = session->Stats().disconnects_total;
  uint64_t walks0 = r.View()->refreshes_total;
  collectors::WatchState w0 = r.View()->watch;
  for (; burst < 6 && clean_bursts < 3; ++burst) {
    Burst(writer, "/w", burst);
    ASSERT_TRUE(Converges(*checker, r, "/w")) << "burst " << burst;
    const uint64_t disconnects1 = session->Stats().disconnects_total;
    const uint64_t walks1 = r.View()->refreshes_total;
    const collectors::WatchState w1 = r.View()->watch;
    const uint64_t disconnects = disconnects1 - disconnects0;
    const uint64_t walks = walks1 - walks0;
    if (disconnects > 0) {
      std::printf("burst %d: the exporter's session lost its connection %" PRIu64 " time(s); %" PRIu64
                  " full walk(s) resynced it\n",
                  burst, disconnects, walks);
      EXPECT_LE(walks, disconnects) << "burst " << burst;
    } else {
      ++clean_bursts;
      EXPECT_EQ(walks, 0u) << "burst " << burst << " needed a full walk";
      EXPECT_GE(w1.created_total - w0.created_total, 30u) << "burst " << burst;
      EXPECT_GE(w1.deleted_total - w0.deleted_total, burst == 0 ? 6u : 1u) << "burst " << burst;
      EXPECT_GE(w1.data_changed_total - w0.data_changed_total, 10u) << "burst " << burst;
    }
    disconnects0 = disconnects1;
    walks0 = walks1;
    w0 = w1;
  }
  ASSERT_EQ(clean_bursts, 3) << "too many bursts were disturbed by lost connections";

  // Kill the member holding the exporter's session; change the tree while it moves.
  int holder = -1;
  ASSERT_TRUE(test::WaitFor([&] { return (holder = ServerHoldingSession(ensemble, s0.session_id)) >= 0; },
                            milliseconds(10000)));
  ensemble.Kill(holder);
  test::ZkTestClient writer2;
  ASSERT_TRUE(writer2.Connect(ensemble.ConnectString()).ok());
  Burst(writer2, "/w", burst);
  ASSERT_TRUE(test::WaitFor([&] { return session->Stats().disconnects_total >= 1 && session->Connected(); },
                            milliseconds(30000)));
  ASSERT_TRUE(Converges(*checker, r, "/w"));
  Burst(writer2, "/w", burst + 1);
  ASSERT_TRUE(Converges(*checker, r, "/w"));
  EXPECT_EQ(session->Stats().expirations_total, 0u);
  EXPECT_GE(r.View()->watch.resyncs_total, 2u);  // the reconnect resynced
  r.Stop();
  EXPECT_EQ(budget.used(), 0u);
  ASSERT_TRUE(ensemble.Restart(holder).ok());
}

TEST(WatchModeTest, ResyncsAfterARealSessionExpiry) {
  test::ZkEnsemble ensemble(test::ZkEnsembleOptions::ShortSessions(3));
  ASSERT_TRUE(ensemble.Start().ok());
  {
    test::ZkTestClient writer;
    ASSERT_TRUE(writer.Connect(ensemble.ConnectString()).ok());
    CreateTree(writer, "/e");
  }
  // The watching session knows one follower only; freezing it past the session timeout while the rest of
  // the ensemble keeps a quorum makes the leader expire the session (see SessionFaultsTest.RealExpiry...).
  Result<int> leader = ensemble.LeaderIndex();
  ASSERT_TRUE(leader.ok()) << leader.status().ToString();
  const int follower = (*leader + 1) % 3;
  auto session = StartSession(ensemble.ServerAddress(follower), milliseconds(4000));
  ASSERT_TRUE(test::WaitFor([&] { return session->Connected(); }, milliseconds(30000)));
  collectors::WatchBudget budget;
  collectors::SubtreeRefresher r(
      WatchSpec("/e"), session.get(), [&] { return session->Connected(); }, &budget);
  r.Start();
  {
    auto checker = StartSession(ensemble.ConnectString());
    ASSERT_TRUE(test::WaitFor([&] { return checker->Connected(); }, milliseconds(30000)));
    ASSERT_TRUE(Converges(*checker, r, "/e"));
  }
  const zk::SessionStats before = session->Stats();

  ensemble.Pause(follower);
  std::this_thread::sleep_for(milliseconds(9000));
  ensemble.Resume(follower);

  // Change the tree as soon as the ensemble answers: the old session's watches are gone with it.
  test::ZkTestClient writer;
  ASSERT_TRUE(writer.Connect(ensemble.ConnectString(), milliseconds(30000)).ok());
  Burst(writer, "/e", 0);
  ASSERT_TRUE(test::WaitFor(
      [&] {
        const zk::SessionStats s = session->Stats();
        return s.expirations_total >= 1 && session->Connected() && s.session_id != before.session_id;
      },
      milliseconds(60000)));
  auto checker = StartSession(ensemble.ConnectString());
  ASSERT_TRUE(test::WaitFor([&] { return checker->Connected(); }, milliseconds(30000)));
  ASSERT_TRUE(Converges(*checker, r, "/e"));
  EXPECT_GE(session->Stats().watches, 2 * 111u);  // re-established on the new session
  // And the new watches work: a burst is seen without another full walk.
  const uint64_t walks = r.View()->refreshes_total;
  Burst(writer, "/e", 1);
  ASSERT_TRUE(Converges(*checker, r, "/e"));
  EXPECT_EQ(r.View()->refreshes_total, walks);
}

TEST(WatchModeTest, FallsBackToPollAboveTheBudgetAndTracksARecreatedRoot) {
  test::ZkEnsemble ensemble(test::ZkEnsembleOptions{.servers = 1});
  ASSERT_TRUE(ensemble.Start().ok());
  test::ZkTestClient writer;
  ASSERT_TRUE(writer.Connect(ensemble.ConnectString()).ok());
  CreateTree(writer, "/big");
  for (int i = 0; i < 200; ++i) ASSERT_TRUE(writer.Create("/big/extra-" + std::to_string(i), "").ok());
  CreateTree(writer, "/small");
  auto session = StartSession(ensemble.ConnectString());
  auto checker = StartSession(ensemble.ConnectString());
  ASSERT_TRUE(
      test::WaitFor([&] { return session->Connected() && checker->Connected(); }, milliseconds(30000)));

  // /small needs 2 x (4 + ~12) x 111 ~ 3.5 KB (~6.7 KB after a burst); /big ~ 11 KB: over the budget.
  collectors::WatchBudget budget(8000);
  collectors::SubtreeRefresher small(
      WatchSpec("/small"), session.get(), [&] { return session->Connected(); }, &budget);
  small.Start();
  ASSERT_TRUE(Converges(*checker, small, "/small"));
  ASSERT_EQ(small.View()->watch.mode, collectors::RefreshMode::kWatch);
  collectors::SubtreeRefresher big(
      WatchSpec("/big"), session.get(), [&] { return session->Connected(); }, &budget);
  big.Start();
  ASSERT_TRUE(Converges(*checker, big, "/big"));
  ASSERT_TRUE(test::WaitFor([&] { return big.View()->watch.mode == collectors::RefreshMode::kPoll; },
                            milliseconds(10000)));
  EXPECT_EQ(small.View()->watch.mode, collectors::RefreshMode::kWatch);
  EXPECT_LE(budget.used(), 8000u);
  EXPECT_EQ(session->Stats().watches, 2 * 111u);  // /small's only: the fallback set none
  Burst(writer, "/big", 0);                       // poll mode (every 500 ms here) still follows the tree
  ASSERT_TRUE(Converges(*checker, big, "/big"));

  // /small deleted and re-created: tracked again, in watch mode.
  ASSERT_TRUE(writer.DeleteRecursive("/small").ok());
  ASSERT_TRUE(Converges(*checker, small, "/small"));
  EXPECT_FALSE(small.View()->last_success->root_exists);
  CreateTree(writer, "/small");
  ASSERT_TRUE(Converges(*checker, small, "/small"));
  EXPECT_TRUE(small.View()->last_success->root_exists);
  Burst(writer, "/small", 1);
  ASSERT_TRUE(Converges(*checker, small, "/small"));
  EXPECT_EQ(small.View()->watch.mode, collectors::RefreshMode::kWatch);
}

// Forwards to a session, counting reads; `events` false hides znode watch events from the listeners (kResync
// still passes), so that a mirror cannot follow growth and only a resync finds it.
class CountingReader final : public zk::ZnodeReader {
 public:
  explicit CountingReader(zk::Session* s) : s_(s) {}
  void GetChildren2(const std::string& p, zk::ChildrenCallback done) override {
    ++plain;
    s_->GetChildren2(p, std::move(done));
  }
  void WatchChildren2(const std::string& p, zk::ChildrenCallback done) override {
    ++watched;
    s_->WatchChildren2(p, std::move(done));
  }
  void WatchExists(const std::string& p, zk::StatCallback done) override {
    ++watched;
    s_->WatchExists(p, std::move(done));
  }
  void RemoveWatches(const std::string& p, std::function<void(Status)> done) override {
    ++removals;
    s_->RemoveWatches(p, std::move(done));
  }
  void GetAcl(const std::string& p, zk::AclCallback done) override { s_->GetAcl(p, std::move(done)); }
  void GetData(const std::string& p, std::function<void(Status, std::string, zk::ZnodeStat)> done) override {
    s_->GetData(p, std::move(done));
  }
  zk::WatchSubscription SubscribeWatches(zk::WatchListener listener) override {
    return s_->SubscribeWatches([this, listener = std::move(listener)](const zk::WatchEvent& e) {
      if (events || e.type == zk::WatchEventType::kResync) listener(e);
    });
  }
  [[nodiscard]] uint64_t SessionEpoch() const override { return s_->SessionEpoch(); }

  std::atomic<uint64_t> plain{0};
  std::atomic<uint64_t> watched{0};
  std::atomic<uint64_t> removals{0};
  std::atomic<bool> events{true};

 private:
  zk::Session* s_;
};

// An over-budget subtree: one plain walk decides the mode and is published as poll mode's first result; no
// watch is ever armed, and the next walk waits a whole interval.
TEST(WatchModeTest, OverBudgetSubtreeIsWalkedOnceAndArmsNoWatch) {
  test::ZkEnsemble ensemble(test::ZkEnsembleOptions{.servers = 1});
  ASSERT_TRUE(ensemble.Start().ok());
  test::ZkTestClient writer;
  ASSERT_TRUE(writer.Connect(ensemble.ConnectString()).ok());
  CreateTree(writer, "/big");
  for (int i = 0; i < 200; ++i) ASSERT_TRUE(writer.Create("/big/extra-" + std::to_string(i), "").ok());
  auto session = StartSession(ensemble.ConnectString());
  auto checker = StartSession(ensemble.ConnectString());
  ASSERT_TRUE(
      test::WaitFor([&] { return session->Connected() && checker->Connected(); }, milliseconds(30000)));
  CountingReader reader(session.get());
  collectors::WatchBudget budget(8000);
  collectors::SubtreeSpec spec = WatchSpec("/big");
  spec.refresh_interval = milliseconds(60000);  // a second walk would show in the counts
  collectors::SubtreeRefresher big(
      spec, &reader, [&] { return session->Connected(); }, &budget);
  big.Start();
  ASSERT_TRUE(Converges(*checker, big, "/big"));
  EXPECT_EQ(big.View()->watch.mode, collectors::RefreshMode::kPoll);
  EXPECT_EQ(big.View()->refreshes_total, 1u);
  std::this_thread::sleep_for(milliseconds(500));  // nothing more may happen: no second walk, no watch
  EXPECT_EQ(reader.plain.load(), 311u);            // 111 + 200 znodes, each read once
  EXPECT_EQ(reader.watched.load(), 0u);
  EXPECT_EQ(session->Stats().watches, 0u);
  EXPECT_EQ(budget.used(), 0u);
}

// A watched subtree that grows past the budget falls back and removes every watch it armed, on the server
// too: the session's SetWatches shrinks back to what it reports.
TEST(WatchModeTest, GrowingPastTheBudgetRemovesTheArmedWatches) {
  test::ZkEnsemble ensemble(test::ZkEnsembleOptions{.servers = 1});
  ASSERT_TRUE(ensemble.Start().ok());
  test::ZkTestClient writer;
  ASSERT_TRUE(writer.Connect(ensemble.ConnectString()).ok());
  CreateTree(writer, "/grow");
  CreateTree(writer, "/quiet");
  auto session = StartSession(ensemble.ConnectString());
  auto checker = StartSession(ensemble.ConnectString());
  ASSERT_TRUE(
      test::WaitFor([&] { return session->Connected() && checker->Connected(); }, milliseconds(30000)));
  collectors::WatchBudget budget(8000);
  collectors::SubtreeRefresher quiet(
      WatchSpec("/quiet"), session.get(), [&] { return session->Connected(); }, &budget);
  quiet.Start();
  ASSERT_TRUE(Converges(*checker, quiet, "/quiet"));
  const zk::SessionStats quiet_only = session->Stats();
  ASSERT_EQ(quiet_only.watches, 2 * 111u);
  ASSERT_EQ(ensemble.DataWatches(0), 111);
  collectors::SubtreeRefresher grow(
      WatchSpec("/grow"), session.get(), [&] { return session->Connected(); }, &budget);
  grow.Start();
  ASSERT_TRUE(Converges(*checker, grow, "/grow"));
  ASSERT_EQ(grow.View()->watch.mode, collectors::RefreshMode::kWatch);
  ASSERT_TRUE(test::WaitFor([&] { return session->Stats().watches == 4 * 111u; }, milliseconds(10000)));
  ASSERT_GT(session->Stats().watched_path_bytes, quiet_only.watched_path_bytes);
  ASSERT_EQ(ensemble.DataWatches(0), 2 * 111);

  for (int i = 0; i < 150; ++i) ASSERT_TRUE(writer.Create("/grow/extra-" + std::to_string(i), "").ok());
  ASSERT_TRUE(test::WaitFor([&] { return grow.View()->watch.mode == collectors::RefreshMode::kPoll; },
                            milliseconds(20000)));
  ASSERT_TRUE(test::WaitFor(
      [&] {
        const zk::SessionStats s = session->Stats();
        return s.watches == quiet_only.watches && s.watched_path_bytes == quiet_only.watched_path_bytes;
      },
      milliseconds(20000)))
      << "session still holds " << session->Stats().watches << " watches";
  EXPECT_TRUE(test::WaitFor([&] { return ensemble.DataWatches(0) == 111; }, milliseconds(10000)))
      << "the server holds " << ensemble.DataWatches(0);
  EXPECT_EQ(budget.used(), quiet.View()->watch.watched_bytes);
  ASSERT_TRUE(Converges(*checker, grow, "/grow"));  // polled from now on
  Burst(writer, "/quiet", 0);                       // the other subtree's watches were left alone
  ASSERT_TRUE(Converges(*checker, quiet, "/quiet"));
  EXPECT_EQ(quiet.View()->watch.mode, collectors::RefreshMode::kWatch);
}

// A resync that finds the subtree grew past the budget (events hidden, so only the sync can see it) stops
// its walk at once and removes the watches it and the mirror armed.
TEST(WatchModeTest, ResyncOverBudgetAbortsAndRemovesItsWatches) {
  test::ZkEnsemble ensemble(test::ZkEnsembleOptions{.servers = 1});
  ASSERT_TRUE(ensemble.Start().ok());
  test::ZkTestClient writer;
  ASSERT_TRUE(writer.Connect(ensemble.ConnectString()).ok());
  CreateTree(writer, "/r");
  auto session = StartSession(ensemble.ConnectString());
  auto checker = StartSession(ensemble.ConnectString());
  ASSERT_TRUE(
      test::WaitFor([&] { return session->Connected() && checker->Connected(); }, milliseconds(30000)));
  CountingReader reader(session.get());
  collectors::WatchBudget budget(8000);
  collectors::SubtreeSpec spec = WatchSpec("/r");
  spec.resync_interval = milliseconds(1500);
  spec.limits.max_in_flight = 4;  // so that the sync stops well before the end of the tree
  collectors::SubtreeRefresher r(
      spec, &reader, [&] { return session->Connected(); }, &budget);
  r.Start();
  ASSERT_TRUE(Converges(*checker, r, "/r"));
  ASSERT_EQ(r.View()->watch.mode, collectors::RefreshMode::kWatch);
  reader.events = false;
  for (int i = 0; i < 600; ++i) ASSERT_TRUE(writer.Create("/r/n0/extra-" + std::to_string(i), "").ok());
  ASSERT_TRUE(test::WaitFor([&] { return r.View()->watch.mode == collectors::RefreshMode::kPoll; },
                            milliseconds(20000)));
  // The sync stopped: far fewer watched reads than the 711-znode tree would take (2 per znode).
  EXPECT_LT(reader.watched.load(), 2 * 111u * 2 + 2 * 400u);
  EXPECT_GT(reader.removals.load(), 111u);
  ASSERT_TRUE(test::WaitFor([&] { return session->Stats().watches == 0; }, milliseconds(20000)))
      << "session still holds " << session->Stats().watches << " watches";
  EXPECT_EQ(session->Stats().watched_path_bytes, 0u);
  EXPECT_TRUE(test::WaitFor([&] { return ensemble.DataWatches(0) == 0; }, milliseconds(10000)))
      << "the server holds " << ensemble.DataWatches(0);
  EXPECT_EQ(budget.used(), 0u);
  ASSERT_TRUE(Converges(*checker, r, "/r"));
}

}  // namespace
}  // namespace zkx
