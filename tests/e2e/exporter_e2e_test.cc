// End to end: a real 3-node ensemble, the zookeeper_exporter binary, and a real Prometheus scraping it.
// Values are read back through Prometheus' HTTP API; the exposition goes through `promtool check metrics`.
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <string>
#include <thread>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <signal.h>
#include <zlib.h>

#include "tests/e2e/e2e_util.h"
#include "tests/support/child_process.h"
#include "tests/support/http_get.h"
#include "tests/support/sample_trees.h"
#include "tests/support/wait_and_ports.h"
#include "tests/support/zk_ensemble.h"
#include "tests/support/zk_test_client.h"

namespace zkx::test {
namespace {

using std::chrono::milliseconds;

using e2e::ScopedTempDir;

void WriteFile(const std::string& path, const std::string& text) {
  std::ofstream out(path);
  out << text;
}

std::string UrlQuery(const std::string& s) {
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

// Znodes at and below `path`, listed one sync call at a time: the independent reference.
double CountZnodes(ZkTestClient& client, const std::string& path) {
  Result<std::vector<std::string>> children = client.GetChildren(path);
  if (!children.ok()) return 0;
  double n = 1;
  for (const auto& c : *children) n += CountZnodes(client, path + "/" + c);
  return n;
}

// The exporter binary on a free port, its output in <dir>/exporter.log.
using Exporter = e2e::E2eExporter;

class Prometheus {
 public:
  Prometheus(const std::string& dir, uint16_t exporter_port) {
    port_ = *FreeLoopbackPort();
    WriteFile(dir + "/prometheus.yml",
              "global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\nscrape_configs:\n"
              "  - job_name: zookeeper_exporter\n    static_configs:\n      - targets: ['127.0.0.1:" +
                  std::to_string(exporter_port) + "']\n");
    Result<ChildProcess> p =
        ChildProcess::Start({"/usr/bin/prometheus", "--config.file=" + dir + "/prometheus.yml",
                             "--storage.tsdb.path=" + dir + "/prometheus-data",
                             "--web.listen-address=127.0.0.1:" + std::to_string(port_)},
                            dir + "/prometheus.log");
    EXPECT_TRUE(p.ok());
    process_.emplace(std::move(p).value());
  }
  // The value of an instant query that returns exactly one sample.
  std::optional<double> Query(const std::string& promql) const {
    Result<HttpResponse> r = HttpGet("127.0.0.1", port_, "/api/v1/query?query=" + UrlQuery(promql));
    if (!r.ok() || r->status != 200) return std::nullopt;
    const auto json = nlohmann::json::parse(r->body, nullptr, false);
    if (json.is_discarded() || json["status"] != "success") return std::nullopt;
    const auto& result = json["data"]["result"];
    if (!result.is_array() || result.size() != 1) return std::nullopt;
    return std::stod(result[0]["value"][1].get<std::string>());
  }
  bool WaitValue(const std::string& promql, double want, milliseconds timeout = milliseconds(60000)) const {
    return WaitFor([&] { return Query(promql) == want; }, timeout, milliseconds(250));
  }

 private:
  uint16_t port_ = 0;
  std::optional<ChildProcess> process_;
};

constexpr const char* kConfig = R"(defaults:
  refresh_interval: 1s
subtrees:
  - root: /brokers
    znode_patterns: ["/brokers/ids", "/brokers/ids/*", "/brokers/topics/*"]
  - root: /dubbo
    znode_patterns: ["/dubbo/*/providers"]
)";

TEST(ExporterEndToEndTest, ServesTheTreeToARealPrometheus) {
  const ScopedTempDir temp;
  const std::string& dir = temp.path();
  ZkEnsemble ensemble(ZkEnsembleOptions{.servers = 3});
  ASSERT_TRUE(ensemble.Start().ok());
  ZkTestClient writer;
  ASSERT_TRUE(writer.Connect(ensemble.ConnectString()).ok());
  ASSERT_TRUE(CreateSampleTree(writer, KafkaLikeTree(0, 12, 3)).ok());
  ASSERT_TRUE(CreateSampleTree(writer, DubboLikeTree(4, 5)).ok());
  // Three brokers, each registered by its own session, as Kafka does.
  std::vector<std::unique_ptr<ZkTestClient>> brokers;
  for (int id = 1; id <= 3; ++id) {
    brokers.push_back(std::make_unique<ZkTestClient>());
    ASSERT_TRUE(brokers.back()->Connect(ensemble.ConnectString()).ok());
    ASSERT_TRUE(
        brokers.back()
            ->Create("/brokers/ids/" + std::to_string(id), R"({"host":"127.0.0.1"})", NodeKind::kEphemeral)
            .ok());
  }
  // Digest credentials from a file: they must never show up in the exporter's output.
  const std::string secret = "s3cr3t-Pa55word";
  WriteFile(dir + "/auth", "exporter:" + secret + "\n");
  WriteFile(dir + "/config.yml", kConfig);

  const Result<int> sessions_before = ensemble.ClientSessions();  // the writer's and the brokers'
  ASSERT_TRUE(sessions_before.ok()) << sessions_before.status().ToString();
  ASSERT_EQ(*sessions_before, 4);
  Exporter exporter(dir,
                    {"--zookeeper.hosts=" + ensemble.ConnectString(), "--config.file=" + dir + "/config.yml",
                     "--zookeeper.auth-file=" + dir + "/auth", "--log.level=debug"});
  ASSERT_TRUE(WaitFor(
      [&] {
        auto r = exporter.Get("/readyz");
        return r.ok() && r->status == 200;
      },
      milliseconds(60000)))
      << exporter.process().Log();

  // /metrics: content type, values equal to the tree, gzip on request, promtool-clean.
  Result<HttpResponse> metrics = exporter.Get("/metrics");
  ASSERT_TRUE(metrics.ok());
  EXPECT_EQ(metrics->status, 200);
  EXPECT_EQ(metrics->headers["content-type"], "text/plain; version=0.0.4; charset=utf-8");
  const std::string& body = metrics->body;
  EXPECT_EQ(SampleValue(body, R"(zookeeper_znode_children{path="/brokers/ids",root="/brokers"})"), 3);
  EXPECT_EQ(SampleValue(body, R"(zookeeper_znode_ephemeral{path="/brokers/ids/2",root="/brokers"})"), 1);
  EXPECT_EQ(SampleValue(body, R"(zookeeper_subtree_ephemeral_znodes{root="/brokers"})"), 3);
  EXPECT_EQ(SampleValue(body, R"(zookeeper_session_state{state="connected"})"), 1);
  EXPECT_EQ(SampleValue(body, R"(zookeeper_exporter_collector_success{collector="tree"})"), 1);
  EXPECT_EQ(
      SampleValue(
          body,
          R"(zookeeper_znode_children{path="/dubbo/com.example.demo.Service00/providers",root="/dubbo"})"),
      5);
  EXPECT_EQ(SampleValue(body, R"(zookeeper_subtree_znodes{root="/brokers"})"),
            CountZnodes(writer, "/brokers"));

  Result<HttpResponse> gz = exporter.Get("/metrics", {{"Accept-Encoding", "gzip"}});
  ASSERT_TRUE(gz.ok());
  EXPECT_EQ(gz->headers["content-encoding"], "gzip");
  EXPECT_LT(gz->body.size(), body.size());

  WriteFile(dir + "/metrics.txt", body);
  const std::string check =
      "/usr/bin/promtool check metrics < " + dir + "/metrics.txt > " + dir + "/promtool.out 2>&1";
  EXPECT_EQ(std::system(check.c_str()), 0) << [&] {
    std::ifstream in(dir + "/promtool.out");
    return std::string(std::istreambuf_iterator<char>(in), {});
  }();

  // The landing page shows the session and the subtrees.
  Result<HttpResponse> landing = exporter.Get("/");
  ASSERT_TRUE(landing.ok());
  EXPECT_NE(landing->body.find("/brokers"), std::string::npos);
  EXPECT_NE(landing->body.find("connected"), std::string::npos);

  // A real Prometheus reads the same values, and follows changes in the tree.
  Prometheus prometheus(dir, exporter.port());
  EXPECT_TRUE(prometheus.WaitValue(R"(zookeeper_znode_children{path="/brokers/ids"})", 3));
  EXPECT_TRUE(prometheus.WaitValue(R"(zookeeper_exporter_collector_success{collector="session"})", 1));
  // Polling small subtrees, with every other setting at its default, the exporter holds one session on the
  // ensemble: its walks never measured a reason to open a walk session (--zookeeper.walk-sessions is a
  // maximum), and no subtree is in watch mode.
  const Result<int> sessions_now = ensemble.ClientSessions();
  ASSERT_TRUE(sessions_now.ok()) << sessions_now.status().ToString();
  EXPECT_EQ(*sessions_now, *sessions_before + 1);
  // ... and says so.
  EXPECT_TRUE(prometheus.WaitValue("zookeeper_walk_sessions_open", 1));
  EXPECT_TRUE(prometheus.WaitValue("zookeeper_walk_sessions_max", 4));
  brokers[1]->Close();  // broker 2's session ends: its ephemeral registration goes
  EXPECT_TRUE(prometheus.WaitValue(R"(zookeeper_znode_children{path="/brokers/ids"})", 2));
  EXPECT_TRUE(prometheus.WaitValue(R"(zookeeper_subtree_ephemeral_znodes{root="/brokers"})", 2));
  // ... and the vanished znode's series vanish from /metrics.
  EXPECT_FALSE(
      SampleValue(exporter.Metrics(), R"(zookeeper_znode_ephemeral{path="/brokers/ids/2",root="/brokers"})"));
  ASSERT_TRUE(writer.Set("/brokers/topics/topic-000", std::string(5000, 'x')).ok());
  EXPECT_TRUE(prometheus.WaitValue(R"(zookeeper_subtree_largest_znode_bytes{root="/brokers"})", 5000));

  // SIGHUP with a broken file keeps the running config; with a good one, applies it.
  WriteFile(dir + "/config.yml", "subtrees:\n  - root: /dubbo\n    bogus_key: 1\n");
  exporter.process().Signal(SIGHUP);
  EXPECT_TRUE(WaitFor(
      [&] { return exporter.process().Log().find("keeping the running configuration") != std::string::npos; },
      milliseconds(10000)));
  EXPECT_TRUE(SampleValue(exporter.Metrics(), R"(zookeeper_subtree_znodes{root="/brokers"})").has_value());
  WriteFile(dir + "/config.yml", "defaults:\n  refresh_interval: 1s\nsubtrees:\n  - root: /dubbo\n");
  exporter.process().Signal(SIGHUP);
  EXPECT_TRUE(WaitFor(
      [&] {
        const std::string m = exporter.Metrics();
        return !SampleValue(m, R"(zookeeper_subtree_znodes{root="/brokers"})") &&
               SampleValue(m, R"(zookeeper_subtree_znodes{root="/dubbo"})").has_value();
      },
      milliseconds(10000)));

  // SIGTERM: a clean exit, promptly.
  const auto t0 = std::chrono::steady_clock::now();
  EXPECT_EQ(exporter.Stop(milliseconds(10000)), 0);
  std::printf("[ figures ] exporter stopped %.2fs after SIGTERM\n",
              std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());

  // Secrets never appear in the logs (debug level included).
  EXPECT_EQ(exporter.process().Log().find(secret), std::string::npos);
}

TEST(ExporterEndToEndTest, StartsWithZooKeeperDownAndConnectsWhenItComesUp) {
  const ScopedTempDir temp;
  const std::string& dir = temp.path();
  ZkEnsemble ensemble(ZkEnsembleOptions{.servers = 3});
  ASSERT_TRUE(ensemble.Start().ok());
  for (int i = 0; i < 3; ++i) ensemble.Kill(i);

  Exporter exporter(
      dir, {"--zookeeper.hosts=" + ensemble.ConnectString(), "--tree.root=/", "--tree.refresh-interval=1s"});
  std::optional<Result<HttpResponse>> got;
  ASSERT_TRUE(WaitFor([&] { return (got = exporter.Get("/metrics"))->ok(); }, milliseconds(10000)));
  const HttpResponse& first = got->value();
  // /metrics answers at once, and says the session is not connected.
  EXPECT_EQ(first.status, 200);
  EXPECT_EQ(SampleValue(first.body, R"(zookeeper_session_state{state="connected"})"), 0);
  EXPECT_EQ(SampleValue(first.body, R"(zookeeper_session_state{state="connecting"})"), 1);
  EXPECT_EQ(exporter.Get("/readyz")->status, 503);
  EXPECT_EQ(exporter.Get("/healthz")->status, 200);

  ASSERT_TRUE(ensemble.StartStopped().ok());
  EXPECT_TRUE(WaitFor(
      [&] {
        auto r = exporter.Get("/readyz");
        return r.ok() && r->status == 200;
      },
      milliseconds(60000)));
  const std::string m = exporter.Metrics();
  EXPECT_EQ(SampleValue(m, R"(zookeeper_session_state{state="connected"})"), 1);
  EXPECT_GE(SampleValue(m, R"(zookeeper_subtree_znodes{root="/"})").value_or(0), 2);  // "/" and "/zookeeper"
}

TEST(ExporterEndToEndTest, BadFlagsAndConfigsFailWithAClearLine) {
  const ScopedTempDir temp;
  const std::string& dir = temp.path();
  auto run = [&](std::vector<std::string> args, const std::string& log) {
    args.insert(args.begin(), ZKX_EXPORTER_BIN);
    Result<ChildProcess> p = ChildProcess::Start(args, dir + "/" + log);
    EXPECT_TRUE(p.ok());
    std::optional<int> code = p->WaitExit(milliseconds(10000));
    return std::make_pair(code.value_or(-1), p->Log());
  };
  auto [code1, out1] = run({"--no-such-flag"}, "a.log");
  EXPECT_EQ(code1, 1);
  EXPECT_NE(out1.find("no-such-flag"), std::string::npos) << out1;

  auto [code2, out2] = run({"--zookeeper.session-timeout=soon"}, "b.log");
  EXPECT_EQ(code2, 1);
  EXPECT_NE(out2.find("session-timeout"), std::string::npos) << out2;

  WriteFile(dir + "/bad.yml", "subtrees:\n  - root: /ok\n  - root: relative/path\n");
  auto [code3, out3] = run({"--config.file=" + dir + "/bad.yml", "--config.check"}, "c.log");
  EXPECT_EQ(code3, 1);
  EXPECT_NE(out3.find("bad.yml:3"), std::string::npos) << out3;

  WriteFile(dir + "/good.yml", kConfig);
  auto [code4, out4] = run({"--config.file=" + dir + "/good.yml", "--config.check"}, "d.log");
  EXPECT_EQ(code4, 0) << out4;

  auto [code5, out5] = run({"--version"}, "e.log");
  EXPECT_EQ(code5, 0);
  EXPECT_NE(out5.find("zookeeper_exporter"), std::string::npos);

  // A port already taken is a startup error with one clear line.
  Exporter holder(dir, {"--zookeeper.hosts=127.0.0.1:1"});
  ASSERT_TRUE(WaitFor([&] { return holder.Get("/healthz").ok(); }, milliseconds(10000)));
  auto [code6, out6] = run(
      {"--zookeeper.hosts=127.0.0.1:1", "--web.listen-address=127.0.0.1:" + std::to_string(holder.port())},
      "f.log");
  EXPECT_EQ(code6, 1);
  EXPECT_NE(out6.find("cannot listen"), std::string::npos) << out6;
}

}  // namespace
}  // namespace zkx::test
