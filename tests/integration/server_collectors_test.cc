// The server and watches collectors against real ZooKeeper 3.8 servers: three "sidecar" collectors (one per
// member) agree with mntr read directly; a killed or hung member reads as down within seconds while the
// others keep reporting; a server with a restricted 4lw whitelist and no AdminServer is reported with a
// clear reason; the AdminServer and mntr paths both work; watch totals and per-path counts are read.
#include <chrono>
#include <cstdio>
#include <map>
#include <memory>
#include <string>

#include <gtest/gtest.h>
#include <zookeeper/zookeeper.h>

#include "collectors/server_collector.h"
#include "collectors/watches_collector.h"
#include "server/mntr_parser.h"
#include "tests/support/wait_and_ports.h"
#include "tests/support/zk_ensemble.h"
#include "tests/support/zk_test_client.h"

namespace zkx {
namespace {

using collectors::ServerCollector;
using collectors::ServerProbeOptions;
using std::chrono::milliseconds;
using Clock = std::chrono::steady_clock;

// "name{l1="v1",...}" -> value.
std::map<std::string, double> Samples(const std::vector<prometheus::MetricFamily>& families) {
  std::map<std::string, double> out;
  for (const auto& f : families) {
    for (const auto& m : f.metric) {
      std::string key = f.name;
      if (!m.label.empty()) {
        key += '{';
        for (std::size_t i = 0; i < m.label.size(); ++i) {
          if (i > 0) key += ',';
          key += m.label[i].name + "=\"" + m.label[i].value + "\"";
        }
        key += '}';
      }
      out[key] = f.type == prometheus::MetricType::Counter ? m.counter.value : m.gauge.value;
    }
  }
  return out;
}

std::map<std::string, double> Collect(collectors::Collector& c, milliseconds budget = milliseconds(5000),
                                      double* took_seconds = nullptr) {
  std::vector<prometheus::MetricFamily> out;
  const auto t0 = Clock::now();
  const Status s = c.Collect(t0 + budget, &out);
  const double took = std::chrono::duration<double>(Clock::now() - t0).count();
  EXPECT_TRUE(s.ok()) << s.ToString();
  EXPECT_LE(took, std::chrono::duration<double>(budget).count() + 0.1);  // never past the deadline
  if (took_seconds != nullptr) *took_seconds = took;
  return Samples(out);
}

std::string Label(const test::ZkEnsemble& e, int i) {
  return "127.0.0.1:" + std::to_string(e.ClientPort(i));
}

std::unique_ptr<ServerCollector> Sidecar(const test::ZkEnsemble& e, int i, uint16_t admin_port,
                                         milliseconds timeout = milliseconds(2000)) {
  return std::make_unique<ServerCollector>(std::vector<server::HostPort>{{"127.0.0.1", e.ClientPort(i)}},
                                           ServerProbeOptions{admin_port, timeout});
}

double DirectZnodeCount(const test::ZkEnsemble& e, int i) {
  Result<std::string> mntr = e.FourLetterWord(i, "mntr");
  if (!mntr.ok()) return -1;
  Result<server::ServerReport> r = server::ParseMntr(*mntr);
  return r.ok() && r->znode_count ? *r->znode_count : -1;
}

class ServerCollectorsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ensemble_ = std::make_unique<test::ZkEnsemble>(test::ZkEnsembleOptions{.servers = 3});
    Status s = ensemble_->Start();
    ASSERT_TRUE(s.ok()) << s.ToString();
  }
  std::unique_ptr<test::ZkEnsemble> ensemble_;
};

TEST_F(ServerCollectorsTest, SidecarsAgreeWithMntrOnBothPaths) {
  test::ZkTestClient writer;
  ASSERT_TRUE(writer.Connect(ensemble_->ConnectString()).ok());
  for (int k = 0; k < 25; ++k) ASSERT_TRUE(writer.CreateRecursive("/sidecar/n" + std::to_string(k)).ok());
  ASSERT_TRUE(writer.Set("/sidecar", std::string(1000, 'x')).ok());
  // Every member has applied the writes once the direct mntr counts agree.
  double expected = -1;
  ASSERT_TRUE(test::WaitFor(
      [&] {
        const double a = DirectZnodeCount(*ensemble_, 0);
        expected = a;
        return a > 25 && a == DirectZnodeCount(*ensemble_, 1) && a == DirectZnodeCount(*ensemble_, 2);
      },
      milliseconds(10000)));

  for (const bool admin : {true, false}) {
    SCOPED_TRACE(admin ? "admin" : "mntr");
    int leaders = 0;
    for (int i = 0; i < 3; ++i) {
      auto c = Sidecar(*ensemble_, i, admin ? ensemble_->AdminPort(i) : 0);
      double took = 0;
      auto s = Collect(*c, milliseconds(5000), &took);
      const std::string server = "{server=\"" + Label(*ensemble_, i) + "\"";
      EXPECT_EQ(s["zookeeper_server_up" + server + "}"], 1);
      EXPECT_EQ(s["zookeeper_server_source" + server + ",source=\"" + (admin ? "admin" : "mntr") + "\"}"], 1);
      EXPECT_EQ(s["zookeeper_server_znodes" + server + "}"], expected);
      EXPECT_EQ(s.count("zookeeper_server_watches" + server + "}"), 1u);
      EXPECT_GT(s["zookeeper_server_approximate_data_bytes" + server + "}"], 1000);
      EXPECT_GT(s["zookeeper_server_max_file_descriptors" + server + "}"], 0);
      const bool leader = s["zookeeper_server_state" + server + ",state=\"leader\"}"] == 1;
      EXPECT_EQ(leader ? 0 : 1, s["zookeeper_server_state" + server + ",state=\"follower\"}"]);
      if (leader) {
        ++leaders;
        EXPECT_EQ(s["zookeeper_server_synced_followers" + server + "}"], 2);
        EXPECT_EQ(ensemble_->ServerMode(i).value(), "leader");
      }
      bool errors = false;
      for (const auto& [k, v] : s) errors = errors || k.starts_with("zookeeper_server_probe_error");
      EXPECT_FALSE(errors);
      std::printf("[ measured ] sidecar %d via %s: %.1f ms\n", i, admin ? "admin" : "mntr", took * 1000);
    }
    EXPECT_EQ(leaders, 1);
  }

  // One collector over all three servers (the non-sidecar mode): concurrent probes.
  std::vector<server::HostPort> all;
  for (int i = 0; i < 3; ++i) all.push_back({"127.0.0.1", ensemble_->ClientPort(i)});
  for (const uint16_t admin : {ensemble_->AdminPort(0), uint16_t{0}}) {
    // Every member serves its AdminServer on its own port, so admin is only used for the member it matches.
    ServerCollector c(all, ServerProbeOptions{admin, milliseconds(2000)});
    double took = 0;
    auto s = Collect(c, milliseconds(5000), &took);
    for (int i = 0; i < 3; ++i)
      EXPECT_EQ(s["zookeeper_server_up{server=\"" + Label(*ensemble_, i) + "\"}"], 1);
    std::printf("[ measured ] one collector, 3 servers, admin port %u: %.1f ms\n", admin, took * 1000);
  }
}

TEST_F(ServerCollectorsTest, HungAndKilledServerReadsAsDownWithinSeconds) {
  Result<int> leader = ensemble_->LeaderIndex();
  ASSERT_TRUE(leader.ok());
  const int victim = (*leader + 1) % 3;  // a follower: the others keep a quorum
  std::vector<std::unique_ptr<ServerCollector>> sidecars;
  for (int i = 0; i < 3; ++i)
    sidecars.push_back(Sidecar(*ensemble_, i, ensemble_->AdminPort(i), milliseconds(1000)));
  const std::string vs = "{server=\"" + Label(*ensemble_, victim) + "\"";
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(Collect(*sidecars[static_cast<std::size_t>(i)])["zookeeper_server_up{server=\"" +
                                                              Label(*ensemble_, i) + "\"}"],
              1);
  }

  // Hung (SIGSTOP): the probe times out at the per-server timeout, the scrape is not stalled.
  ensemble_->Pause(victim);
  double took = 0;
  auto hung = Collect(*sidecars[static_cast<std::size_t>(victim)], milliseconds(5000), &took);
  EXPECT_EQ(hung["zookeeper_server_up" + vs + "}"], 0);
  EXPECT_EQ(hung["zookeeper_server_probe_error" + vs + ",source=\"admin\",reason=\"timeout\"}"], 1);
  EXPECT_EQ(hung["zookeeper_server_probe_error" + vs + ",source=\"mntr\",reason=\"timeout\"}"], 1);
  EXPECT_LT(took, 1.3);
  std::printf("[ measured ] hung server, timeout 1s: Collect took %.1f ms\n", took * 1000);
  ensemble_->Resume(victim);
  ASSERT_TRUE(test::WaitFor(
      [&] {
        return Collect(*sidecars[static_cast<std::size_t>(victim)])["zookeeper_server_up" + vs + "}"] == 1;
      },
      milliseconds(20000)));

  // Killed: down on the very next scrape; the others keep reporting.
  const auto t0 = Clock::now();
  ensemble_->Kill(victim);
  double down_after = -1;
  ASSERT_TRUE(test::WaitFor(
      [&] {
        auto s = Collect(*sidecars[static_cast<std::size_t>(victim)], milliseconds(3000));
        if (s["zookeeper_server_up" + vs + "}"] != 0) return false;
        down_after = std::chrono::duration<double>(Clock::now() - t0).count();
        EXPECT_EQ(s["zookeeper_server_probe_error" + vs + ",source=\"admin\",reason=\"connection_refused\"}"],
                  1);
        EXPECT_EQ(s["zookeeper_server_probe_error" + vs + ",source=\"mntr\",reason=\"connection_refused\"}"],
                  1);
        return true;
      },
      milliseconds(5000), milliseconds(100)));
  std::printf("[ measured ] killed server reported down after %.3f s\n", down_after);
  for (int i = 0; i < 3; ++i) {
    if (i == victim) continue;
    EXPECT_TRUE(test::WaitFor(
        [&] {
          return Collect(*sidecars[static_cast<std::size_t>(i)])["zookeeper_server_up{server=\"" +
                                                                 Label(*ensemble_, i) + "\"}"] == 1;
        },
        milliseconds(15000)));
  }
}

void NoopWatcher(zhandle_t*, int, int, const char*, void*) {}

TEST_F(ServerCollectorsTest, WatchTotalsAndPerPathCounts) {
  test::ZkTestClient writer;
  ASSERT_TRUE(writer.Connect(ensemble_->ServerAddress(0)).ok());  // watches land on member 0
  for (const char* p : {"/watched/a", "/watched/b", "/watched/c", "/other/x"}) {
    ASSERT_TRUE(writer.CreateRecursive(p).ok());
    Stat stat{};
    ASSERT_EQ(zoo_wexists(writer.handle(), p, NoopWatcher, nullptr, &stat), ZOK);
  }
  for (const bool admin : {true, false}) {
    SCOPED_TRACE(admin ? "admin" : "wchs");
    collectors::WatchesOptions o;
    o.admin_port = admin ? ensemble_->AdminPort(0) : 0;
    o.per_path = true;
    o.max_paths = 2;
    o.roots = {"/watched"};
    collectors::WatchesCollector c({{"127.0.0.1", ensemble_->ClientPort(0)}}, o);
    auto s = Collect(c);
    const std::string server = "{server=\"" + Label(*ensemble_, 0) + "\"";
    EXPECT_EQ(s["zookeeper_watches_up" + server + "}"], 1);
    EXPECT_EQ(s["zookeeper_watches" + server + "}"], 4);
    EXPECT_EQ(s["zookeeper_watches_paths" + server + "}"], 4);
    EXPECT_EQ(s["zookeeper_watches_connections" + server + "}"], 1);
    EXPECT_EQ(s["zookeeper_watches_paths_matched" + server + "}"], 3);
    EXPECT_EQ(s["zookeeper_watches_paths_truncated" + server + "}"], 1);
    int per_path = 0;
    for (const auto& [k, v] : s) {
      if (!k.starts_with("zookeeper_watches_path_sessions{")) continue;
      ++per_path;
      EXPECT_EQ(v, 1) << k;
      EXPECT_NE(k.find("path=\"/watched/"), std::string::npos) << k;
    }
    EXPECT_EQ(per_path, 2);
  }
}

TEST(ServerCollectorsRestrictedTest, SrvrOnlyWhitelistWithoutAdminServerIsReportedClearly) {
  test::ZkEnsembleOptions options;
  options.servers = 1;
  options.four_letter_word_whitelist = "srvr";
  options.admin_server = false;
  test::ZkEnsemble ensemble(options);
  Status st = ensemble.Start();
  ASSERT_TRUE(st.ok()) << st.ToString();
  Result<uint16_t> nothing = test::FreeLoopbackPort();  // the default admin port, where nothing listens
  ASSERT_TRUE(nothing.ok());

  auto c = Sidecar(ensemble, 0, *nothing);
  auto s = Collect(*c);
  const std::string server = "{server=\"" + Label(ensemble, 0) + "\"";
  EXPECT_EQ(
      s["zookeeper_server_probe_error" + server + ",source=\"admin\",reason=\"admin_server_disabled\"}"], 1);
  EXPECT_EQ(s["zookeeper_server_probe_error" + server + ",source=\"mntr\",reason=\"not_whitelisted\"}"], 1);
  // srvr is whitelisted: the server is still up, with the facts srvr carries.
  EXPECT_EQ(s["zookeeper_server_up" + server + "}"], 1);
  EXPECT_EQ(s["zookeeper_server_source" + server + ",source=\"srvr\"}"], 1);
  EXPECT_EQ(s["zookeeper_server_state" + server + ",state=\"standalone\"}"], 1);
  EXPECT_GE(s["zookeeper_server_znodes" + server + "}"], 4);

  collectors::WatchesOptions o;
  o.admin_port = 0;
  collectors::WatchesCollector w({{"127.0.0.1", ensemble.ClientPort(0)}}, o);
  auto ws = Collect(w);
  EXPECT_EQ(ws["zookeeper_watches_up" + server + "}"], 0);
  EXPECT_EQ(ws["zookeeper_watches_probe_error" + server + ",source=\"wchs\",reason=\"not_whitelisted\"}"], 1);
}

}  // namespace
}  // namespace zkx
