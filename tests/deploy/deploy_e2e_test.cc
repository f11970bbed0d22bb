// End to end for deploy/: a real 3-node ensemble holding a Kafka-like tree (brokers registered as ephemeral
// znodes by their own sessions, a client watching /brokers/ids), one zookeeper_exporter sidecar per server
// (as deploy/kubernetes runs them: --zookeeper.hosts and --server.admin-port of its own server) plus one
// whose server is down, and a real Prometheus scraping them every second with deploy/prometheus's rules
// loaded.
//   - every query of the Grafana dashboard, its variables substituted by the values Prometheus returns for
//   the
//     variables' own queries, returns at least one series;
//   - every rule evaluates without error, every recording rule produces series, and on the healthy sidecars
//   no
//     ensemble alert is active (while ZooKeeperServerDown is, for the sidecar whose server is down);
//   - README.md's metric reference names exactly the families the exporters expose, with the same types.
// The environment is started once for all cases (one ctest test).
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <zookeeper/zookeeper.h>

#include "tests/deploy/deploy_test_util.h"
#include "tests/deploy/prometheus_client.h"
#include "tests/support/child_process.h"
#include "tests/support/http_get.h"
#include "tests/support/sample_trees.h"
#include "tests/support/wait_and_ports.h"
#include "tests/support/zk_ensemble.h"
#include "tests/support/zk_test_client.h"

namespace zkx::test::deploy {
namespace {

using std::chrono::milliseconds;

constexpr const char* kConfig = R"(defaults:
  refresh_interval: 1s
subtrees:
  - root: /brokers
    znode_patterns: ["/brokers/ids", "/brokers/ids/*", "/brokers/topics/*"]
  - root: /dubbo
    refresh_mode: watch
    znode_patterns: ["/dubbo/*/providers"]
)";

void NoopWatcher(zhandle_t* /*zh*/, int /*type*/, int /*state*/, const char* /*path*/, void* /*ctx*/) {}

struct Sidecar {
  uint16_t port = 0;
  std::string instance;  // "127.0.0.1:<port>", Prometheus' instance label
  std::optional<ChildProcess> process;
};

class Environment {
 public:
  Status Start() {
    dir_ = TempDir();
    ensemble_ = std::make_unique<ZkEnsemble>(ZkEnsembleOptions{.servers = 3});
    if (Status s = ensemble_->Start(); !s.ok()) return s;
    if (Status s = writer_.Connect(ensemble_->ConnectString()); !s.ok()) return s;
    if (Status s = CreateSampleTree(writer_, KafkaLikeTree(0, 12, 3)); !s.ok()) return s;
    if (Status s = CreateSampleTree(writer_, DubboLikeTree(4, 5)); !s.ok()) return s;
    for (int id = 1; id <= 3; ++id) {  // each broker registers itself with its own session, as Kafka does
      brokers_.push_back(std::make_unique<ZkTestClient>());
      if (Status s = brokers_.back()->Connect(ensemble_->ConnectString()); !s.ok()) return s;
      if (Status s = brokers_.back()->Create("/brokers/ids/" + std::to_string(id), R"({"host":"127.0.0.1"})",
                                             NodeKind::kEphemeral);
          !s.ok()) {
        return s;
      }
    }
    // A client watching the registrations (for the per-path watch series).
    struct Stat stat {};
    for (const char* path : {"/brokers/ids", "/brokers/topics/topic-000"}) {
      if (zoo_wexists(writer_.handle(), path, NoopWatcher, nullptr, &stat) != ZOK) {
        return Status::Internal(std::string("zoo_wexists ") + path);
      }
    }
    WriteFile(dir_ + "/config.yml", kConfig);

    // A sidecar per server, and one next to a server that is down (nothing listens on its ports).
    for (int i = 0; i < 3; ++i) {
      if (Status s = StartExporter(ensemble_->ServerAddress(i), ensemble_->AdminPort(i),
                                   "sidecar-" + std::to_string(i));
          !s.ok()) {
        return s;
      }
    }
    Result<std::vector<uint16_t>> dead = FreeLoopbackPorts(2);
    if (!dead.ok()) return dead.status();
    if (Status s = StartExporter("127.0.0.1:" + std::to_string((*dead)[0]), (*dead)[1], "sidecar-down");
        !s.ok()) {
      return s;
    }
    for (std::size_t i = 0; i < 3; ++i) {
      if (!WaitFor(
              [&] {
                auto r = HttpGet("127.0.0.1", sidecars_[i].port, "/readyz");
                return r.ok() && r->status == 200;
              },
              milliseconds(60000))) {
        return Status::DeadlineExceeded("sidecar " + std::to_string(i) +
                                        " not ready: " + sidecars_[i].process->Log());
      }
    }
    // A change in the watch-mode subtree, for zookeeper_subtree_changes_total.
    if (Status s = writer_.Create("/dubbo/com.example.demo.Service00/providers/e2e", ""); !s.ok()) return s;
    return StartPrometheus();
  }

  // The sidecars' /metrics (the down one's last).
  std::vector<std::string> Expositions() const {
    std::vector<std::string> out;
    for (const auto& s : sidecars_) {
      auto r = HttpGet("127.0.0.1", s.port, "/metrics");
      out.push_back(r.ok() ? r->body : "");
    }
    return out;
  }
  const std::string& down_instance() const { return sidecars_.back().instance; }
  const std::string& dir() const {
    return dir_;
  }  // logs, configs, Prometheus' data (ZKX_KEEP_TEST_DIRS keeps it)

  // Prometheus' HTTP API (tests/deploy/prometheus_client.h).
  PrometheusClient prometheus() const { return PrometheusClient(prometheus_port_); }
  std::string PrometheusLog() const { return prometheus_->Log(); }

 private:
  Status StartExporter(const std::string& hosts, uint16_t admin_port, const std::string& name) {
    Result<uint16_t> port = FreeLoopbackPort();
    if (!port.ok()) return port.status();
    Sidecar s;
    s.port = *port;
    s.instance = "127.0.0.1:" + std::to_string(*port);
    Result<ChildProcess> p = ChildProcess::Start(
        {ZKX_EXPORTER_BIN, "--zookeeper.hosts=" + hosts, "--config.file=" + dir_ + "/config.yml",
         "--web.listen-address=" + s.instance, "--server.admin-port=" + std::to_string(admin_port),
         "--server.timeout=500ms", "--watches.per-path"},
        dir_ + "/" + name + ".log");
    if (!p.ok()) return p.status();
    s.process.emplace(std::move(p).value());
    sidecars_.push_back(std::move(s));
    return Status::Ok();
  }

  Status StartPrometheus() {
    Result<uint16_t> port = FreeLoopbackPort();
    if (!port.ok()) return port.status();
    prometheus_port_ = *port;
    std::string targets;
    for (const auto& s : sidecars_) targets += (targets.empty() ? "'" : ", '") + s.instance + "'";
    WriteFile(dir_ + "/prometheus.yml",
              "global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n  evaluation_interval: 1s\n"
              "rule_files:\n  - " +
                  SourcePath("deploy/prometheus/alerts.yml") + "\n  - " +
                  SourcePath("deploy/prometheus/recording_rules.yml") +
                  "\nscrape_configs:\n  - job_name: zookeeper\n    static_configs:\n      - targets: [" +
                  targets + "]\n");
    Result<ChildProcess> p =
        ChildProcess::Start({ZKX_PROMETHEUS_BIN, "--config.file=" + dir_ + "/prometheus.yml",
                             "--storage.tsdb.path=" + dir_ + "/tsdb",
                             "--web.listen-address=127.0.0.1:" + std::to_string(prometheus_port_)},
                            dir_ + "/prometheus.log");
    if (!p.ok()) return p.status();
    prometheus_.emplace(std::move(p).value());
    // Every target scraped a few times (rates need two samples).
    const bool scraped = WaitFor(
        [&] {
          Result<nlohmann::json> r =
              prometheus().Query("count(count_over_time(zookeeper_exporter_build_info[1m]) >= 4)");
          return r.ok() && r->size() == 1 && (*r)[0]["value"][1] == "4";
        },
        milliseconds(60000), milliseconds(500));
    return scraped ? Status::Ok()
                   : Status::DeadlineExceeded("Prometheus did not scrape the sidecars: " + PrometheusLog());
  }

  std::string dir_;
  std::unique_ptr<ZkEnsemble> ensemble_;
  ZkTestClient writer_;
  std::vector<std::unique_ptr<ZkTestClient>> brokers_;
  std::vector<Sidecar> sidecars_;
  uint16_t prometheus_port_ = 0;
  std::optional<ChildProcess> prometheus_;
};

class DeployEndToEndTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    env_ = new Environment();
    start_status_ = env_->Start();
  }
  static void TearDownTestSuite() {
    const std::string dir = env_->dir();
    delete env_;  // Prometheus, the sidecars, then the ensemble
    env_ = nullptr;
    if (std::getenv("ZKX_KEEP_TEST_DIRS") == nullptr) std::filesystem::remove_all(dir);
  }
  void SetUp() override { ASSERT_TRUE(start_status_.ok()) << start_status_.ToString(); }

  static Environment* env_;
  static Status start_status_;
};
Environment* DeployEndToEndTest::env_ = nullptr;
Status DeployEndToEndTest::start_status_;

// ------------------------------------------------------------------------------------------- the dashboard

nlohmann::json Dashboard() {
  return nlohmann::json::parse(ReadFile(SourcePath("deploy/grafana/zookeeper_exporter.json")));
}

TEST_F(DeployEndToEndTest, EveryDashboardQueryReturnsSeries) {
  const PrometheusClient prometheus = env_->prometheus();
  const nlohmann::json dashboard = Dashboard();
  std::vector<std::string> problems;
  const std::map<std::string, std::string> values =
      ResolveDashboardVariables(dashboard, prometheus, &problems);
  EXPECT_TRUE(problems.empty()) << ::testing::PrintToString(problems);
  const std::vector<DashboardQuery> queries = DashboardQueries(dashboard, values);
  ASSERT_GE(queries.size(), 40U);
  // Poll until every query has data (rates need a few samples), then report the ones that never had any.
  std::map<std::string, std::string> failing;
  WaitFor(
      [&] {
        failing.clear();
        for (const auto& q : queries) {
          Result<nlohmann::json> r = prometheus.Query(q.expr);
          if (!r.ok()) {
            failing[q.panel + ": " + q.expr] = r.status().message();
          } else if (r->empty()) {
            failing[q.panel + ": " + q.expr] = "no series";
          }
        }
        return failing.empty();
      },
      milliseconds(30000), milliseconds(1000));
  for (const auto& [query, why] : failing) ADD_FAILURE() << query << "\n  -> " << why;
  std::printf("[ figures ] %zu dashboard queries checked\n", queries.size());
}

// ----------------------------------------------------------------------------------------------- the rules

TEST_F(DeployEndToEndTest, RulesEvaluateAndRecordingRulesProduceSeries) {
  std::vector<nlohmann::json> rules;
  ASSERT_TRUE(WaitFor(
      [&] {
        rules = env_->prometheus().Rules();
        bool evaluated = true;
        for (const auto& r : rules) evaluated = evaluated && r["health"] != "unknown";
        return !rules.empty() && evaluated;
      },
      milliseconds(20000), milliseconds(500)))
      << env_->PrometheusLog();
  std::size_t recording = 0;
  for (const auto& r : rules) {
    EXPECT_EQ(r["health"], "ok") << r["name"] << ": " << r.value("lastError", std::string());
    if (r["type"] != "recording") continue;
    ++recording;
    const std::string name = r["name"];
    EXPECT_TRUE(WaitFor(
        [&] {
          Result<nlohmann::json> q = env_->prometheus().Query(name);
          return q.ok() && !q->empty();
        },
        milliseconds(20000), milliseconds(1000)))
        << name << " has no series";
  }
  EXPECT_GE(recording, 10U);
  std::printf("[ figures ] %zu rules loaded, %zu recording\n", rules.size(), recording);
}

TEST_F(DeployEndToEndTest, OnlyTheDownServerRaisesAlerts) {
  // ZooKeeperServerDown (pending: `for` has not run out yet) for the sidecar whose server is down...
  auto active = [&](const std::string& alert, const std::string& instance) {
    const nlohmann::json j = env_->prometheus().Api("/api/v1/alerts");
    if (j.is_discarded()) return false;
    for (const auto& a : j["data"]["alerts"]) {
      if (a["labels"]["alertname"] == alert && a["labels"].value("instance", "") == instance) return true;
    }
    return false;
  };
  EXPECT_TRUE(WaitFor([&] { return active("ZooKeeperServerDown", env_->down_instance()); },
                      milliseconds(20000), milliseconds(500)));
  // ...and none of the ensemble's alerts for the healthy ones.
  const std::set<std::string> quiet = {"ZooKeeperServerDown",
                                       "ZooKeeperExporterDown",
                                       "ZooKeeperNoLeader",
                                       "ZooKeeperMultipleLeaders",
                                       "ZooKeeperExporterSessionNotConnected",
                                       "KafkaBrokersUnregistered",
                                       "ZooKeeperSubtreeEphemeralsDropped",
                                       "ZooKeeperSubtreeRootMissing",
                                       "ZooKeeperSubtreeTruncated",
                                       "ZooKeeperZnodeNearSizeLimit",
                                       "ZooKeeperWatchTablesUnreadable",
                                       "ZooKeeperServerReportLimited"};
  const nlohmann::json j = env_->prometheus().Api("/api/v1/alerts");
  ASSERT_FALSE(j.is_discarded());
  for (const auto& a : j["data"]["alerts"]) {
    const std::string name = a["labels"]["alertname"];
    if (quiet.count(name) == 0 || a["labels"].value("instance", "") == env_->down_instance()) continue;
    ADD_FAILURE() << name << " is " << a["state"] << " on the healthy ensemble: " << a["labels"].dump();
  }
}

// -------------------------------------------------------------------------------- README's metric reference

TEST_F(DeployEndToEndTest, ReadmeMetricReferenceMatchesTheLiveExporters) {
  const DocumentedMetrics docs = ParseReadmeMetrics(ReadFile(SourcePath("README.md")));
  ASSERT_GT(docs.names.size(), 20U);
  std::map<std::string, std::string> live;  // family -> type, over every sidecar
  // Wait for the per-path watch series (the watches collector sees the watch on its next scrape).
  WaitFor(
      [&] {
        live.clear();
        for (const auto& text : env_->Expositions()) {
          std::istringstream in(text);
          std::string line;
          while (std::getline(in, line)) {
            std::smatch m;
            if (std::regex_match(line, m, std::regex(R"(# TYPE (\S+) (\S+))"))) live[m[1]] = m[2];
          }
        }
        return live.count("zookeeper_watches_path_sessions") > 0;
      },
      milliseconds(20000), milliseconds(500));
  ASSERT_FALSE(live.empty());

  // Documented -> live.
  std::set<std::string> documented = docs.names;
  for (const auto& n : docs.names)
    EXPECT_EQ(live.count(n), 1U) << n << " is documented but no exporter exposes it";
  for (const auto& candidates : docs.abbreviations) {
    std::string resolved;  // the live candidate that keeps the longest part of the full name
    for (const auto& c : candidates) {
      if (live.count(c) > 0) resolved = c;
    }
    EXPECT_FALSE(resolved.empty()) << "an abbreviated name (" << ::testing::PrintToString(candidates)
                                   << ") matches no exposed family";
    if (!resolved.empty()) documented.insert(resolved);
  }
  for (const auto& p : docs.prefixes) {
    bool any = false;
    for (const auto& [name, type] : live) any |= name.rfind(p, 0) == 0;
    EXPECT_TRUE(any) << p << "* is documented but nothing is exposed";
  }
  // Live -> documented.
  for (const auto& [name, type] : live) {
    bool ok = documented.count(name) > 0;
    for (const auto& p : docs.prefixes) ok |= name.rfind(p, 0) == 0;
    EXPECT_TRUE(ok) << name << " (" << type << ") is exposed but not in README.md's metric reference";
  }
  // Types, where README has a type column.
  for (const auto& [name, type] : docs.types) {
    if (live.count(name) > 0) {
      EXPECT_EQ(live[name], type) << name;
    }
  }
  for (const auto& [candidates, type] : docs.abbreviation_types) {
    for (const auto& c : candidates) {
      if (documented.count(c) > 0 && live.count(c) > 0) {
        EXPECT_EQ(live[c], type) << c;
      }
    }
  }
  std::printf("[ figures ] %zu families exposed, %zu names documented\n", live.size(), documented.size());
}

}  // namespace
}  // namespace zkx::test::deploy
