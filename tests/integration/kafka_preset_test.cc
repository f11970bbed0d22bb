// The Kafka preset (deploy/examples/kafka.yml) against a real ZooKeeper server holding a Kafka-shaped tree
// written in Kafka's own JSON formats (kafka/zk/ZkData.scala: ControllerZNode, BrokerIdZNode, TopicZNode,
// TopicPartitionStateZNode), with partitions deliberately under-replicated, leaderless and off their
// preferred leader. The metrics the tree collector builds must agree with an independent computation: this
// test's own C-client reads of the same znodes, decoded here with nlohmann-json. Then, in watch mode, changes
// must show within 1 s (the bound).
#include <chrono>
#include <cstdio>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "collectors/tree_collector.h"
#include "exporter/config.h"
#include "tests/support/wait_and_ports.h"
#include "tests/support/zk_ensemble.h"
#include "tests/support/zk_test_client.h"
#include "zk/session.h"

namespace zkx {
namespace {

using Json = nlohmann::json;
using std::chrono::milliseconds;

// topic -> partition -> replicas; the preferred leader is the first.
const std::map<std::string, std::map<int, std::vector<int>>> kAssignment = {
    {"orders", {{0, {1, 2, 3}}, {1, {2, 3, 1}}, {2, {3, 1, 2}}}},
    {"payments", {{0, {1, 3}}, {1, {3, 1}}}},
};
struct PartitionState {
  int leader;
  std::vector<int> isr;
};
// Deliberately: orders-1 under-replicated, orders-2 leaderless (offline) and under-replicated, payments-0 led
// by its second replica (preferred-leader imbalance).
const std::map<std::pair<std::string, int>, PartitionState> kStates = {
    {{"orders", 0}, {1, {1, 2, 3}}}, {{"orders", 1}, {2, {2}}},      {{"orders", 2}, {-1, {}}},
    {{"payments", 0}, {3, {3, 1}}},  {{"payments", 1}, {3, {3, 1}}},
};

std::string StateJson(const PartitionState& s, int leader_epoch) {
  // The key order and types of TopicPartitionStateZNode.encode.
  return Json{{"version", 1},
              {"leader", s.leader},
              {"leader_epoch", leader_epoch},
              {"controller_epoch", 4},
              {"isr", s.isr}}
      .dump();
}

std::string BrokerJson(int id) {
  return Json{{"version", 5},
              {"host", "10.0.0." + std::to_string(id)},
              {"port", 9092},
              {"jmx_port", -1},
              {"timestamp", "1700000000000"},
              {"endpoints", {"PLAINTEXT://10.0.0." + std::to_string(id) + ":9092"}},
              {"listener_security_protocol_map", {{"PLAINTEXT", "PLAINTEXT"}}},
              {"features", Json::object()}}
      .dump();
}

// One sample's value by metric name and labels (all given labels must match), or nullopt.
std::optional<double> Value(const std::vector<prometheus::MetricFamily>& families, const std::string& name,
                            const std::map<std::string, std::string>& labels = {}) {
  for (const auto& f : families) {
    if (f.name != name) continue;
    for (const auto& m : f.metric) {
      std::size_t matched = 0;
      for (const auto& l : m.label) {
        auto it = labels.find(l.name);
        if (it != labels.end() && it->second == l.value) ++matched;
      }
      if (matched == labels.size())
        return f.type == prometheus::MetricType::Counter ? m.counter.value : m.gauge.value;
    }
  }
  return std::nullopt;
}

// What an operator would compute by reading the znodes: the independent side of the comparison.
struct Truth {
  int controller = -2;
  int brokers = 0;
  int partitions = 0;
  int under_replicated = 0;
  int offline = 0;
  int imbalanced = 0;
  std::map<std::pair<std::string, std::string>, std::pair<int, int>> isr_vs_replicas;
};

Truth ReadTruth(test::ZkTestClient& c) {
  Truth t;
  t.controller = Json::parse(c.Get("/controller").value())["brokerid"].get<int>();
  t.brokers = static_cast<int>(c.GetChildren("/brokers/ids").value().size());
  const std::vector<std::string> topics = c.GetChildren("/brokers/topics").value();
  for (const std::string& topic : topics) {
    const Json assignment = Json::parse(c.Get("/brokers/topics/" + topic).value());
    for (const auto& [partition, replicas] : assignment["partitions"].items()) {
      ++t.partitions;
      const Json state =
          Json::parse(c.Get("/brokers/topics/" + topic + "/partitions/" + partition + "/state").value());
      const int isr = static_cast<int>(state["isr"].size());
      const int leader = state["leader"].get<int>();
      if (isr < static_cast<int>(replicas.size())) ++t.under_replicated;
      if (leader == -1) ++t.offline;
      if (leader != replicas[0].get<int>()) ++t.imbalanced;
      t.isr_vs_replicas[{topic, partition}] = {isr, static_cast<int>(replicas.size())};
    }
  }
  return t;
}

// The same figures from the exporter's families (the joins of deploy/examples/kafka.rules.yml, done here).
Truth FromMetrics(const std::vector<prometheus::MetricFamily>& f) {
  Truth t;
  t.controller = static_cast<int>(Value(f, "zookeeper_kafka_controller_broker_id").value_or(-2));
  t.brokers = static_cast<int>(Value(f, "zookeeper_kafka_brokers_registered").value_or(-1));
  for (const auto& family : f) {
    if (family.name != "zookeeper_kafka_partition_in_sync_replicas") continue;
    for (const auto& m : family.metric) {
      std::map<std::string, std::string> labels;
      for (const auto& l : m.label) labels[l.name] = l.value;
      ++t.partitions;
      const int isr = static_cast<int>(m.gauge.value);
      const int replicas =
          static_cast<int>(Value(f, "zookeeper_kafka_partition_replicas", labels).value_or(-1));
      const int leader = static_cast<int>(Value(f, "zookeeper_kafka_partition_leader", labels).value_or(-2));
      const int preferred =
          static_cast<int>(Value(f, "zookeeper_kafka_partition_preferred_leader", labels).value_or(-2));
      if (isr < replicas) ++t.under_replicated;
      if (Value(f, "zookeeper_kafka_partition_offline", labels).value_or(-1) == 1) ++t.offline;
      if (leader != preferred) ++t.imbalanced;
      t.isr_vs_replicas[{labels["topic"], labels["partition"]}] = {isr, replicas};
    }
  }
  return t;
}

class KafkaPresetTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(ensemble_.Start().ok());
    ASSERT_TRUE(writer_.Connect(ensemble_.ConnectString()).ok());
    ASSERT_TRUE(writer_
                    .Create("/controller",
                            Json{{"version", 1}, {"brokerid", 2}, {"timestamp", "1700000000000"}}.dump(),
                            test::NodeKind::kEphemeral)
                    .ok());
    ASSERT_TRUE(writer_.Create("/controller_epoch", "4").ok());
    ASSERT_TRUE(writer_.CreateRecursive("/brokers/ids").ok());
    for (int id : {1, 2, 3}) {
      ASSERT_TRUE(
          writer_.Create("/brokers/ids/" + std::to_string(id), BrokerJson(id), test::NodeKind::kEphemeral)
              .ok());
    }
    for (const auto& [topic, partitions] : kAssignment) {
      Json assigned = Json::object();
      for (const auto& [p, replicas] : partitions) assigned[std::to_string(p)] = replicas;
      const Json topic_json{{"version", 2},
                            {"partitions", assigned},
                            {"adding_replicas", Json::object()},
                            {"removing_replicas", Json::object()}};
      ASSERT_TRUE(writer_.CreateRecursive("/brokers/topics/" + topic, topic_json.dump()).ok());
      for (const auto& [p, replicas] : partitions) {
        const std::string base = "/brokers/topics/" + topic + "/partitions/" + std::to_string(p);
        ASSERT_TRUE(writer_.CreateRecursive(base).ok());
        ASSERT_TRUE(writer_.Create(base + "/state", StateJson(kStates.at({topic, p}), 1)).ok());
      }
    }
    zk::SessionOptions o;
    o.hosts = ensemble_.ConnectString();
    o.session_timeout = milliseconds(10000);
    session_ = std::move(zk::Session::Create(o)).value();
    session_->Start();
    ASSERT_TRUE(test::WaitFor([&] { return session_->Connected(); }, milliseconds(30000)));
  }

  void TearDown() override {
    if (collector_) collector_->Stop();
  }

  // Loads the preset as --config.file would, optionally in watch mode, and waits for every subtree's walk.
  void StartPreset(std::optional<collectors::RefreshMode> mode) {
    Result<exporter::FileConfig> file =
        exporter::LoadConfigFile(std::string(ZKX_SOURCE_DIR) + "/deploy/examples/kafka.yml");
    ASSERT_TRUE(file.ok()) << file.status().ToString();
    Result<std::vector<collectors::SubtreeSpec>> specs =
        exporter::EffectiveSubtrees(*file, {}, std::nullopt, mode);
    ASSERT_TRUE(specs.ok());
    collector_ =
        std::make_unique<collectors::TreeCollector>(session_.get(), [this] { return session_->Connected(); });
    collector_->Configure(std::move(specs).value());
    ASSERT_TRUE(test::WaitFor([&] { return collector_->AllWalkedOnce(); }, milliseconds(30000)));
  }

  std::vector<prometheus::MetricFamily> Scrape() {
    std::vector<prometheus::MetricFamily> out;
    EXPECT_TRUE(collector_->Collect(std::chrono::steady_clock::now() + std::chrono::seconds(5), &out).ok());
    return out;
  }

  test::ZkEnsemble ensemble_{test::ZkEnsembleOptions{.servers = 1}};
  test::ZkTestClient writer_;
  std::unique_ptr<zk::Session> session_;
  std::unique_ptr<collectors::TreeCollector> collector_;  // stopped before the session goes
};

void ExpectAgree(const Truth& want, const Truth& got) {
  EXPECT_EQ(got.controller, want.controller);
  EXPECT_EQ(got.brokers, want.brokers);
  EXPECT_EQ(got.partitions, want.partitions);
  EXPECT_EQ(got.under_replicated, want.under_replicated);
  EXPECT_EQ(got.offline, want.offline);
  EXPECT_EQ(got.imbalanced, want.imbalanced);
  EXPECT_EQ(got.isr_vs_replicas, want.isr_vs_replicas);
}

TEST_F(KafkaPresetTest, PollModeMetricsAgreeWithTheJson) {
  StartPreset(std::nullopt);
  const auto families = Scrape();
  const Truth want = ReadTruth(writer_);
  // The tree was built to have these; the reader's computation must see them too (a self-check of the test).
  EXPECT_EQ(want.partitions, 5);
  EXPECT_EQ(want.under_replicated, 2);
  EXPECT_EQ(want.offline, 1);
  EXPECT_EQ(want.imbalanced, 2);  // orders-2 (no leader) and payments-0
  ExpectAgree(want, FromMetrics(families));
  EXPECT_EQ(Value(families, "zookeeper_kafka_controller_present"), 1);
  EXPECT_EQ(Value(families, "zookeeper_kafka_controller_epoch"), 4);
  EXPECT_EQ(Value(families, "zookeeper_kafka_topic_partitions", {{"topic", "orders"}}), 3);
  EXPECT_EQ(Value(families, "zookeeper_kafka_broker_registered", {{"broker_id", "3"}}), 1);
  // Nothing failed to decode: no error series at all.
  EXPECT_FALSE(Value(families, "zookeeper_value_failing_znodes").has_value());
  EXPECT_FALSE(Value(families, "zookeeper_value_errors_total").has_value());
  // Only the znodes that match a data rule were read: 1 controller + 1 epoch + 2 topics + 5 states.
  double reads = 0;
  for (const char* root : {"/controller", "/controller_epoch", "/brokers"}) {
    reads += Value(families, "zookeeper_value_data_reads_total", {{"root", root}}).value_or(0);
  }
  EXPECT_EQ(reads, 9);
  std::printf(
      "[ figures ] kafka preset: %d partitions, %d under-replicated, %d offline, %d imbalanced; %g data "
      "reads\n",
      want.partitions, want.under_replicated, want.offline, want.imbalanced, reads);

  // A znode whose data is not Kafka's JSON is an error counted per rule, never a 0.
  ASSERT_TRUE(writer_.Set("/brokers/topics/payments/partitions/1/state", "garbage").ok());
  collector_->Configure({});  // restart the walks at once
  StartPreset(std::nullopt);
  const auto broken = Scrape();
  EXPECT_FALSE(
      Value(broken, "zookeeper_kafka_partition_leader", {{"topic", "payments"}, {"partition", "1"}}));
  EXPECT_EQ(Value(broken, "zookeeper_value_failing_znodes",
                  {{"root", "/brokers"}, {"rule", "partition_leader"}, {"reason", "invalid_json"}}),
            1);
  EXPECT_GE(Value(broken, "zookeeper_value_errors_total",
                  {{"root", "/brokers"}, {"rule", "partition_isr"}, {"reason", "invalid_json"}})
                .value_or(0),
            1);
}

TEST_F(KafkaPresetTest, WatchModeShowsChangesWithinOneSecond) {
  StartPreset(collectors::RefreshMode::kWatch);
  ExpectAgree(ReadTruth(writer_), FromMetrics(Scrape()));

  struct Change {
    const char* what;
    std::function<void()> apply;
    std::function<bool(const std::vector<prometheus::MetricFamily>&)> visible;
  };
  const std::vector<Change> changes = {
      {"orders-1 back in sync",
       [&] {
         ASSERT_TRUE(
             writer_.Set("/brokers/topics/orders/partitions/1/state", StateJson({2, {2, 3, 1}}, 2)).ok());
       },
       [](const auto& f) {
         return Value(f, "zookeeper_kafka_partition_in_sync_replicas",
                      {{"topic", "orders"}, {"partition", "1"}}) == 3;
       }},
      {"orders-2 gets a leader",
       [&] {
         ASSERT_TRUE(writer_.Set("/brokers/topics/orders/partitions/2/state", StateJson({3, {3}}, 2)).ok());
       },
       [](const auto& f) {
         return Value(f, "zookeeper_kafka_partition_offline", {{"topic", "orders"}, {"partition", "2"}}) == 0;
       }},
      {"controller moves to broker 3",
       [&] {
         ASSERT_TRUE(writer_.Delete("/controller").ok());
         ASSERT_TRUE(writer_
                         .Create("/controller",
                                 Json{{"version", 1}, {"brokerid", 3}, {"timestamp", "1"}}.dump(),
                                 test::NodeKind::kEphemeral)
                         .ok());
       },
       [](const auto& f) { return Value(f, "zookeeper_kafka_controller_broker_id") == 3; }},
      {"broker 1 leaves", [&] { ASSERT_TRUE(writer_.Delete("/brokers/ids/1").ok()); },
       [](const auto& f) { return Value(f, "zookeeper_kafka_brokers_registered") == 2; }},
  };
  for (const Change& c : changes) {
    const auto start = std::chrono::steady_clock::now();
    c.apply();
    const bool seen =
        test::WaitFor([&] { return c.visible(Scrape()); }, milliseconds(1000), milliseconds(10));
    const auto took = std::chrono::duration_cast<milliseconds>(std::chrono::steady_clock::now() - start);
    std::printf("[ figures ] watch mode: %s visible after %lld ms\n", c.what,
                static_cast<long long>(took.count()));
    EXPECT_TRUE(seen) << c.what << " not visible within 1 s";
  }
  // After the changes the metrics still agree with a fresh independent read.
  ExpectAgree(ReadTruth(writer_), FromMetrics(Scrape()));
}

}  // namespace
}  // namespace zkx
