// End to end for the value-rule presets (deploy/examples/<preset>.yml, <preset>.rules.yml) and their
// dashboard (deploy/grafana/zookeeper_presets.json): one real ZooKeeper server holding, side by side, a
// Kafka, a Solr, an HBase, a Dubbo and a Curator tree in those systems' own on-disk formats (the formats the
// presets cite), plus quotas made with ZooKeeper's own zkCli.sh; all of it deliberately broken in the ways
// the alerts are for. One real zookeeper_exporter per preset with the unmodified preset as --config.file
// (watch mode from the flag, except quotas.yml, which pins poll), and one real Prometheus scraping them every
// second (one job per preset) with every preset's rules loaded, their `for:` clauses removed so that an alert
// fires on its first true evaluation instead of after minutes.
//   - every dashboard query, its variables substituted as Grafana would, returns data;
//   - every rule evaluates cleanly and every recording rule produces series with the values the tree implies;
//   - the alerts for what the tree breaks are firing, and the others are quiet; then removing the Kafka
//     controller, the Solr live nodes, the HBase master and a region server fires the rest, so that every
//     alert of every preset has fired once by the end.
// The environment is started once for all cases (one ctest test); the cases run in order.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <yaml-cpp/yaml.h>

#include "tests/deploy/deploy_test_util.h"
#include "tests/deploy/prometheus_client.h"
#include "tests/support/child_process.h"
#include "tests/support/exporter_process.h"
#include "tests/support/http_get.h"
#include "tests/support/wait_and_ports.h"
#include "tests/support/zk_cli.h"
#include "tests/support/zk_ensemble.h"
#include "tests/support/zk_test_client.h"

namespace zkx::test::deploy {
namespace {

using Json = nlohmann::json;
using std::chrono::milliseconds;

const std::vector<std::string> kPresets = {"kafka", "solr", "hbase", "dubbo", "curator", "quotas"};

// Alerts the broken tree must fire as built, and the ones it must not (until the removals of the last case).
const std::set<std::string> kFiringAsBuilt = {
    "KafkaOfflinePartitions",  "KafkaUnderReplicatedPartitions", "KafkaValueRuleErrors",
    "SolrReplicasNotActive",   "DubboServiceWithoutProviders",   "CuratorLockContended",
    "ZooKeeperQuotaNearLimit", "ZooKeeperQuotaSoftLimitExceeded"};
const std::set<std::string> kFiringAfterRemovals = {"KafkaNoController", "SolrNoLiveNodes",
                                                    "HBaseNoActiveMaster", "HBaseRegionServersDropped"};

// ------------------------------------------------------------------------------------------------ the trees

// Kafka (kafka/zk/ZkData.scala): topic -> partition -> assigned replicas (the first is the preferred leader),
// and each partition's state. orders-1 is under-replicated, orders-2 has no leader (offline, and
// under-replicated), payments-0 is led by its second replica, payments-1's state is not JSON.
Status WriteKafka(ZkTestClient& c) {
  if (Status s = c.Create("/controller", R"({"version":1,"brokerid":2,"timestamp":"1700000000000"})",
                          NodeKind::kEphemeral);
      !s.ok())
    return s;
  if (Status s = c.Create("/controller_epoch", "4"); !s.ok()) return s;
  if (Status s = c.CreateRecursive("/brokers/ids"); !s.ok()) return s;
  for (int id = 1; id <= 3; ++id) {
    const std::string host = "10.0.0." + std::to_string(id);
    const Json broker{{"version", 5},
                      {"host", host},
                      {"port", 9092},
                      {"jmx_port", -1},
                      {"timestamp", "1700000000000"},
                      {"endpoints", {"PLAINTEXT://" + host + ":9092"}},
                      {"listener_security_protocol_map", {{"PLAINTEXT", "PLAINTEXT"}}},
                      {"features", Json::object()}};
    if (Status s = c.Create("/brokers/ids/" + std::to_string(id), broker.dump(), NodeKind::kEphemeral);
        !s.ok())
      return s;
  }
  struct Partition {
    std::vector<int> replicas;
    std::string state;  // the state znode's data
  };
  auto state = [](int leader, std::vector<int> isr) {
    return Json{
        {"controller_epoch", 4}, {"leader", leader}, {"version", 1}, {"leader_epoch", 3}, {"isr", isr}}
        .dump();
  };
  const std::map<std::string, std::map<int, Partition>> topics = {
      {"orders",
       {{0, {{1, 2, 3}, state(1, {1, 2, 3})}},
        {1, {{2, 3, 1}, state(2, {2})}},
        {2, {{3, 1, 2}, state(-1, {})}}}},
      {"payments", {{0, {{1, 3}, state(3, {3, 1})}}, {1, {{3, 1}, R"({"controller_epoch":4,"leader":)"}}}},
  };
  for (const auto& [topic, partitions] : topics) {
    Json assigned = Json::object();
    for (const auto& [p, part] : partitions) assigned[std::to_string(p)] = part.replicas;
    const Json topic_json{{"version", 2},
                          {"partitions", assigned},
                          {"adding_replicas", Json::object()},
                          {"removing_replicas", Json::object()}};
    if (Status s = c.CreateRecursive("/brokers/topics/" + topic, topic_json.dump()); !s.ok()) return s;
    for (const auto& [p, part] : partitions) {
      const std::string base = "/brokers/topics/" + topic + "/partitions/" + std::to_string(p);
      if (Status s = c.CreateRecursive(base); !s.ok()) return s;
      if (Status s = c.Create(base + "/state", part.state); !s.ok()) return s;
    }
  }
  return Status::Ok();
}

// Solr (solrj .../common/cloud/ZkStateReader.java, Replica.java): live nodes and a collection's state.json.
// books has a replica down and one recovering; authors is healthy.
Status WriteSolr(ZkTestClient& c) {
  if (Status s = c.CreateRecursive("/live_nodes"); !s.ok()) return s;
  for (const char* node : {"127.0.0.1:8983_solr", "127.0.0.1:8984_solr"}) {
    if (Status s = c.Create(std::string("/live_nodes/") + node, "", NodeKind::kEphemeral); !s.ok()) return s;
  }
  auto replica = [](const std::string& core, const std::string& port, const std::string& state, bool leader) {
    Json r{{"core", core},
           {"node_name", "127.0.0.1:" + port + "_solr"},
           {"base_url", "http://127.0.0.1:" + port + "/solr"},
           {"state", state},
           {"type", "NRT"},
           {"force_set_state", "false"}};
    if (leader) r["leader"] = "true";
    return r;
  };
  auto collection = [](const std::string& name, const Json& shards) {
    return Json{{name,
                 {{"pullReplicas", "0"},
                  {"replicationFactor", "2"},
                  {"router", {{"name", "compositeId"}}},
                  {"maxShardsPerNode", "-1"},
                  {"autoAddReplicas", "false"},
                  {"nrtReplicas", "2"},
                  {"tlogReplicas", "0"},
                  {"shards", shards}}}}
        .dump();
  };
  const Json books{{"shard1",
                    {{"range", "80000000-ffffffff"},
                     {"state", "active"},
                     {"replicas",
                      {{"core_node3", replica("books_shard1_replica_n1", "8983", "active", true)},
                       {"core_node5", replica("books_shard1_replica_n2", "8984", "down", false)}}}}},
                   {"shard2",
                    {{"range", "0-7fffffff"},
                     {"state", "active"},
                     {"replicas",
                      {{"core_node7", replica("books_shard2_replica_n4", "8984", "active", true)},
                       {"core_node8", replica("books_shard2_replica_n6", "8983", "recovering", false)}}}}}};
  const Json authors{{"shard1",
                      {{"range", "80000000-7fffffff"},
                       {"state", "active"},
                       {"replicas",
                        {{"core_node2", replica("authors_shard1_replica_n1", "8983", "active", true)},
                         {"core_node4", replica("authors_shard1_replica_n3", "8984", "active", false)}}}}}};
  if (Status s = c.CreateRecursive("/collections/books/state.json", collection("books", books)); !s.ok())
    return s;
  return c.CreateRecursive("/collections/authors/state.json", collection("authors", authors));
}

// HBase (hbase-client .../zookeeper/ZNodePaths.java): the active master, a backup master and three region
// servers, each ephemeral; their data is HBase's protobuf after the 0xFF magic (the preset reads none of it).
Status WriteHBase(ZkTestClient& c) {
  auto pb = [](const std::string& id) {
    std::string data = "\xff";
    data += std::string("\0\0\0", 3) + static_cast<char>(id.size()) + id + "PBUF";
    return data + "\x0a\x12\x0a\x08" + "hbase-m1" + "\x10\x80\x7d";
  };
  for (const char* p : {"/hbase/backup-masters", "/hbase/rs"}) {
    if (Status s = c.CreateRecursive(p); !s.ok()) return s;
  }
  if (Status s = c.Create("/hbase/master", pb("master:16000"), NodeKind::kEphemeral); !s.ok()) return s;
  if (Status s = c.Create("/hbase/backup-masters/hbase-m2,16000,1700000000002", pb("master:16000"),
                          NodeKind::kEphemeral);
      !s.ok())
    return s;
  for (int i = 1; i <= 3; ++i) {
    const std::string rs = "hbase-rs" + std::to_string(i) + ",16020,170000000000" + std::to_string(i);
    if (Status s = c.Create("/hbase/rs/" + rs, pb("regionserver:16020"), NodeKind::kEphemeral); !s.ok())
      return s;
  }
  return Status::Ok();
}

// Dubbo (dubbo-registry-zookeeper .../ZookeeperRegistry.java): URL-encoded provider and consumer URLs under
// each service; OrderService has consumers but no provider.
Status WriteDubbo(ZkTestClient& c) {
  auto url = [](const std::string& scheme, const std::string& host, const std::string& service,
                const std::string& app) {
    return scheme + "%3A%2F%2F" + host + "%2F" + service + "%3Fapplication%3D" + app + "%26interface%3D" +
           service + "%26methods%3Dhandle%26side%3D" + (scheme == "consumer" ? "consumer" : "provider");
  };
  for (const std::string service : {"com.example.DemoService", "com.example.OrderService"}) {
    for (const char* category : {"providers", "consumers", "configurators", "routers"}) {
      if (Status s = c.CreateRecursive("/dubbo/" + service + "/" + category); !s.ok()) return s;
    }
  }
  const std::string demo = "/dubbo/com.example.DemoService/";
  for (const char* host : {"10.0.0.5%3A20880", "10.0.0.6%3A20880"}) {
    if (Status s =
            c.Create(demo + "providers/" + url("dubbo", host, "com.example.DemoService", "demo-provider"), "",
                     NodeKind::kEphemeral);
        !s.ok())
      return s;
  }
  if (Status s = c.Create(demo + "consumers/" + url("consumer", "10.0.0.9", "com.example.DemoService", "web"),
                          "", NodeKind::kEphemeral);
      !s.ok())
    return s;
  const std::string order = "/dubbo/com.example.OrderService/";
  for (const char* host : {"10.0.0.9", "10.0.0.10"}) {
    if (Status s = c.Create(order + "consumers/" + url("consumer", host, "com.example.OrderService", "web"),
                            "", NodeKind::kEphemeral);
        !s.ok())
      return s;
  }
  return Status::Ok();
}

// Curator (curator-recipes InterProcessMutex "lock-", LeaderLatch "latch-", ProtectedUtils "_c_<uuid>-"):
// ephemeral sequential participants. /app/locks/jobs is contended (1 holder, 11 waiting).
Status WriteCurator(ZkTestClient& c) {
  auto participant = [](int session, const char* kind, int seq) {
    char name[96];
    std::snprintf(name, sizeof name, "_c_6a1f3b2e-4c5d-4e6f-8a9b-%012d-%s-%010d", session, kind, seq);
    return std::string(name);
  };
  for (const char* p : {"/app/locks/jobs", "/app/locks/reports", "/app/leader"}) {
    if (Status s = c.CreateRecursive(p); !s.ok()) return s;
  }
  for (int i = 0; i < 12; ++i) {
    if (Status s = c.Create("/app/locks/jobs/" + participant(i, "lock", i), "10.0.1.1", NodeKind::kEphemeral);
        !s.ok())
      return s;
  }
  for (int i = 0; i < 2; ++i) {
    if (Status s = c.Create("/app/locks/reports/" + participant(i, "lock", i), "", NodeKind::kEphemeral);
        !s.ok())
      return s;
  }
  for (int i = 0; i < 3; ++i) {
    if (Status s = c.Create("/app/leader/" + participant(i, "latch", i), "node-" + std::to_string(i),
                            NodeKind::kEphemeral);
        !s.ok())
      return s;
  }
  return Status::Ok();
}

// Quotas, made as an operator makes them (zkCli.sh setquota): /quota_apps/a at its hard count limit (10 of
// 10), /quota_apps/b over its soft count limit (4 of 2), /quota_apps/c well inside its limits.
Status WriteQuotas(ZkTestClient& c, const std::string& server) {
  for (const char* p : {"/quota_apps/a", "/quota_apps/b", "/quota_apps/c"}) {
    if (Status s = c.CreateRecursive(p); !s.ok()) return s;
  }
  Result<std::string> out =
      RunZkCli(server, {"setquota -N 10 /quota_apps/a", "setquota -n 2 /quota_apps/b",
                        "setquota -B 100000 /quota_apps/c", "setquota -n 100 /quota_apps/c"});
  if (!out.ok()) return out.status();
  if (out->find("Exception") != std::string::npos) return Status::Internal("zkCli.sh: " + *out);
  for (int i = 0; i < 9; ++i) {
    if (Status s = c.Create("/quota_apps/a/n" + std::to_string(i), "0123456789"); !s.ok()) return s;
  }
  for (int i = 0; i < 3; ++i) {
    if (Status s = c.Create("/quota_apps/b/n" + std::to_string(i), "x"); !s.ok()) return s;
  }
  return c.Create("/quota_apps/c/n0", "small");
}

// A rules file with its `for:` lines dropped: the alert fires on its first true evaluation.
std::string WithoutFor(const std::string& rules) {
  std::istringstream in(rules);
  std::string out, line;
  while (std::getline(in, line)) {
    const std::size_t first = line.find_first_not_of(' ');
    if (first != std::string::npos && line.compare(first, 4, "for:") == 0) continue;
    out += line + "\n";
  }
  return out;
}

// Every alert name of the presets' rules files.
std::set<std::string> PresetAlertNames() {
  std::set<std::string> out;
  for (const auto& p : kPresets) {
    const YAML::Node doc = YAML::LoadFile(SourcePath("deploy/examples/" + p + ".rules.yml"));
    for (const auto& g : doc["groups"]) {
      for (const auto& r : g["rules"]) {
        if (r["alert"]) out.insert(r["alert"].as<std::string>());
      }
    }
  }
  return out;
}

// ------------------------------------------------------------------------------------------ the environment

struct Exporter {
  std::string preset;
  ExporterProcess process;  // its address() is the instance Prometheus scrapes
};

class Environment {
 public:
  Status Start() {
    dir_ = TempDir();
    if (Status s = ensemble_.Start(); !s.ok()) return s;
    if (Status s = writer_.Connect(ensemble_.ConnectString()); !s.ok()) return s;
    // The systems' own registrations, ephemeral, owned by one "cluster" session.
    if (Status s = cluster_.Connect(ensemble_.ConnectString()); !s.ok()) return s;
    for (auto write : {WriteKafka, WriteSolr, WriteHBase, WriteDubbo, WriteCurator}) {
      if (Status s = write(cluster_); !s.ok()) return s;
    }
    if (Status s = WriteQuotas(writer_, ensemble_.ServerAddress(0)); !s.ok()) return s;

    for (const auto& preset : kPresets) {
      if (Status s = StartExporter(preset); !s.ok()) return s;
    }
    for (const auto& e : exporters_) {
      if (!e.process.WaitReady(milliseconds(60000))) {
        return Status::DeadlineExceeded("exporter " + e.preset + " not ready: " + e.process.Log());
      }
    }
    return StartPrometheus();
  }

  const PrometheusClient& prometheus() const { return *client_; }
  ZkTestClient& writer() { return writer_; }
  const std::string& dir() const { return dir_; }
  std::string PrometheusLog() const { return prometheus_ ? prometheus_->Log() : ""; }

 private:
  Status StartExporter(const std::string& preset) {
    Exporter e{
        .preset = preset,
        .process = ExporterProcess(ZKX_EXPORTER_BIN,
                                   {"--zookeeper.hosts=" + ensemble_.ServerAddress(0),
                                    "--config.file=" + SourcePath("deploy/examples/" + preset + ".yml"),
                                    "--server.admin-port=" + std::to_string(ensemble_.AdminPort(0)),
                                    "--server.timeout=500ms", "--tree.refresh-mode=watch"},
                                   dir_ + "/exporter-" + preset + ".log")};
    if (!e.process.status().ok()) return e.process.status();
    exporters_.push_back(std::move(e));
    return Status::Ok();
  }

  Status StartPrometheus() {
    Result<uint16_t> port = FreeLoopbackPort();
    if (!port.ok()) return port.status();
    std::string config =
        "global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n  evaluation_interval: 1s\nrule_files:\n";
    for (const auto& p : kPresets) {
      const std::string copy = dir_ + "/" + p + ".rules.yml";
      WriteFile(copy, WithoutFor(ReadFile(SourcePath("deploy/examples/" + p + ".rules.yml"))));
      config += "  - " + copy + "\n";
    }
    config += "scrape_configs:\n";
    for (const auto& e : exporters_) {
      config += "  - job_name: " + e.preset + "\n    static_configs:\n      - targets: ['" +
                e.process.address() + "']\n";
    }
    WriteFile(dir_ + "/prometheus.yml", config);
    Result<ChildProcess> p = ChildProcess::Start(
        {ZKX_PROMETHEUS_BIN, "--config.file=" + dir_ + "/prometheus.yml",
         "--storage.tsdb.path=" + dir_ + "/tsdb", "--web.listen-address=127.0.0.1:" + std::to_string(*port)},
        dir_ + "/prometheus.log");
    if (!p.ok()) return p.status();
    prometheus_.emplace(std::move(p).value());
    client_.emplace(*port);
    // Every exporter scraped a few times (rates need two samples).
    const std::string want = std::to_string(exporters_.size());
    const bool scraped = WaitFor(
        [&] {
          Result<Json> r = client_->Query("count(count_over_time(up[1m]) >= 3 and up == 1)");
          return r.ok() && r->size() == 1 && (*r)[0]["value"][1] == want;
        },
        milliseconds(60000), milliseconds(500));
    return scraped ? Status::Ok()
                   : Status::DeadlineExceeded("Prometheus did not scrape the exporters: " + PrometheusLog());
  }

  std::string dir_;
  ZkEnsemble ensemble_{ZkEnsembleOptions{.servers = 1}};
  ZkTestClient writer_;
  ZkTestClient cluster_;
  std::vector<Exporter> exporters_;
  std::optional<ChildProcess> prometheus_;
  std::optional<PrometheusClient> client_;
};

class PresetsEndToEndTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    env_ = new Environment();
    start_status_ = env_->Start();
  }
  static void TearDownTestSuite() {
    const std::string dir = env_->dir();
    delete env_;  // Prometheus, the exporters, then the server
    env_ = nullptr;
    if (std::getenv("ZKX_KEEP_TEST_DIRS") == nullptr) std::filesystem::remove_all(dir);
  }
  void SetUp() override { ASSERT_TRUE(start_status_.ok()) << start_status_.ToString(); }

  // Waits until every alert of `names` is firing; reports the ones that are not.
  static void ExpectFiring(const std::set<std::string>& names) {
    std::map<std::string, std::set<std::string>> active;
    WaitFor(
        [&] {
          active = env_->prometheus().ActiveAlerts();
          for (const auto& n : names) {
            if (active.count(n) == 0 || active[n].count("firing") == 0) return false;
          }
          return true;
        },
        milliseconds(30000), milliseconds(500));
    for (const auto& n : names) {
      EXPECT_TRUE(active.count(n) > 0 && active[n].count("firing") > 0)
          << n << " is not firing (" << ::testing::PrintToString(active[n]) << ")";
    }
  }

  static std::optional<double> Scalar(const std::string& promql) {
    Result<Json> r = env_->prometheus().Query(promql);
    if (!r.ok() || r->size() != 1) return std::nullopt;
    return std::stod((*r)[0]["value"][1].get<std::string>());
  }

  static Environment* env_;
  static Status start_status_;
};
Environment* PresetsEndToEndTest::env_ = nullptr;
Status PresetsEndToEndTest::start_status_;

TEST_F(PresetsEndToEndTest, EveryDashboardQueryReturnsData) {
  const Json dashboard = Json::parse(ReadFile(SourcePath("deploy/grafana/zookeeper_presets.json")));
  std::vector<std::string> problems;
  const auto values = ResolveDashboardVariables(dashboard, env_->prometheus(), &problems);
  EXPECT_TRUE(problems.empty()) << ::testing::PrintToString(problems);
  const std::vector<DashboardQuery> queries = DashboardQueries(dashboard, values);
  ASSERT_GE(queries.size(), 40U);
  // Every preset's row has queries.
  for (const auto& p : kPresets) {
    bool any = false;
    for (const auto& q : queries) any |= q.panel.find("(" + p + ".yml)") != std::string::npos;
    EXPECT_TRUE(any) << "no dashboard row for " << p << ".yml";
  }
  std::map<std::string, std::string> failing;
  WaitFor(
      [&] {
        failing.clear();
        for (const auto& q : queries) {
          Result<Json> r = env_->prometheus().Query(q.expr);
          if (!r.ok()) {
            failing[q.panel + ": " + q.expr] = r.status().message();
          } else if (r->empty()) {
            failing[q.panel + ": " + q.expr] = "no data";
          }
        }
        return failing.empty();
      },
      milliseconds(30000), milliseconds(1000));
  for (const auto& [query, why] : failing) ADD_FAILURE() << query << "\n  -> " << why;
  std::printf("[ figures ] %zu preset dashboard queries checked\n", queries.size());
}

TEST_F(PresetsEndToEndTest, RulesEvaluateAndTheBrokenTreeFiresItsAlerts) {
  std::vector<Json> rules;
  ASSERT_TRUE(WaitFor(
      [&] {
        rules = env_->prometheus().Rules();
        bool evaluated = !rules.empty();
        for (const auto& r : rules) evaluated = evaluated && r["health"] != "unknown";
        return evaluated;
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
          Result<Json> q = env_->prometheus().Query(name);
          return q.ok() && !q->empty();
        },
        milliseconds(20000), milliseconds(1000)))
        << name << " has no series";
  }
  EXPECT_GE(recording, 7U);

  // The recording rules say what the tree was built to have.
  EXPECT_EQ(Scalar("zookeeper_kafka:offline_partitions:count"), 1);           // orders-2
  EXPECT_EQ(Scalar("zookeeper_kafka:under_replicated_partitions:count"), 2);  // orders-1, orders-2
  EXPECT_EQ(Scalar("zookeeper_kafka:preferred_leader_imbalanced_partitions:count"),
            2);  // orders-2, payments-0
  EXPECT_EQ(Scalar(R"(zookeeper_curator:lock_waiters{lock_path="app/locks/jobs"})"), 11);
  EXPECT_EQ(Scalar(R"(zookeeper_curator:lock_holders{lock_path="app/locks/reports"})"), 1);
  EXPECT_EQ(Scalar(R"(zookeeper_curator:leader_latch_standbys{latch_path="app/leader"})"), 2);
  EXPECT_EQ(Scalar(R"(zookeeper_quota_count_usage{quota_path="quota_apps/a"})"), 10);
  EXPECT_EQ(Scalar(R"(zookeeper_quota_count_hard_limit{quota_path="quota_apps/a"})"), 10);
  EXPECT_EQ(Scalar(R"(sum(zookeeper_solr_replicas{collection="books", state!="active"}))"), 2);

  ExpectFiring(kFiringAsBuilt);
  const auto active = env_->prometheus().ActiveAlerts();
  for (const auto& n : kFiringAfterRemovals) {
    EXPECT_EQ(active.count(n), 0U) << n << " is active before anything was removed";
  }
  for (const auto& [name, states] : active) {
    if (kFiringAsBuilt.count(name) == 0 && kFiringAfterRemovals.count(name) == 0) {
      ADD_FAILURE() << name << " is active but the tree was not built to raise it";
    }
  }
}

// Runs last: it breaks what the dashboard and the quiet alerts above rely on.
TEST_F(PresetsEndToEndTest, RemovalsFireTheRestAndEveryAlertFiresOnce) {
  ZkTestClient& w = env_->writer();
  ASSERT_TRUE(w.Delete("/controller").ok());
  const std::vector<std::string> live_nodes = w.GetChildren("/live_nodes").value();
  for (const std::string& node : live_nodes) {
    ASSERT_TRUE(w.Delete("/live_nodes/" + node).ok());
  }
  ASSERT_TRUE(w.Delete("/hbase/master").ok());
  ASSERT_TRUE(w.Delete("/hbase/rs/hbase-rs3,16020,1700000000003").ok());
  ExpectFiring(kFiringAfterRemovals);

  std::set<std::string> covered = kFiringAsBuilt;
  covered.insert(kFiringAfterRemovals.begin(), kFiringAfterRemovals.end());
  EXPECT_EQ(PresetAlertNames(), covered) << "every preset alert must be made to fire by this test";
}

}  // namespace
}  // namespace zkx::test::deploy
