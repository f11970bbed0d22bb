// End to end, the multi-target endpoint (issue 12): one zookeeper_exporter serves three separate real
// ensembles plus three chroots of one of them, scraped by a real Prometheus (Debian's) through blackbox-style
// relabelling (__address__ -> __param_target -> instance).
//   - every target is walked and its znode count is right, each under its own `instance`;
//   - expiring one target's session (its only server frozen past the session timeout) re-walks that target
//   only;
//   - killing one ensemble reads down for its target only; the others keep answering (scrape durations
//   printed);
//   - unknown modules, bad targets and targets outside the allow-list are refused with 400 / 403.
// Figures go to stdout ("[figures]" lines) for the report.

#include <cctype>
#include <cstdio>
#include <map>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "tests/e2e/e2e_util.h"
#include "tests/support/child_process.h"
#include "tests/support/http_get.h"
#include "tests/support/wait_and_ports.h"
#include "tests/support/zk_ensemble.h"
#include "tests/support/zk_test_client.h"

namespace zkx::test {
namespace {

using e2e::ScopedTempDir;
using std::chrono::milliseconds;

std::string UrlEncode(const std::string& s) {
  std::string out;
  char buf[4];
  for (char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if (std::isalnum(c) || c == '_' || c == '-' || c == '.') {
      out += static_cast<char>(c);
    } else {
      std::snprintf(buf, sizeof buf, "%%%02X", c);
      out += buf;
    }
  }
  return out;
}

class Prometheus {
 public:
  Prometheus(const std::string& dir, const std::string& config) {
    port_ = *FreeLoopbackPort();
    e2e::WriteFile(dir + "/prometheus.yml", config);
    Result<ChildProcess> p =
        ChildProcess::Start({"/usr/bin/prometheus", "--config.file=" + dir + "/prometheus.yml",
                             "--storage.tsdb.path=" + dir + "/prometheus-data",
                             "--web.listen-address=127.0.0.1:" + std::to_string(port_)},
                            dir + "/prometheus.log");
    EXPECT_TRUE(p.ok());
    if (p.ok()) process_.emplace(std::move(p).value());
  }
  // instance label -> value, for an instant query.
  std::map<std::string, double> QueryByInstance(const std::string& promql) const {
    std::map<std::string, double> out;
    Result<HttpResponse> r = HttpGet("127.0.0.1", port_, "/api/v1/query?query=" + UrlEncode(promql));
    if (!r.ok() || r->status != 200) return out;
    const auto json = nlohmann::json::parse(r->body, nullptr, false);
    if (json.is_discarded() || json["status"] != "success") return out;
    for (const auto& s : json["data"]["result"]) {
      const std::string instance =
          s["metric"].contains("instance") ? s["metric"]["instance"].get<std::string>() : "";
      out[instance] = std::stod(s["value"][1].get<std::string>());
    }
    return out;
  }
  std::optional<double> Query(const std::string& promql, const std::string& instance) const {
    auto all = QueryByInstance(promql);
    auto it = all.find(instance);
    if (it == all.end()) return std::nullopt;
    return it->second;
  }
  bool WaitValue(const std::string& promql, const std::string& instance, double want,
                 milliseconds timeout = milliseconds(90000)) const {
    return WaitFor([&] { return Query(promql, instance) == want; }, timeout, milliseconds(250));
  }

 private:
  uint16_t port_ = 0;
  std::optional<ChildProcess> process_;
};

// Each chroot of ensemble A, and the root of B and C, gets its own small tree: `n` children under the root.
void MakeTree(const std::string& hosts, const std::string& root, int n) {
  ZkTestClient client;
  ASSERT_TRUE(client.Connect(hosts).ok());
  ASSERT_TRUE(client.CreateRecursive(root + "/app").ok());
  for (int i = 0; i < n; ++i) ASSERT_TRUE(client.Create(root + "/app/n" + std::to_string(i), "x").ok());
}

TEST(MultiTargetEndToEndTest, OneExporterManyEnsemblesThroughRelabelling) {
  ScopedTempDir tmp;
  const std::string dir = tmp.path();
  ZkEnsemble a, b;
  ZkEnsemble c(ZkEnsembleOptions::ShortSessions(3));
  ASSERT_TRUE(a.Start().ok());
  ASSERT_TRUE(b.Start().ok());
  ASSERT_TRUE(c.Start().ok());
  // C's target names one follower only, so freezing it expires the exporter's session deterministically
  // (the leader and the other follower keep a quorum and expire it).
  Result<int> leader = c.LeaderIndex();
  ASSERT_TRUE(leader.ok());
  const int follower = (*leader + 1) % 3;

  const std::vector<std::string> chroots = {"/team1", "/team2", "/team3"};
  for (std::size_t i = 0; i < chroots.size(); ++i)
    MakeTree(a.ConnectString(), chroots[i], 3 + static_cast<int>(i));
  MakeTree(b.ConnectString(), "", 7);
  MakeTree(c.ConnectString(), "", 8);

  const std::string target_b = b.ConnectString();
  const std::string target_c = c.ServerAddress(follower);
  std::vector<std::string> targets;
  for (const auto& chroot : chroots) targets.push_back(a.ConnectString() + chroot);
  targets.push_back(target_b);
  targets.push_back(target_c);
  // Znodes the root subtree of each target holds: root + /app + its children (+ /zookeeper's 3 at the real
  // root).
  std::map<std::string, double> want_znodes = {{targets[0], 5}, {targets[1], 6}, {targets[2], 7}};
  want_znodes[target_b] = 1 + 3 + 1 + 7;  // /, /zookeeper{,/config,/quota}, /app, 7 children
  want_znodes[target_c] = 1 + 3 + 1 + 8;

  // The module the Prometheus job uses: watch mode (a re-walk happens only after a new session), short
  // sessions.
  e2e::WriteFile(dir + "/exporter.yml",
                 "modules:\n"
                 "  default:\n"
                 "    defaults: {refresh_mode: poll, refresh_interval: 1s}\n"
                 "    subtrees: [{root: /}]\n"
                 "    server: {admin_port: 0}\n"
                 "  watch:\n"
                 "    defaults: {refresh_mode: watch, resync_interval: 1h}\n"
                 "    subtrees: [{root: /}]\n"
                 "    session_timeout: 4s\n"
                 "    server: {admin_port: 0, timeout: 500ms}\n"
                 "multi_target:\n"
                 "  max_targets: 20\n"
                 "  allow:\n"
                 "    - hosts: [\"127.0.0.1\"]\n");
  e2e::E2eExporter exporter(dir, {"--config.file=" + dir + "/exporter.yml",
                                  "--zookeeper.hosts=" + a.ConnectString(), "--log.level=info"});
  ASSERT_TRUE(WaitFor([&] { return exporter.Get("/healthz").ok(); }, milliseconds(30000)));

  // Refusals: one line each, before any target exists.
  struct Refusal {
    std::string query;
    int status;
    std::string body_has;
  };
  const std::vector<Refusal> refusals = {
      {"", 400, "missing parameter target"},
      {"target=" + UrlEncode(target_b) + "&module=nope", 400, "unknown module \"nope\""},
      {"target=127.0.0.1%3A99999", 400, "bad target"},
      {"target=10.0.0.1%3A2181", 403, "outside the multi_target.allow list"},
      {"target=" + UrlEncode(target_b + ",192.168.1.1:2181"), 403, "192.168.1.1:2181"},
      {"target=" + UrlEncode(target_b) + "&foo=1", 400, "unknown parameter"},
  };
  for (const Refusal& r : refusals) {
    Result<HttpResponse> got = exporter.Get("/probe?" + r.query);
    ASSERT_TRUE(got.ok()) << r.query;
    EXPECT_EQ(got->status, r.status) << r.query << ": " << got->body;
    EXPECT_NE(got->body.find(r.body_has), std::string::npos) << r.query << ": " << got->body;
    EXPECT_EQ(got->body.find('\n'), got->body.size() - 1) << "one line: " << got->body;
  }
  EXPECT_NE(exporter.Metrics().find("zookeeper_exporter_targets 0"), std::string::npos);

  // The default module (poll, as in deploy/examples/multi-target.yml) straight from curl: a first scrape
  // waits for the walk within the deadline.
  {
    Result<HttpResponse> first = exporter.Get("/probe?target=" + UrlEncode(targets[0]));
    ASSERT_TRUE(first.ok());
    ASSERT_EQ(first->status, 200) << first->body;
    EXPECT_EQ(e2e::SampleValue(first->body, "zookeeper_exporter_target_first_scrape"), 1);
    EXPECT_EQ(e2e::SampleValue(first->body, "zookeeper_exporter_target_walked"), 1) << first->body;
    EXPECT_EQ(e2e::SampleValue(first->body, R"(zookeeper_subtree_znodes{root="/"})"), 5);
    Result<HttpResponse> second = exporter.Get("/probe?target=" + UrlEncode(targets[0]));
    ASSERT_TRUE(second.ok());
    EXPECT_EQ(e2e::SampleValue(second->body, "zookeeper_exporter_target_first_scrape"), 0);
  }

  std::string scrape_config =
      "global:\n  scrape_interval: 2s\n  scrape_timeout: 2s\n"
      "scrape_configs:\n"
      "  - job_name: zookeeper\n"
      "    metrics_path: /probe\n"
      "    params: {module: [watch]}\n"
      "    static_configs:\n"
      "      - targets:\n";
  for (const auto& t : targets) scrape_config += "          - '" + t + "'\n";
  scrape_config +=
      "    relabel_configs:\n"
      "      - source_labels: [__address__]\n"
      "        target_label: __param_target\n"
      "      - source_labels: [__param_target]\n"
      "        target_label: instance\n"
      "      - target_label: __address__\n"
      "        replacement: 127.0.0.1:" +
      std::to_string(exporter.port()) + "\n";
  Prometheus prometheus(dir, scrape_config);

  for (const auto& t : targets) {
    EXPECT_TRUE(prometheus.WaitValue(R"(zookeeper_exporter_target_walked{job="zookeeper"})", t, 1)) << t;
    EXPECT_TRUE(prometheus.WaitValue(R"(zookeeper_subtree_znodes{root="/"})", t, want_znodes[t])) << t;
  }
  // One session per ensemble: the three chroots of A share one (plus the static session, not counted here).
  const std::string metrics = exporter.Metrics();
  EXPECT_EQ(e2e::SampleValue(metrics, "zookeeper_exporter_targets"), 6) << metrics;  // 5 watch + 1 default
  EXPECT_EQ(e2e::SampleValue(metrics, "zookeeper_exporter_target_sessions"), 4);

  // Expire C's session: only C re-walks.
  const std::string refreshes = R"(zookeeper_subtree_refreshes_total{root="/"})";
  std::map<std::string, double> before = prometheus.QueryByInstance(refreshes);
  c.Pause(follower);
  std::this_thread::sleep_for(milliseconds(9000));
  c.Resume(follower);
  EXPECT_TRUE(
      WaitFor([&] { return prometheus.Query("zookeeper_session_expirations_total", target_c) >= 1.0; },
              milliseconds(90000)));
  EXPECT_TRUE(
      WaitFor([&] { return prometheus.Query(refreshes, target_c) > before[target_c]; }, milliseconds(90000)));
  EXPECT_TRUE(prometheus.WaitValue(R"(zookeeper_exporter_target_walked{job="zookeeper"})", target_c, 1));
  std::this_thread::sleep_for(milliseconds(5000));  // room for a spurious re-walk elsewhere to show
  std::map<std::string, double> after = prometheus.QueryByInstance(refreshes);
  for (const auto& t : targets) {
    std::printf("[figures] refreshes_total %s: %.0f -> %.0f\n", t.c_str(), before[t], after[t]);
    if (t != target_c) {
      EXPECT_EQ(after[t], before[t]) << t << " re-walked although its session was untouched";
    }
  }
  EXPECT_EQ(prometheus.Query("zookeeper_session_expirations_total", targets[0]), 0);

  // Kill B: only B reads down; the others keep answering. Scrape durations before and after.
  const std::string durations = "avg_over_time(scrape_duration_seconds[20s])";
  const std::string max_durations = "max_over_time(scrape_duration_seconds[20s])";
  std::this_thread::sleep_for(milliseconds(20000));
  const auto avg_before = prometheus.QueryByInstance(durations);
  const auto max_before = prometheus.QueryByInstance(max_durations);
  b.Kill(0);
  EXPECT_TRUE(prometheus.WaitValue("zookeeper_exporter_target_connected", target_b, 0));
  std::this_thread::sleep_for(milliseconds(21000));  // a whole window with B down
  const auto avg_after = prometheus.QueryByInstance(durations);
  const auto max_after = prometheus.QueryByInstance(max_durations);
  for (const auto& t : targets) {
    std::printf("[figures] scrape_duration %s: avg %.4fs max %.4fs before, avg %.4fs max %.4fs with B down\n",
                t.c_str(), avg_before.count(t) ? avg_before.at(t) : -1,
                max_before.count(t) ? max_before.at(t) : -1, avg_after.count(t) ? avg_after.at(t) : -1,
                max_after.count(t) ? max_after.at(t) : -1);
    EXPECT_EQ(prometheus.Query("up", t), 1) << t;  // the probe answers, even for the dead ensemble
    if (t == target_b) continue;
    EXPECT_EQ(prometheus.Query("zookeeper_exporter_target_connected", t), 1) << t;
    EXPECT_EQ(prometheus.Query("min_over_time(up[20s])", t), 1) << t << " missed a scrape while B was down";
  }
  std::fflush(stdout);
}

}  // namespace
}  // namespace zkx::test
