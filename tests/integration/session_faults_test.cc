// The session layer through real failures: ZooKeeper down at start, the connected member killed, and a real
// session expiry (every member paused longer than the session timeout).
#include <cinttypes>
#include <cstdio>
#include <future>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "tests/support/sessions.h"
#include "tests/support/wait_and_ports.h"
#include "tests/support/zk_ensemble.h"
#include "tests/support/zk_test_client.h"
#include "zk/session.h"
#include "zk/subtree_walk.h"

namespace zkx {
namespace {

using std::chrono::milliseconds;

using test::StartSession;

std::size_t CountZnodes(zk::Session& session, const std::string& root) {
  zk::WalkSummary summary = zk::WalkSubtree(session, root, {}, [](const zk::WalkedZnode&) {});
  return summary.status.ok() ? summary.visited : 0;
}

using test::ServerHoldingSession;

TEST(SessionFaultsTest, DownAtStartThenConnectsByItself) {
  test::ZkEnsemble ensemble(test::ZkEnsembleOptions{.servers = 3});
  ASSERT_TRUE(ensemble.Start().ok());
  for (int i = 0; i < 3; ++i) ensemble.Kill(i);

  auto session = StartSession(ensemble.ConnectString());
  // Nothing to connect to: the session says so, and reads fail fast instead of hanging.
  std::this_thread::sleep_for(milliseconds(1500));  // give it time to (not) connect
  EXPECT_FALSE(session->Connected());
  EXPECT_EQ(session->Stats().state, zk::SessionState::kConnecting);
  const auto t0 = std::chrono::steady_clock::now();
  zk::WalkSummary s = zk::WalkSubtree(*session, "/", {}, [](const zk::WalkedZnode&) {});
  EXPECT_EQ(s.status.code(), StatusCode::kUnavailable);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, milliseconds(2000));

  ASSERT_TRUE(ensemble.StartStopped().ok());
  ASSERT_TRUE(test::WaitFor([&] { return session->Connected(); }, milliseconds(30000)));
  EXPECT_EQ(session->Stats().connects_total, 1u);
  EXPECT_EQ(session->Stats().expirations_total, 0u);
  EXPECT_GE(CountZnodes(*session, "/"), 1u);
}

TEST(SessionFaultsTest, KilledMemberMovesTheSessionWithoutExpiry) {
  test::ZkEnsemble ensemble(test::ZkEnsembleOptions{.servers = 3});
  ASSERT_TRUE(ensemble.Start().ok());
  test::ZkTestClient writer;
  ASSERT_TRUE(writer.Connect(ensemble.ConnectString()).ok());
  ASSERT_TRUE(writer.CreateRecursive("/k/a/b").ok());

  auto session = StartSession(ensemble.ConnectString());
  ASSERT_TRUE(test::WaitFor([&] { return session->Connected(); }, milliseconds(30000)));
  const zk::SessionStats before = session->Stats();
  int holder = -1;
  ASSERT_TRUE(test::WaitFor([&] { return (holder = ServerHoldingSession(ensemble, before.session_id)) >= 0; },
                            milliseconds(10000)));

  const auto killed_at = std::chrono::steady_clock::now();
  ensemble.Kill(holder);
  ASSERT_TRUE(test::WaitFor([&] { return session->Stats().disconnects_total >= 1 && session->Connected(); },
                            milliseconds(30000)));
  const auto reconnect = std::chrono::duration<double>(std::chrono::steady_clock::now() - killed_at).count();
  std::printf("[ figures ] reconnected to another member %.2fs after the kill\n", reconnect);

  const zk::SessionStats after = session->Stats();
  EXPECT_EQ(after.expirations_total, 0u);
  EXPECT_EQ(after.session_id, before.session_id);  // the same session moved
  EXPECT_EQ(after.connects_total, before.connects_total + 1);
  EXPECT_EQ(CountZnodes(*session, "/k"), 3u);
  ASSERT_TRUE(ensemble.Restart(holder).ok());
}

// Removing watches while disconnected (a fallback or a reload during an outage): sent to the server, the
// removal failed and the reconnect's SetWatches re-armed the watch. Removed from the client's tables, it
// stays gone, and the watches not removed are re-armed as before.
TEST(SessionFaultsTest, WatchesRemovedWhileDisconnectedStayRemovedAfterTheReconnect) {
  test::ZkEnsemble ensemble(test::ZkEnsembleOptions{.servers = 3});
  ASSERT_TRUE(ensemble.Start().ok());
  test::ZkTestClient writer;
  ASSERT_TRUE(writer.Connect(ensemble.ConnectString()).ok());
  ASSERT_TRUE(writer.CreateRecursive("/w/gone").ok());
  ASSERT_TRUE(writer.CreateRecursive("/w/kept").ok());
  Result<int> leader = ensemble.LeaderIndex();
  ASSERT_TRUE(leader.ok()) << leader.status().ToString();
  const int follower = (*leader + 1) % 3;  // killing it leaves a quorum: the session outlives the outage
  auto session = StartSession(ensemble.ServerAddress(follower), milliseconds(20000));
  ASSERT_TRUE(test::WaitFor([&] { return session->Connected(); }, milliseconds(30000)));
  std::mutex mu;
  std::vector<std::string> changed;
  zk::WatchSubscription sub = session->SubscribeWatches([&](const zk::WatchEvent& e) {
    if (e.type != zk::WatchEventType::kDataChanged) return;
    std::lock_guard<std::mutex> lock(mu);
    changed.push_back(e.path);
  });
  for (const char* path : {"/w/gone", "/w/kept"}) {
    std::promise<Status> watched;
    session->WatchExists(path, [&](Status st, zk::ZnodeStat) { watched.set_value(std::move(st)); });
    ASSERT_TRUE(watched.get_future().get().ok()) << path;
  }
  ASSERT_EQ(ensemble.DataWatches(follower), 2);
  const std::size_t watches_before = session->Stats().watches;

  ensemble.Kill(follower);
  ASSERT_TRUE(test::WaitFor([&] { return !session->Connected(); }, milliseconds(10000)));
  std::promise<Status> removed;
  session->RemoveWatches("/w/gone", [&](Status st) { removed.set_value(std::move(st)); });
  const Status removal = removed.get_future().get();
  EXPECT_TRUE(removal.ok()) << removal.ToString();
  EXPECT_LT(session->Stats().watches, watches_before);
  std::promise<Status> none;  // a path without a watch: an error, as on the server
  session->RemoveWatches("/w/never", [&](Status st) { none.set_value(std::move(st)); });
  EXPECT_FALSE(none.get_future().get().ok());

  ASSERT_TRUE(ensemble.Restart(follower).ok());
  ASSERT_TRUE(test::WaitFor([&] { return session->Connected(); }, milliseconds(30000)));
  EXPECT_EQ(session->Stats().expirations_total, 0u);
  // The reconnect's SetWatches came before this read on the same connection.
  EXPECT_EQ(CountZnodes(*session, "/w"), 3u);
  EXPECT_EQ(ensemble.DataWatches(follower), 1);

  // Only the kept watch fires; the follower sends events in commit order, so `gone`'s would come first.
  ASSERT_TRUE(writer.Set("/w/gone", "x").ok());
  ASSERT_TRUE(writer.Set("/w/kept", "x").ok());
  ASSERT_TRUE(test::WaitFor(
      [&] {
        std::lock_guard<std::mutex> lock(mu);
        return !changed.empty();
      },
      milliseconds(10000)));
  std::lock_guard<std::mutex> lock(mu);
  EXPECT_EQ(changed, std::vector<std::string>{"/w/kept"});
}

TEST(SessionFaultsTest, RealExpiryReplacesTheHandle) {
  test::ZkEnsemble ensemble(test::ZkEnsembleOptions::ShortSessions(3));
  ASSERT_TRUE(ensemble.Start().ok());
  // The session knows one follower only. Freezing that follower for well over the session timeout cuts the
  // client off while the leader and the other follower keep a quorum: the leader expires the session, and the
  // client learns it when the follower comes back. (Freezing every member is not deterministic: an election
  // after the resume resets every session's deadline, and the old session may live on.)
  Result<int> leader = ensemble.LeaderIndex();
  ASSERT_TRUE(leader.ok()) << leader.status().ToString();
  const int follower = (*leader + 1) % 3;
  auto session = StartSession(ensemble.ServerAddress(follower), milliseconds(4000));
  ASSERT_TRUE(test::WaitFor([&] { return session->Connected(); }, milliseconds(30000)));
  const zk::SessionStats before = session->Stats();
  EXPECT_EQ(before.negotiated_timeout, milliseconds(4000));

  ensemble.Pause(follower);
  std::this_thread::sleep_for(milliseconds(9000));
  ensemble.Resume(follower);

  ASSERT_TRUE(test::WaitFor(
      [&] {
        const zk::SessionStats s = session->Stats();
        return s.expirations_total >= 1 && session->Connected() && s.session_id != before.session_id;
      },
      milliseconds(60000)))
      << "state " << zk::SessionStateName(session->Stats().state);
  const zk::SessionStats after = session->Stats();
  EXPECT_EQ(after.expirations_total, 1u);
  EXPECT_EQ(after.handles_created_total, before.handles_created_total + 1);
  EXPECT_GE(CountZnodes(*session, "/"), 1u);
}

}  // namespace
}  // namespace zkx
