// zk::Session against the C client's real behaviour (issue 17, zk/README.md): credentials added while every
// server is down, exists-watches left on znodes that are already gone, and a connect string that does not
// resolve. Real servers from tests/support.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <future>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "collectors/subtree_refresher.h"
#include "collectors/watch_budget.h"
#include "tests/support/sessions.h"
#include "tests/support/wait_and_ports.h"
#include "tests/support/zk_ensemble.h"
#include "tests/support/zk_test_client.h"
#include "zk/session.h"

namespace zkx {
namespace {

using std::chrono::milliseconds;

using test::NewSession;

Status ListSync(zk::Session& session, const std::string& path) {
  std::promise<Status> p;
  session.GetChildren2(path, [&p](Status s, zk::ChildrenResult) { p.set_value(std::move(s)); });
  return p.get_future().get();
}

// Issue 17, defect 1: zoo_add_auth returns ZINVALIDSTATE while zoo_state() is 0, which the client sets after
// every failed connect and keeps through the back-off while every host is down. A session (the primary and
// any walk session alike) started before its servers must still authenticate once they come up.
TEST(SessionClientBehaviourTest, CredentialsSurviveAStartWhileEveryServerIsDown) {
  test::ZkEnsemble ensemble(test::ZkEnsembleOptions{.servers = 1});
  ASSERT_TRUE(ensemble.Start().ok());
  {
    test::ZkTestClient owner;
    ASSERT_TRUE(owner.Connect(ensemble.ConnectString()).ok());
    ASSERT_TRUE(
        owner.Create("/secret", "", test::NodeKind::kPersistent, test::DigestAcl("exporter", "pw")).ok());
    ASSERT_TRUE(owner.AddDigestAuth("exporter", "pw").ok());
    ASSERT_TRUE(owner.Create("/secret/a", "").ok());
  }
  ensemble.Stop();  // the port is closed now; Restart brings the same port back

  const zk::DigestCredentials creds{"exporter", "pw"};
  std::vector<std::unique_ptr<zk::Session>> sessions;
  for (int i = 0; i < 3; ++i) {  // a primary and two walk sessions (zk::ReaderPool's extras)
    sessions.push_back(NewSession(ensemble.ConnectString(), creds));
    ASSERT_NE(sessions.back(), nullptr);
    sessions.back()->Start();
  }
  for (auto& s : sessions) {
    ASSERT_TRUE(test::WaitFor([&] { return s->Stats().handles_created_total >= 1; }, milliseconds(30000)));
  }
  // Let the client fail a few connects (state 0, then its back-off) before any server exists.
  std::this_thread::sleep_for(milliseconds(1500));
  for (auto& s : sessions) EXPECT_FALSE(s->Connected());

  ASSERT_TRUE(ensemble.StartStopped().ok());
  for (std::size_t i = 0; i < sessions.size(); ++i) {
    zk::Session& s = *sessions[i];
    ASSERT_TRUE(test::WaitFor([&] { return s.Connected(); }, milliseconds(30000))) << "session " << i;
    const Status listed = ListSync(s, "/secret");
    EXPECT_TRUE(listed.ok()) << "session " << i << ": " << listed.ToString();
    EXPECT_TRUE(test::WaitFor([&] { return s.Stats().auth_accepted_total >= 1; }, milliseconds(30000)))
        << "session " << i << " never saw the server accept its credentials";
    EXPECT_EQ(s.Stats().auth_failures_total, 0U);
  }
}

// Issue 17, defect 2, at the session: an exists-watch on a znode that is already gone (a child listed a
// moment ago) is registered by the client all the same; the session must remove it, on the server too.
TEST(SessionClientBehaviourTest, ExistsWatchesOnGoneZnodesAreRemoved) {
  test::ZkEnsemble ensemble(test::ZkEnsembleOptions{.servers = 1});
  ASSERT_TRUE(ensemble.Start().ok());
  test::ZkTestClient writer;
  ASSERT_TRUE(writer.Connect(ensemble.ConnectString()).ok());
  ASSERT_TRUE(writer.Create("/churn", "").ok());
  auto session = NewSession(ensemble.ConnectString());
  session->Start();
  ASSERT_TRUE(test::WaitFor([&] { return session->Connected(); }, milliseconds(30000)));

  constexpr int kZnodes = 500;
  std::atomic<int> not_found{0};
  for (int i = 0; i < kZnodes; ++i) {
    char name[64];
    std::snprintf(name, sizeof name, "/churn/lock-%010d", i);  // a sequential name: it never comes back
    ASSERT_TRUE(writer.Create(name, "", test::NodeKind::kEphemeral).ok());
    ASSERT_TRUE(writer.Delete(name).ok());
    // As a watch-mode mirror does: re-list the parent with a child watch, then watch the listed child.
    session->WatchChildren2("/churn", [](Status, zk::ChildrenResult) {});
    std::promise<void> replied;
    session->WatchExists(name, [&](Status st, zk::ZnodeStat) {
      if (st.code() == StatusCode::kNotFound) ++not_found;
      replied.set_value();
    });
    replied.get_future().wait();  // the next create fires the parent's child watch: one child at a time
  }
  ASSERT_TRUE(test::WaitFor([&] { return not_found.load() == kZnodes; }, milliseconds(60000)));
  // Left: the parent's child watch only.
  EXPECT_TRUE(test::WaitFor([&] { return session->Stats().watches == 1; }, milliseconds(30000)))
      << "the session still holds " << session->Stats().watches << " watches ("
      << session->Stats().watched_path_bytes << " bytes) for znodes that are gone";
  EXPECT_EQ(session->Stats().watched_path_bytes, 4U + 6U);  // "/churn"
  // A gone znode whose parent nobody watches keeps its exists-watch: it is how a re-creation is seen.
  session->WatchExists("/gone-root", [](Status, zk::ZnodeStat) {});
  EXPECT_TRUE(test::WaitFor([&] { return session->Stats().watches == 2; }, milliseconds(30000)));
  EXPECT_TRUE(test::WaitFor([&] { return ensemble.DataWatches(0) == 1; }, milliseconds(30000)))
      << "the server still holds " << ensemble.DataWatches(0) << " watches";
  EXPECT_EQ(session->Stats().orphan_watches_removed_total, static_cast<uint64_t>(kZnodes));
}

// Issue 17, defects 2 and 4, end to end: a watch-mode subtree under a chroot whose children are short-lived
// sequential ephemerals (Curator locks, leader latches). The session's real watched bytes (chroot included)
// stay bounded through minutes of churn and end equal to what the mirror needs, which is what the budget
// counts; the server holds as many watches as the session says.
TEST(SessionClientBehaviourTest, WatchModeChurnKeepsTheSessionsWatchesEqualToTheMirror) {
  test::ZkEnsemble ensemble(test::ZkEnsembleOptions{.servers = 1});
  ASSERT_TRUE(ensemble.Start().ok());
  test::ZkTestClient writer;
  ASSERT_TRUE(writer.Connect(ensemble.ConnectString()).ok());
  const std::string chroot = "/prod/kafka-eu-1";
  ASSERT_TRUE(writer.CreateRecursive(chroot + "/w/locks").ok());
  ASSERT_TRUE(writer.CreateRecursive(chroot + "/w/stable/a").ok());
  auto session = NewSession(ensemble.ConnectString() + chroot);
  session->Start();
  ASSERT_TRUE(test::WaitFor([&] { return session->Connected(); }, milliseconds(30000)));

  collectors::SubtreeSpec spec;
  spec.root = "/w";
  spec.refresh_mode = collectors::RefreshMode::kWatch;
  spec.refresh_interval = milliseconds(500);
  spec.resync_interval = std::chrono::hours(1);
  spec.znode_patterns = {"/w/**"};
  collectors::WatchBudget budget(collectors::WatchBudget::kDefaultLimit, session->ChrootLength());
  collectors::SubtreeRefresher refresher(
      spec, session.get(), [&] { return session->Connected(); }, &budget);
  refresher.Start();
  ASSERT_TRUE(test::WaitFor([&] { return refresher.View()->last_success != nullptr; }, milliseconds(30000)));
  const std::size_t steady = session->Stats().watched_path_bytes;  // 4 znodes, data + child watch each
  EXPECT_EQ(steady, budget.used());
  EXPECT_EQ(steady, 2 * (4 * (4 + chroot.size()) + 2 + 8 + 9 + 11));  // /w /w/locks /w/stable /w/stable/a

  // Churn, bounded by time and count: create a sequential-named ephemeral, let the refresher list it, delete.
  std::size_t max_seen = 0;
  int created = 0;
  const auto churn_end = std::chrono::steady_clock::now() + std::chrono::seconds(150);
  while (std::chrono::steady_clock::now() < churn_end && created < 20000) {
    char name[96];
    std::snprintf(name, sizeof name, "%s/w/locks/lock-%010d", chroot.c_str(), created++);
    ASSERT_TRUE(writer.Create(name, "", test::NodeKind::kEphemeral).ok());
    ASSERT_TRUE(writer.Delete(name).ok());
    max_seen = std::max(max_seen, session->Stats().watched_path_bytes);
  }
  std::printf("churn: %d sequential ephemerals created and deleted; session watched bytes max %zu\n", created,
              max_seen);
  // Settled: the mirror holds the 4 stable znodes again, the session exactly their watches.
  // A reply on the session comes after every notification the server queued for it before (the churn's last
  // delete's included), so after this read no event of the churn is still on the wire. The refresher's
  // answers to those events may still be in flight, and a moment between a watch firing and its re-arming can
  // look settled: bytes and count are read together, and must hold for a second.
  ASSERT_TRUE(ListSync(*session, "/w/locks").ok());
  EXPECT_TRUE(test::WaitForSteady(
      [&] {
        const zk::SessionStats st = session->Stats();
        return st.watched_path_bytes == steady && st.watches == 8U && budget.used() == steady;
      },
      milliseconds(1000), milliseconds(60000)))
      << "session watched bytes " << session->Stats().watched_path_bytes << ", the mirror needs " << steady
      << " (" << session->Stats().watches << " watches; budget " << budget.used() << ")";
  // `wchs` counts the server's data (and exists) watches only (DataTree.dumpWatchesSummary): one per znode.
  EXPECT_TRUE(test::WaitFor([&] { return ensemble.DataWatches(0) == 4; }, milliseconds(30000)))
      << "the server holds " << ensemble.DataWatches(0) << " watches";
  // Bounded throughout: never more than a few hundred watches' worth of transient orphans.
  EXPECT_LT(max_seen, steady + 256 * (4 + chroot.size() + 24));
  EXPECT_GT(session->Stats().orphan_watches_removed_total, 0U);
  refresher.Stop();
}

// Issue 17, defect 6: a caller woken for a free slot that then fails because the session is down must pass
// the wake-up on; otherwise the next waiter sleeps on a free slot until an unrelated reply comes.
TEST(SessionClientBehaviourTest, WaitersForASlotAllLeaveWhenTheConnectionDrops) {
  test::ZkEnsemble ensemble(test::ZkEnsembleOptions{.servers = 1});
  ASSERT_TRUE(ensemble.Start().ok());
  zk::SessionOptions o;
  o.hosts = ensemble.ConnectString();
  o.session_timeout = milliseconds(12000);
  o.max_in_flight = 1;
  auto created = zk::Session::Create(o);
  ASSERT_TRUE(created.ok());
  auto session = std::move(created).value();
  session->Start();
  ASSERT_TRUE(test::WaitFor([&] { return session->Connected(); }, milliseconds(30000)));

  ensemble.Pause(0);  // the one request in flight gets no answer; the client times the connection out
  std::atomic<int> done_a{0};
  session->GetChildren2("/", [&](Status, zk::ChildrenResult) { ++done_a; });
  std::atomic<int> done_waiters{0};
  std::vector<std::thread> waiters;
  for (int i = 0; i < 3; ++i) {
    waiters.emplace_back(
        [&] { session->GetChildren2("/", [&](Status, zk::ChildrenResult) { ++done_waiters; }); });
  }
  ASSERT_TRUE(test::WaitFor([&] { return done_a.load() == 1; }, milliseconds(60000)));
  ensemble.Resume(0);
  EXPECT_TRUE(test::WaitFor([&] { return done_waiters.load() == 3; }, milliseconds(30000)))
      << done_waiters.load() << " of 3 waiters left; the others sleep on a free slot";
  session->Stop();  // wakes any waiter left, so that the threads can be joined
  for (auto& t : waiters) t.join();
}

// Issue 17, defect 5: what the client really does when no host of the connect string resolves.
// resolve_hosts() fails, zookeeper_init returns NULL, and the session retries init without ever creating a
// handle; reads fail at once. A name with an empty label fails inside glibc without a DNS query.
TEST(SessionClientBehaviourTest, NoHostResolvesMeansNoHandleAndFastFailures) {
  auto session = NewSession("no-such-host..invalid:2181,also..invalid:2181");
  session->Start();
  std::this_thread::sleep_for(milliseconds(2500));  // a few init attempts (init_retry_backoff 1 s)
  EXPECT_EQ(session->Stats().handles_created_total, 0U);
  EXPECT_FALSE(session->Connected());
  EXPECT_EQ(ListSync(*session, "/").code(), StatusCode::kUnavailable);

  // One resolvable host is enough: the client keeps the hosts that resolved and connects to them.
  test::ZkEnsemble ensemble(test::ZkEnsembleOptions{.servers = 1});
  ASSERT_TRUE(ensemble.Start().ok());
  auto mixed = NewSession("no-such-host..invalid:2181," + ensemble.ConnectString());
  mixed->Start();
  EXPECT_TRUE(test::WaitFor([&] { return mixed->Connected(); }, milliseconds(30000)));
  EXPECT_TRUE(ListSync(*mixed, "/").ok());
}

}  // namespace
}  // namespace zkx
