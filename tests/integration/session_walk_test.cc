// The ZooKeeper layer against a real 3-node ensemble: walks match the tree, caps truncate, ACLs are
// respected, digest credentials open what they should.
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>

#include <gtest/gtest.h>

#include "tests/support/sample_trees.h"
#include "tests/support/sessions.h"
#include "tests/support/wait_and_ports.h"
#include "tests/support/zk_ensemble.h"
#include "tests/support/zk_test_client.h"
#include "zk/reader_pool.h"
#include "zk/session.h"
#include "zk/subtree_walk.h"

namespace zkx {
namespace {

using std::chrono::milliseconds;
using test::ConnectedSession;

// Every znode below `root` with its data length, read one sync call at a time: the independent reference.
void ListRecursively(test::ZkTestClient& client, const std::string& path,
                     std::map<std::string, std::size_t>* out) {
  Result<std::string> data = client.Get(path);
  ASSERT_TRUE(data.ok()) << data.status().ToString();
  (*out)[path] = data->size();
  Result<std::vector<std::string>> children = client.GetChildren(path);
  ASSERT_TRUE(children.ok()) << children.status().ToString();
  for (const std::string& c : *children) ListRecursively(client, path == "/" ? "/" + c : path + "/" + c, out);
}

struct Walked {
  zk::WalkSummary summary;
  std::map<std::string, std::size_t> nodes;  // path -> data length
  std::map<std::string, int> depth;
};

Walked Walk(zk::ZnodeReader& session, const std::string& root, zk::WalkLimits limits = {}) {
  Walked w;
  w.summary = zk::WalkSubtree(session, root, limits, [&](const zk::WalkedZnode& z) {
    w.nodes[std::string(z.path)] = static_cast<std::size_t>(z.stat->data_length);
    w.depth[std::string(z.path)] = z.depth;
  });
  return w;
}

class SessionWalkTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    ensemble_ = new test::ZkEnsemble(test::ZkEnsembleOptions{.servers = 3});
    Status s = ensemble_->Start();
    ASSERT_TRUE(s.ok()) << s.ToString();
    writer_ = new test::ZkTestClient();
    ASSERT_TRUE(writer_->Connect(ensemble_->ConnectString()).ok());
    test::SampleTree tree = test::KafkaLikeTree(3, 25, 6, false, "/walk");
    tree.Append(test::DubboLikeTree(10, 8, false, "/walk"));
    ASSERT_TRUE(writer_->CreateRecursive("/walk").ok());
    ASSERT_TRUE(test::CreateSampleTree(*writer_, tree).ok());
  }
  static void TearDownTestSuite() {
    delete writer_;
    delete ensemble_;
  }
  static test::ZkEnsemble* ensemble_;
  static test::ZkTestClient* writer_;
};
test::ZkEnsemble* SessionWalkTest::ensemble_ = nullptr;
test::ZkTestClient* SessionWalkTest::writer_ = nullptr;

TEST_F(SessionWalkTest, WalkMatchesAnIndependentListing) {
  auto session = ConnectedSession(ensemble_->ConnectString());
  ASSERT_TRUE(session);
  std::map<std::string, std::size_t> expected;
  ListRecursively(*writer_, "/walk", &expected);
  ASSERT_GT(expected.size(), 200u);

  Walked w = Walk(*session, "/walk");
  ASSERT_TRUE(w.summary.status.ok()) << w.summary.status.ToString();
  EXPECT_FALSE(w.summary.truncated());
  EXPECT_EQ(w.summary.visited, expected.size());
  EXPECT_EQ(w.nodes, expected);  // same paths, same data sizes
  EXPECT_EQ(w.depth["/walk"], 0);
  EXPECT_EQ(w.depth["/walk/brokers/ids"], 2);
  EXPECT_EQ(session->InFlight(), 0u);
}

TEST_F(SessionWalkTest, AReaderPoolWalksOverSeveralSessionsAndSkipsAClosedOne) {
  auto primary = ConnectedSession(ensemble_->ConnectString());
  auto second = ConnectedSession(ensemble_->ConnectString());
  auto third = ConnectedSession(ensemble_->ConnectString());
  ASSERT_TRUE(primary && second && third);
  zk::ReaderPool pool(primary.get(), {second.get(), third.get()});
  EXPECT_EQ(pool.ConnectedSessions(), 3u);
  EXPECT_EQ(pool.SessionEpoch(), primary->SessionEpoch());
  std::map<std::string, std::size_t> expected;
  ListRecursively(*writer_, "/walk", &expected);

  Walked w = Walk(pool, "/walk");
  ASSERT_TRUE(w.summary.status.ok()) << w.summary.status.ToString();
  EXPECT_EQ(w.nodes, expected);

  // A closed walk session is skipped: the walk still completes on the others.
  second->Stop();
  EXPECT_EQ(pool.ConnectedSessions(), 2u);
  Walked again = Walk(pool, "/walk");
  ASSERT_TRUE(again.summary.status.ok()) << again.summary.status.ToString();
  EXPECT_EQ(again.nodes, expected);
  // Watched reads go to the primary only: its watch count grows, the extras' stays 0.
  std::mutex mu;
  std::condition_variable cv;
  bool done = false;
  pool.WatchExists("/walk", [&](Status, zk::ZnodeStat) {
    std::lock_guard<std::mutex> lock(mu);
    done = true;
    cv.notify_all();
  });
  std::unique_lock<std::mutex> lock(mu);
  ASSERT_TRUE(cv.wait_for(lock, milliseconds(10000), [&] { return done; }));
  EXPECT_EQ(primary->WatchCount(), 1u);
  EXPECT_EQ(third->WatchCount(), 0u);
}

// Spread::kMeasured (the exporter's): the extra sessions are opened only by walks busy enough to measure
// them; a narrow walk never opens one, and a walk during which sessions join still reads every znode once.
TEST_F(SessionWalkTest, AMeasuredReaderPoolOpensWalkSessionsOnlyForBusyWalks) {
  ASSERT_TRUE(writer_->CreateRecursive("/pool").ok());
  ASSERT_TRUE(test::CreateSampleTree(*writer_, test::SyntheticTree(3000, 10, 8, "/pool/big")).ok());
  auto primary = test::ConnectedSession(ensemble_->ConnectString());
  auto second = test::NewSession(ensemble_->ConnectString());
  auto third = test::NewSession(ensemble_->ConnectString());
  ASSERT_TRUE(primary && second && third);
  zk::WalkSessionCountOptions quick;  // epochs short enough for a 3,000-znode walk to judge several
  quick.epoch_time = milliseconds(20);
  quick.epoch_replies = 100;
  zk::ReaderPool pool(primary.get(), {second.get(), third.get()}, zk::ReaderPool::Spread::kMeasured, quick);
  EXPECT_EQ(pool.SessionsInUse(), 1u);

  // A narrow walk (20 chains: never 128 requests in flight, and its window never full) is not busy, so
  // nothing is measured and nothing opened, however often it runs.
  ASSERT_TRUE(test::CreateSampleTree(*writer_, test::ChainsTree(20, 30, "/pool/narrow")).ok());
  std::map<std::string, std::size_t> narrow;
  ListRecursively(*writer_, "/pool/narrow", &narrow);
  ASSERT_EQ(narrow.size(), 601u);
  for (int i = 0; i < 3; ++i) {
    Walked w = Walk(pool, "/pool/narrow");
    ASSERT_TRUE(w.summary.status.ok()) << w.summary.status.ToString();
    EXPECT_EQ(w.nodes, narrow);
  }
  EXPECT_EQ(pool.SessionsInUse(), 1u);
  EXPECT_EQ(pool.ConnectedSessions(), 1u);
  EXPECT_EQ(second->Stats().connects_total, 0u);
  EXPECT_EQ(pool.Figures().max, 3u);
  EXPECT_EQ(pool.Figures().open, 1u);

  // A busy walk: after its first epoch the pool tries a second session, which connects.
  std::map<std::string, std::size_t> big;
  ListRecursively(*writer_, "/pool/big", &big);
  ASSERT_EQ(big.size(), 3000u);
  for (int i = 0; i < 5; ++i) {
    Walked w = Walk(pool, "/pool/big");
    ASSERT_TRUE(w.summary.status.ok()) << w.summary.status.ToString();
    EXPECT_EQ(w.nodes, big) << "walk " << i;
  }
  EXPECT_TRUE(test::WaitFor([&] { return second->Connected(); }, milliseconds(30000)));
  EXPECT_GE(second->Stats().connects_total, 1u);
  EXPECT_GE(pool.ConnectedSessions(), 2u);
  EXPECT_GE(pool.Figures().open, 2u);
  // Watched reads still go to the primary only.
  EXPECT_EQ(second->WatchCount(), 0u);
}

TEST_F(SessionWalkTest, CapsTruncateTheWalk) {
  auto session = ConnectedSession(ensemble_->ConnectString());
  ASSERT_TRUE(session);

  zk::WalkLimits few;
  few.max_znodes = 50;
  Walked a = Walk(*session, "/walk", few);
  EXPECT_TRUE(a.summary.status.ok());
  EXPECT_EQ(a.summary.visited, 50u);
  EXPECT_TRUE(a.summary.truncated_znodes);

  zk::WalkLimits shallow;
  shallow.max_depth = 1;
  Walked b = Walk(*session, "/walk", shallow);
  EXPECT_TRUE(b.summary.status.ok());
  EXPECT_TRUE(b.summary.truncated_depth);
  EXPECT_FALSE(b.summary.truncated_znodes);
  for (const auto& [path, d] : b.depth) EXPECT_LE(d, 1) << path;
  EXPECT_EQ(b.nodes.count("/walk/brokers"), 1u);
  EXPECT_EQ(b.nodes.count("/walk/brokers/ids"), 0u);

  zk::WalkLimits in_flight;
  in_flight.max_in_flight = 1;  // sequential, and still complete
  Walked c = Walk(*session, "/walk", in_flight);
  EXPECT_TRUE(c.summary.status.ok());
  EXPECT_FALSE(c.summary.truncated());
  EXPECT_EQ(c.nodes.size(), Walk(*session, "/walk").nodes.size());
}

TEST_F(SessionWalkTest, MissingRootIsNotFound) {
  auto session = ConnectedSession(ensemble_->ConnectString());
  ASSERT_TRUE(session);
  Walked w = Walk(*session, "/walk/no/such/znode");
  EXPECT_EQ(w.summary.status.code(), StatusCode::kNotFound);
  EXPECT_EQ(w.summary.visited, 0u);
}

TEST_F(SessionWalkTest, UnreadableZnodesAreCountedAndDigestCredentialsOpenThem) {
  // /acl/open is world-readable; /acl/secret and its child are readable only by digest user alice.
  ASSERT_TRUE(writer_->CreateRecursive("/acl/open").ok());
  ASSERT_TRUE(
      writer_
          ->Create("/acl/secret", "s3", test::NodeKind::kPersistent, test::DigestAcl("alice", "wonderland"))
          .ok());
  test::ZkTestClient alice;
  ASSERT_TRUE(alice.Connect(ensemble_->ConnectString()).ok());
  ASSERT_TRUE(alice.AddDigestAuth("alice", "wonderland").ok());
  ASSERT_TRUE(alice
                  .Create("/acl/secret/child", "c", test::NodeKind::kPersistent,
                          test::DigestAcl("alice", "wonderland"))
                  .ok());

  auto anonymous = ConnectedSession(ensemble_->ConnectString());
  ASSERT_TRUE(anonymous);
  Walked a = Walk(*anonymous, "/acl");
  ASSERT_TRUE(a.summary.status.ok()) << a.summary.status.ToString();
  EXPECT_EQ(a.summary.no_auth, 1u);
  EXPECT_EQ(a.nodes.count("/acl/open"), 1u);
  EXPECT_EQ(a.nodes.count("/acl/secret"), 0u);

  auto authed = ConnectedSession(ensemble_->ConnectString(), zk::DigestCredentials{"alice", "wonderland"});
  ASSERT_TRUE(authed);
  // zoo_add_auth completes asynchronously: wait until the secret is readable.
  Walked b;
  EXPECT_TRUE(test::WaitFor(
      [&] {
        b = Walk(*authed, "/acl");
        return b.summary.no_auth == 0;
      },
      milliseconds(10000)));
  EXPECT_EQ(b.nodes.count("/acl/secret/child"), 1u);
  EXPECT_EQ(b.nodes["/acl/secret"], 2u);

  auto wrong =
      ConnectedSession(ensemble_->ConnectString(), zk::DigestCredentials{"alice", "not-her-password"});
  ASSERT_TRUE(wrong);
  Walked c = Walk(*wrong, "/acl");
  EXPECT_EQ(c.summary.no_auth, 1u);
  EXPECT_EQ(c.nodes.count("/acl/secret"), 0u);

  // An unreadable root fails the walk.
  Walked d = Walk(*anonymous, "/acl/secret");
  EXPECT_EQ(d.summary.status.code(), StatusCode::kPermissionDenied);
}

}  // namespace
}  // namespace zkx
