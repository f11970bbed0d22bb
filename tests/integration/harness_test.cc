// Integration tests of the test harness itself (tests/support): a real ZooKeeper ensemble on loopback.

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <map>
#include <set>
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <signal.h>
#include <sys/stat.h>

#include "tests/support/http_get.h"
#include "tests/support/sample_trees.h"
#include "tests/support/wait_and_ports.h"
#include "tests/support/zk_ensemble.h"
#include "tests/support/zk_test_client.h"

namespace zkx::test {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using ::testing::HasSubstr;

ZkEnsembleOptions Servers(int n) {
  ZkEnsembleOptions options;
  options.servers = n;
  return options;
}

int CountModes(ZkEnsemble& ensemble, const std::string& mode) {
  int n = 0;
  for (int i = 0; i < ensemble.size(); ++i) {
    auto m = ensemble.ServerMode(i);
    if (m.ok() && *m == mode) ++n;
  }
  return n;
}

// zk_znode_count from server i's `mntr`, or -1.
long ZnodeCount(const ZkEnsemble& ensemble, int i) {
  auto mntr = ensemble.FourLetterWord(i, "mntr");
  if (!mntr.ok()) return -1;
  const auto pos = mntr->find("zk_znode_count\t");
  return pos == std::string::npos ? -1 : std::atol(mntr->c_str() + pos + 15);
}

TEST(DigestIdTest, MatchesZooKeepersGenerateDigest) {
  // DigestAuthenticationProvider.generateDigest("super:admin"), as in ZooKeeper's admin guide.
  EXPECT_EQ(DigestId("super", "admin"), "super:xQJmxLMiHGwaqBvst5y6rkB6HQs=");
}

TEST(HttpParseTest, DecodesChunkedBodies) {
  auto r = ParseHttpResponse(
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Type: text/plain\r\n\r\n"
      "4\r\nabcd\r\n3\r\nefg\r\n0\r\n\r\n");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->headers["content-type"], "text/plain");
  EXPECT_EQ(r->body, "abcdefg");
}

TEST(PortsTest, FreeLoopbackPortsAreDistinct) {
  auto ports = FreeLoopbackPorts(12);
  ASSERT_TRUE(ports.ok());
  EXPECT_EQ(std::set<uint16_t>(ports->begin(), ports->end()).size(), 12U);
  auto one = FreeLoopbackPort();
  ASSERT_TRUE(one.ok());
  EXPECT_GT(*one, 0);
}

TEST(ZkEnsembleTest, StandaloneServesFourLetterWordsAndAdminServer) {
  std::string base;
  pid_t pid = 0;
  {
    ZkEnsemble ensemble;
    ASSERT_TRUE(ensemble.Start().ok());
    base = ensemble.base_dir();
    pid = ensemble.Pid(0);
    EXPECT_GT(pid, 0);
    auto mode = ensemble.ServerMode(0);
    ASSERT_TRUE(mode.ok()) << mode.status().ToString();
    EXPECT_EQ(*mode, "standalone");
    auto ruok = ensemble.FourLetterWord(0, "ruok");
    ASSERT_TRUE(ruok.ok());
    EXPECT_EQ(*ruok, "imok");
    auto mntr = ensemble.FourLetterWord(0, "mntr");
    ASSERT_TRUE(mntr.ok());
    EXPECT_THAT(*mntr, HasSubstr("zk_version\t3.8"));
    EXPECT_EQ(ensemble.ConnectString(), "127.0.0.1:" + std::to_string(ensemble.ClientPort(0)));

    ASSERT_GT(ensemble.AdminPort(0), 0);
    auto http = HttpGet("127.0.0.1", ensemble.AdminPort(0), "/commands/ruok");
    ASSERT_TRUE(http.ok()) << http.status().ToString();
    EXPECT_EQ(http->status, 200);
    EXPECT_THAT(http->body, HasSubstr("\"command\" : \"ruok\""));
  }
  // The destructor stopped the server and removed the temp dir.
  EXPECT_NE(::kill(pid, 0), 0);
  if (std::getenv("ZKX_KEEP_TEST_DIRS") == nullptr) {
    struct stat st {};
    EXPECT_NE(::stat(base.c_str(), &st), 0) << base << " still exists";
  }
}

TEST(ZkEnsembleTest, ThreeNodesElectOneLeaderAndServeABulkTree) {
  ZkEnsemble ensemble(Servers(3));
  const auto t0 = std::chrono::steady_clock::now();
  Status started = ensemble.Start();
  ASSERT_TRUE(started.ok()) << started.ToString();
  std::cerr << "3-node ensemble started in "
            << std::chrono::duration_cast<milliseconds>(std::chrono::steady_clock::now() - t0).count()
            << " ms\n";
  EXPECT_EQ(CountModes(ensemble, "leader"), 1);
  EXPECT_EQ(CountModes(ensemble, "follower"), 2);
  const std::string hosts = ensemble.ConnectString();
  EXPECT_EQ(std::count(hosts.begin(), hosts.end(), ','), 2) << hosts;

  ZkTestClient client;
  ASSERT_TRUE(client.Connect(ensemble.ConnectString()).ok());
  auto leader = ensemble.LeaderIndex();
  ASSERT_TRUE(leader.ok());
  const long znodes_before = ZnodeCount(ensemble, *leader);
  ASSERT_GT(znodes_before, 0);
  const SampleTree tree = SyntheticTree(5000, 20, 32, "/bulk");
  ASSERT_EQ(tree.size(), 5000U);
  const auto t1 = std::chrono::steady_clock::now();
  Status created = client.CreateTree(tree.persistent);
  ASSERT_TRUE(created.ok()) << created.ToString();
  std::cerr << "CreateTree(5000) took "
            << std::chrono::duration_cast<milliseconds>(std::chrono::steady_clock::now() - t1).count()
            << " ms\n";

  // The leader holds exactly 5,000 more znodes, and every parent has the children the tree lists.
  EXPECT_EQ(ZnodeCount(ensemble, *leader) - znodes_before, 5000);
  std::map<std::string, std::size_t> expected_children;
  for (const auto& [path, data] : tree.persistent) {
    if (path != "/bulk") ++expected_children[path.substr(0, path.rfind('/'))];
  }
  for (const auto& [parent, count] : expected_children) {
    auto children = client.GetChildren(parent);
    ASSERT_TRUE(children.ok()) << children.status().ToString();
    EXPECT_EQ(children->size(), count) << parent;
  }
  auto data = client.Get("/bulk/n3/n7");
  ASSERT_TRUE(data.ok());
  EXPECT_EQ(data->size(), 32U);

  // A second CreateTree of the same paths is a no-op, not an error.
  EXPECT_TRUE(client.CreateTree(tree.persistent).ok());
  EXPECT_TRUE(client.DeleteRecursive("/bulk").ok());
  auto exists = client.Exists("/bulk");
  ASSERT_TRUE(exists.ok());
  EXPECT_FALSE(*exists);
  EXPECT_EQ(ZnodeCount(ensemble, *leader), znodes_before);
}

TEST(ZkEnsembleTest, KillingTheLeaderElectsANewOneAndRestartRejoins) {
  ZkEnsemble ensemble(Servers(3));
  ASSERT_TRUE(ensemble.Start().ok());
  auto leader = ensemble.LeaderIndex();
  ASSERT_TRUE(leader.ok()) << leader.status().ToString();
  const int old_leader = *leader;

  ensemble.Kill(old_leader);
  EXPECT_FALSE(ensemble.IsRunning(old_leader));
  int new_leader = -1;
  const auto t0 = std::chrono::steady_clock::now();
  ASSERT_TRUE(WaitFor(
      [&] {
        auto l = ensemble.LeaderIndex();
        if (l.ok()) new_leader = *l;
        return l.ok();
      },
      seconds(30)));
  std::cerr << "new leader after "
            << std::chrono::duration_cast<milliseconds>(std::chrono::steady_clock::now() - t0).count()
            << " ms\n";
  EXPECT_NE(new_leader, old_leader);

  // The surviving quorum takes writes.
  ZkTestClient client;
  ASSERT_TRUE(client.Connect(ensemble.ConnectString()).ok());
  ASSERT_TRUE(client.CreateRecursive("/while/down", "x").ok());

  Status restarted = ensemble.Restart(old_leader);
  ASSERT_TRUE(restarted.ok()) << restarted.ToString();
  EXPECT_TRUE(ensemble.IsRunning(old_leader));
  auto mode = ensemble.ServerMode(old_leader);
  ASSERT_TRUE(mode.ok());
  EXPECT_EQ(*mode, "follower");
  EXPECT_TRUE(ensemble.WaitForQuorum(seconds(30)).ok());

  // The restarted server caught up with the write made while it was down.
  ZkTestClient direct;
  ASSERT_TRUE(direct.Connect(ensemble.ServerAddress(old_leader)).ok());
  auto exists = direct.Exists("/while/down");
  ASSERT_TRUE(exists.ok()) << exists.status().ToString();
  EXPECT_TRUE(*exists);
}

TEST(ZkEnsembleTest, PausedServerStopsAnsweringAndResumes) {
  ZkEnsemble ensemble(Servers(3));
  ASSERT_TRUE(ensemble.Start().ok());
  auto leader = ensemble.LeaderIndex();
  ASSERT_TRUE(leader.ok());
  const int follower = (*leader + 1) % 3;

  ensemble.Pause(follower);
  EXPECT_TRUE(ensemble.IsRunning(follower));
  EXPECT_TRUE(ensemble.IsPaused(follower));
  auto srvr = FourLetterWordTo(ensemble.ClientPort(follower), "srvr", milliseconds(1000));
  EXPECT_FALSE(srvr.ok());

  // Two of three still form a quorum.
  ZkTestClient client;
  ASSERT_TRUE(client.Connect(ensemble.ServerAddress(*leader)).ok());
  ASSERT_TRUE(client.Create("/during-pause", "").ok());

  ensemble.Resume(follower);
  EXPECT_FALSE(ensemble.IsPaused(follower));
  EXPECT_TRUE(WaitFor([&] { return ensemble.ServerMode(follower).ok(); }, seconds(30)));
  EXPECT_TRUE(ensemble.WaitForQuorum(seconds(30)).ok());
}

TEST(ZkTestClientTest, DigestAclNeedsAuthAndEphemeralsDieWithTheSession) {
  ZkEnsemble ensemble;
  ASSERT_TRUE(ensemble.Start().ok());

  ZkTestClient owner;
  ASSERT_TRUE(owner.Connect(ensemble.ConnectString()).ok());
  ASSERT_TRUE(owner.Create("/secret", "s3cr3t", NodeKind::kPersistent, DigestAcl("alice", "pw")).ok());
  ASSERT_TRUE(owner.Create("/public", "hello", NodeKind::kPersistent, ReadOnlyWorldAcl()).ok());

  ZkTestClient reader;
  ASSERT_TRUE(reader.Connect(ensemble.ConnectString()).ok());
  auto denied = reader.Get("/secret");
  ASSERT_FALSE(denied.ok());
  EXPECT_EQ(denied.status().code(), StatusCode::kPermissionDenied) << denied.status().ToString();
  EXPECT_THAT(denied.status().message(), HasSubstr("ZNOAUTH"));
  // Read-only world: readable, not writable.
  auto pub = reader.Get("/public");
  ASSERT_TRUE(pub.ok());
  EXPECT_EQ(*pub, "hello");
  EXPECT_EQ(reader.Set("/public", "no").code(), StatusCode::kPermissionDenied);

  ASSERT_TRUE(reader.AddDigestAuth("alice", "wrong").ok());  // digest auth always "succeeds"; ids just differ
  EXPECT_EQ(reader.Get("/secret").status().code(), StatusCode::kPermissionDenied);
  ASSERT_TRUE(reader.AddDigestAuth("alice", "pw").ok());
  auto granted = reader.Get("/secret");
  ASSERT_TRUE(granted.ok()) << granted.status().ToString();
  EXPECT_EQ(*granted, "s3cr3t");

  // Creator-all ACL after auth.
  ASSERT_TRUE(reader.Create("/mine", "m", NodeKind::kPersistent, CreatorAllAcl()).ok());
  EXPECT_EQ(owner.Get("/mine").status().code(), StatusCode::kPermissionDenied);

  // Ephemeral registrations (Kafka-like broker ids) live as long as their session.
  const SampleTree kafka = KafkaLikeTree(3, 2, 2, /*ephemeral_brokers=*/true);
  EXPECT_EQ(kafka.ephemeral.size(), 4U);  // 3 broker ids + /controller
  {
    ZkTestClient brokers;
    ASSERT_TRUE(brokers.Connect(ensemble.ConnectString()).ok());
    ASSERT_TRUE(CreateSampleTree(brokers, kafka).ok());
    auto ids = owner.GetChildren("/brokers/ids");
    ASSERT_TRUE(ids.ok());
    EXPECT_EQ(*ids, (std::vector<std::string>{"1", "2", "3"}));
    auto state = owner.Get("/brokers/topics/topic-001/partitions/1/state");
    ASSERT_TRUE(state.ok());
    EXPECT_THAT(*state, HasSubstr("\"isr\":[3,1,2]"));
  }
  auto ids = owner.GetChildren("/brokers/ids");
  ASSERT_TRUE(ids.ok());
  EXPECT_TRUE(ids->empty());
}

TEST(SampleTreeTest, DemoTreeShape) {
  const SampleTree demo = DemoTree(/*ephemeral_registrations=*/false);
  EXPECT_TRUE(demo.ephemeral.empty());
  std::set<std::string> paths;
  for (const auto& [path, data] : demo.persistent) {
    EXPECT_TRUE(paths.insert(path).second) << "duplicate " << path;
    if (path.rfind('/') > 0) {
      EXPECT_TRUE(paths.contains(path.substr(0, path.rfind('/')))) << path;
    }
  }
  EXPECT_TRUE(paths.contains("/brokers/topics/topic-049/partitions/5/state"));
  EXPECT_TRUE(paths.contains("/dubbo/com.example.demo.Service19/providers"));
  EXPECT_EQ(SyntheticTree(35000, 10, 64).size(), 35000U);
  // Kafka's znode data is JSON (except the bare /controller_epoch number).
  for (const auto& [path, data] : KafkaLikeTree(3, 4, 3, /*ephemeral_brokers=*/true).persistent) {
    if (!data.empty()) {
      EXPECT_TRUE(nlohmann::json::accept(data)) << path << ": " << data;
    }
  }
  for (const auto& [path, data] : KafkaLikeTree(3, 4, 3, /*ephemeral_brokers=*/true).ephemeral) {
    EXPECT_TRUE(nlohmann::json::accept(data)) << path << ": " << data;
  }
}

TEST(ZkEnsembleTest, ShortSessionsNegotiateShortTimeouts) {
  ZkEnsemble short_sessions(ZkEnsembleOptions::ShortSessions(1));
  ASSERT_TRUE(short_sessions.Start().ok());
  ZkTestClient client;
  ASSERT_TRUE(client.Connect(short_sessions.ConnectString(), seconds(15), milliseconds(2000)).ok());
  EXPECT_EQ(client.negotiated_timeout(), milliseconds(2000));
  EXPECT_NE(client.session_id(), 0);

  // With the default tickTime (2000 ms) the server raises it to 2 x tickTime.
  ZkEnsemble defaults;
  ASSERT_TRUE(defaults.Start().ok());
  ZkTestClient other;
  ASSERT_TRUE(other.Connect(defaults.ConnectString(), seconds(15), milliseconds(2000)).ok());
  EXPECT_EQ(other.negotiated_timeout(), milliseconds(4000));
}

}  // namespace
}  // namespace zkx::test
