// The server and watches collectors: families built from captured reports (pure), the exposition passing
// `promtool check metrics`, and the collectors against fake servers (deadlines, fallbacks, reasons).
#include <chrono>
#include <cstdio>
#include <map>
#include <string>

#include <gtest/gtest.h>
#include <prometheus/text_serializer.h>

#include "collectors/probe_warnings.h"
#include "collectors/server_collector.h"
#include "collectors/watches_collector.h"
#include "server/admin_json_parser.h"
#include "server/mntr_parser.h"
#include "server/srvr_parser.h"
#include "tests/unit/server/fake_server.h"
#include "tests/unit/server/test_files.h"

namespace zkx::collectors {
namespace {

using std::chrono::milliseconds;
using Clock = std::chrono::steady_clock;

// "name{l1="v1",...}" -> value, for every sample of `families`.
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

std::vector<ServerObservation> CapturedObservations() {
  std::vector<ServerObservation> obs(4);
  obs[0].server = "10.0.0.1:2181";
  obs[0].report = *server::ParseMntr(testdata::Read("mntr_3.8_leader.txt"));
  obs[0].source = "mntr";
  obs[1].server = "10.0.0.2:2181";
  obs[1].report = *server::ParseAdminMonitor(testdata::Read("admin_monitor_3.8_follower.json"));
  obs[1].source = "admin";
  obs[2].server = "10.0.0.3:2181";
  obs[2].report = *server::ParseSrvr(testdata::Read("srvr_3.8_leader.txt"));
  obs[2].source = "srvr";
  obs[2].failures = {{"admin", server::ProbeReason::kAdminServerDisabled, ""},
                     {"mntr", server::ProbeReason::kNotWhitelisted, ""}};
  obs[3].server = "[::1]:2181";
  obs[3].failures = {{"admin", server::ProbeReason::kConnectionRefused, ""},
                     {"mntr", server::ProbeReason::kConnectionRefused, ""}};
  return obs;
}

TEST(ServerFamiliesTest, FromCapturedReports) {
  auto s = Samples(BuildServerFamilies(CapturedObservations()));
  EXPECT_EQ(s["zookeeper_server_up{server=\"10.0.0.1:2181\"}"], 1);
  EXPECT_EQ(s["zookeeper_server_up{server=\"[::1]:2181\"}"], 0);
  EXPECT_EQ(s["zookeeper_server_state{server=\"10.0.0.1:2181\",state=\"leader\"}"], 1);
  EXPECT_EQ(s["zookeeper_server_state{server=\"10.0.0.1:2181\",state=\"follower\"}"], 0);
  EXPECT_EQ(s["zookeeper_server_state{server=\"10.0.0.2:2181\",state=\"follower\"}"], 1);
  EXPECT_EQ(s.count("zookeeper_server_state{server=\"[::1]:2181\",state=\"leader\"}"), 0u);
  EXPECT_EQ(s["zookeeper_server_znodes{server=\"10.0.0.1:2181\"}"], 778);
  EXPECT_EQ(s["zookeeper_server_znodes{server=\"10.0.0.3:2181\"}"], 778);
  EXPECT_DOUBLE_EQ(s["zookeeper_server_max_latency_seconds{server=\"10.0.0.1:2181\"}"], 0.003);
  EXPECT_EQ(s["zookeeper_server_packets_received_total{server=\"10.0.0.1:2181\"}"], 15);
  EXPECT_EQ(s["zookeeper_server_synced_followers{server=\"10.0.0.1:2181\"}"], 2);
  EXPECT_EQ(s.count("zookeeper_server_synced_followers{server=\"10.0.0.2:2181\"}"), 0u);
  EXPECT_EQ(s.count("zookeeper_server_watches{server=\"10.0.0.3:2181\"}"), 0u);  // srvr has none
  EXPECT_EQ(s["zookeeper_server_source{server=\"10.0.0.3:2181\",source=\"srvr\"}"], 1);
  EXPECT_EQ(
      s["zookeeper_server_probe_error{server=\"10.0.0.3:2181\",source=\"mntr\",reason=\"not_whitelisted\"}"],
      1);
  EXPECT_EQ(
      s["zookeeper_server_probe_error{server=\"[::1]:2181\",source=\"mntr\",reason=\"connection_refused\"}"],
      1);
  EXPECT_EQ(
      s["zookeeper_server_info{server=\"10.0.0.1:2181\",version=\"3.8.0\",build=\"3.8.0-${mvngit.commit.id}, "
        "built on 2024-12-29 17:54 UTC\"}"],
      1);
  EXPECT_DOUBLE_EQ(s["zookeeper_server_uptime_seconds{server=\"10.0.0.1:2181\"}"], 11.48);
}

// Pipes `text` into `promtool check metrics`; skipped when promtool is not installed.
void PromtoolCheck(const std::string& text) {
#ifdef ZKX_PROMTOOL
  const std::string path = ::testing::TempDir() + "/server_exposition.prom";
  FILE* f = std::fopen(path.c_str(), "w");
  ASSERT_NE(f, nullptr);
  std::fwrite(text.data(), 1, text.size(), f);
  std::fclose(f);
  const std::string cmd = std::string(ZKX_PROMTOOL) + " check metrics < " + path + " 2>&1";
  FILE* p = popen(cmd.c_str(), "r");
  ASSERT_NE(p, nullptr);
  std::string output;
  char buf[4096];
  while (std::size_t n = std::fread(buf, 1, sizeof(buf), p)) output.append(buf, n);
  const int rc = pclose(p);
  EXPECT_EQ(rc, 0) << output;
  EXPECT_EQ(output, "") << text;
#else
  (void)text;
  GTEST_SKIP() << "promtool not found";
#endif
}

TEST(ServerFamiliesTest, ExpositionPassesPromtool) {
  auto families = BuildServerFamilies(CapturedObservations());
  std::vector<WatchesObservation> w(2);
  w[0].server = "10.0.0.1:2181";
  w[0].summary = *server::ParseWchs(testdata::Read("wchs_3.8.txt"));
  w[0].by_path = *server::ParseWchp(testdata::Read("wchp_3.8.txt"), nullptr, 3);
  w[1].server = "10.0.0.2:2181";
  w[1].failures = {{"wchs", server::ProbeReason::kNotWhitelisted, ""}};
  for (auto& f : BuildWatchesFamilies(w, true)) families.push_back(std::move(f));
  PromtoolCheck(prometheus::TextSerializer().Serialize(families));
}

TEST(WatchesFamiliesTest, TotalsPerPathAndOwn) {
  std::vector<WatchesObservation> w(1);
  w[0].server = "s:1";
  w[0].summary = *server::ParseAdminWatchSummary(testdata::Read("admin_watch_summary_3.8.json"));
  w[0].by_path =
      *server::ParseAdminWatchesByPath(testdata::Read("admin_watches_by_path_3.8.json"), nullptr, 2);
  auto s = Samples(BuildWatchesFamilies(w, true));
  EXPECT_EQ(s["zookeeper_watches_up{server=\"s:1\"}"], 1);
  EXPECT_EQ(s["zookeeper_watches{server=\"s:1\"}"], 5);
  EXPECT_EQ(s["zookeeper_watches_connections{server=\"s:1\"}"], 1);
  EXPECT_EQ(s["zookeeper_watches_paths{server=\"s:1\"}"], 5);
  EXPECT_EQ(s["zookeeper_watches_paths_matched{server=\"s:1\"}"], 5);
  EXPECT_EQ(s["zookeeper_watches_paths_truncated{server=\"s:1\"}"], 1);
  EXPECT_EQ(s.count("zookeeper_exporter_watches"), 0u);  // the session collector's, not this one's
  int per_path = 0;
  for (const auto& [k, v] : s) per_path += k.starts_with("zookeeper_watches_path_sessions{") ? 1 : 0;
  EXPECT_EQ(per_path, 2);
  auto off = Samples(BuildWatchesFamilies(w, false));
  EXPECT_EQ(off.count("zookeeper_watches_paths_matched{server=\"s:1\"}"), 0u);
}

TEST(WatchesFamiliesTest, RootsAndChroot) {
  EXPECT_EQ(ServerSideRoots({"/", "/brokers"}, "/kafka"),
            (std::vector<std::string>{"/kafka", "/kafka/brokers"}));
  EXPECT_EQ(ServerSideRoots({"/brokers"}, ""), (std::vector<std::string>{"/brokers"}));
}

TEST(ProbeWarningsTest, OncePerTransition) {
  ProbeWarnings w("server");
  const std::vector<ProbeFailure> down = {{"mntr", server::ProbeReason::kConnectionRefused, "x"}};
  EXPECT_EQ(w.Update("a", down), 1);
  EXPECT_EQ(w.Update("a", down), 0);
  EXPECT_EQ(w.Update("b", down), 1);
  EXPECT_EQ(w.Update("a", {}), 0);
  EXPECT_EQ(w.Update("a", down), 1);
}

TEST(ServerCollectorTest, OneHungServerDoesNotStallTheScrape) {
  const std::string mntr = testdata::Read("mntr_3.8_leader.txt");
  test::FakeServer good(mntr);
  test::FakeServer hung("", /*hang=*/true);
  const uint16_t closed = test::ClosedPort();
  ServerCollector c({{"127.0.0.1", good.port()}, {"127.0.0.1", hung.port()}, {"127.0.0.1", closed}},
                    ServerProbeOptions{0, milliseconds(500)});
  std::vector<prometheus::MetricFamily> out;
  const auto t0 = Clock::now();
  ASSERT_TRUE(c.Collect(t0 + milliseconds(5000), &out).ok());
  const auto took = Clock::now() - t0;
  EXPECT_LT(took, milliseconds(1000));
  auto s = Samples(out);
  const std::string g = "127.0.0.1:" + std::to_string(good.port());
  const std::string h = "127.0.0.1:" + std::to_string(hung.port());
  const std::string d = "127.0.0.1:" + std::to_string(closed);
  EXPECT_EQ(s["zookeeper_server_up{server=\"" + g + "\"}"], 1);
  EXPECT_EQ(s["zookeeper_server_znodes{server=\"" + g + "\"}"], 778);
  EXPECT_EQ(s["zookeeper_server_up{server=\"" + h + "\"}"], 0);
  EXPECT_EQ(s["zookeeper_server_probe_error{server=\"" + h + "\",source=\"mntr\",reason=\"timeout\"}"], 1);
  EXPECT_EQ(s["zookeeper_server_up{server=\"" + d + "\"}"], 0);
  EXPECT_EQ(
      s["zookeeper_server_probe_error{server=\"" + d + "\",source=\"mntr\",reason=\"connection_refused\"}"],
      1);

  // The scrape deadline wins over a longer per-server timeout.
  ServerCollector slow({{"127.0.0.1", hung.port()}}, ServerProbeOptions{0, milliseconds(10000)});
  out.clear();
  const auto t1 = Clock::now();
  ASSERT_TRUE(slow.Collect(t1 + milliseconds(300), &out).ok());
  EXPECT_LT(Clock::now() - t1, milliseconds(800));
}

TEST(ServerCollectorTest, AdminServerOffFallsBackToMntrAndSaysSo) {
  const std::string mntr = testdata::Read("mntr_3.8_leader.txt");
  test::FakeServer zk(mntr);
  const server::HostPort server{"127.0.0.1", zk.port()};
  ServerObservation o = ProbeServer(server, ServerProbeOptions{test::ClosedPort(), milliseconds(1000)},
                                    Clock::now() + milliseconds(1000));
  ASSERT_TRUE(o.report);
  EXPECT_EQ(o.source, "mntr");
  ASSERT_EQ(o.failures.size(), 2u);
  EXPECT_EQ(o.failures[0].source, "admin");
  EXPECT_EQ(o.failures[0].reason, server::ProbeReason::kAdminServerDisabled);
  // The `dirs` word that follows mntr gets the fake's mntr text again: a parse error, the server still up.
  EXPECT_EQ(o.failures[1].source, "dirs");
  EXPECT_EQ(o.failures[1].reason, server::ProbeReason::kParseError);
  EXPECT_FALSE(o.dirs);
}

TEST(ServerCollectorTest, AdminServerAnswers) {
  const std::string json = testdata::Read("admin_monitor_3.8_leader.json");
  test::FakeServer admin("HTTP/1.1 200 OK\r\nContent-Length: " + std::to_string(json.size()) + "\r\n\r\n" +
                         json);
  ServerObservation o =
      ProbeServer({"127.0.0.1", test::ClosedPort()}, ServerProbeOptions{admin.port(), milliseconds(1000)},
                  Clock::now() + milliseconds(1000));
  ASSERT_TRUE(o.report);
  EXPECT_EQ(o.source, "admin");
  EXPECT_EQ(o.report->znode_count, 778);
  // The fake answers /commands/dirs with the monitor JSON too: only that follow-up question fails.
  ASSERT_EQ(o.failures.size(), 1u);
  EXPECT_EQ(o.failures[0].source, "admin_dirs");
  EXPECT_EQ(o.failures[0].reason, server::ProbeReason::kParseError);
}

TEST(ServerCollectorTest, DirsFromTheAdminServerAreUnswappedByVersion) {
  // monitor and dirs from one fake: a JSON object that carries both (the fake sends one reply to every path).
  const std::string json =
      R"({"version":"3.8.0-abc, built on 2023-01-01","server_state":"standalone",)"
      R"("znode_count":5,"datadir_size":67108880,"logdir_size":457,"command":"x","error":null})";
  test::FakeServer admin("HTTP/1.1 200 OK\r\nContent-Length: " + std::to_string(json.size()) + "\r\n\r\n" +
                         json);
  ServerObservation o =
      ProbeServer({"127.0.0.1", test::ClosedPort()}, ServerProbeOptions{admin.port(), milliseconds(1000)},
                  Clock::now() + milliseconds(1000));
  ASSERT_TRUE(o.report);
  EXPECT_TRUE(o.failures.empty());
  ASSERT_TRUE(o.dirs);
  EXPECT_EQ(o.dirs->snapshot_bytes, 457);      // 3.8.0 sends the snapshot size as logdir_size
  EXPECT_EQ(o.dirs->txn_log_bytes, 67108880);  // and the transaction logs as datadir_size
  const auto s = Samples(BuildServerFamilies({o}));
  bool snapshot = false, txn = false;
  for (const auto& [k, v] : s) {
    snapshot |= k.starts_with("zookeeper_server_snapshot_dir_bytes{") && v == 457;
    txn |= k.starts_with("zookeeper_server_txn_log_dir_bytes{") && v == 67108880;
  }
  EXPECT_TRUE(snapshot);
  EXPECT_TRUE(txn);
}

TEST(ServerCollectorTest, NotWhitelistedFallsBackToSrvr) {
  // One fake answers every connection with the same text: whitelisted refusal for mntr means srvr is refused
  // too, so both are reported.
  test::FakeServer refusing("mntr is not executed because it is not in the whitelist.\n");
  ServerObservation o = ProbeServer({"127.0.0.1", refusing.port()}, ServerProbeOptions{0, milliseconds(1000)},
                                    Clock::now() + milliseconds(1000));
  EXPECT_FALSE(o.report);
  ASSERT_EQ(o.failures.size(), 2u);
  EXPECT_EQ(o.failures[0].source, "mntr");
  EXPECT_EQ(o.failures[0].reason, server::ProbeReason::kNotWhitelisted);
  EXPECT_EQ(o.failures[1].source, "srvr");
}

TEST(WatchesCollectorTest, WchsAndOwnWatches) {
  test::FakeServer zk(testdata::Read("wchs_3.8.txt"));
  WatchesOptions options;
  options.admin_port = 0;
  WatchesCollector c({{"127.0.0.1", zk.port()}}, options);
  std::vector<prometheus::MetricFamily> out;
  ASSERT_TRUE(c.Collect(Clock::now() + milliseconds(2000), &out).ok());
  auto s = Samples(out);
  const std::string server = "127.0.0.1:" + std::to_string(zk.port());
  EXPECT_EQ(s["zookeeper_watches_up{server=\"" + server + "\"}"], 1);
  EXPECT_EQ(s["zookeeper_watches{server=\"" + server + "\"}"], 5);
}

}  // namespace
}  // namespace zkx::collectors
