// value_rules_bench: what value rules cost. On a standalone ZooKeeper server holding a Kafka-shaped tree
// (--topics x --partitions, Kafka's JSON), walks /brokers with the Kafka preset's rules against without, in
// the same run: walk rate, and the requests the server counted (zk_packets_received from mntr) per pass. A
// third pass with the rules reuses the decoded data (nothing changed): the steady-state cost of a poll
// subtree.
//
//   cmake --build build/ci --target value_rules_bench && build/ci/tests/bench/value_rules_bench
//   options: --topics 200 --partitions 20 --repeats 3
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "collectors/value_tracker.h"
#include "exporter/config.h"
#include "tests/bench/bench_flags.h"
#include "tests/support/wait_and_ports.h"
#include "tests/support/zk_ensemble.h"
#include "tests/support/zk_test_client.h"
#include "zk/session.h"
#include "zk/subtree_walk.h"

namespace {

using Json = nlohmann::json;
using zkx::collectors::ValueTracker;

long long PacketsReceived(const zkx::test::ZkEnsemble& ensemble) {
  zkx::Result<std::string> mntr = ensemble.FourLetterWord(0, "mntr");
  if (!mntr.ok()) return -1;
  const std::size_t at = mntr->find("zk_packets_received");
  if (at == std::string::npos) return -1;
  return std::atoll(mntr->c_str() + at + std::strlen("zk_packets_received"));
}

struct PassResult {
  double seconds = 0;
  std::size_t znodes = 0;
  long long requests = 0;
  uint64_t reads = 0;
  std::size_t series = 0;
};

}  // namespace

int main(int argc, char** argv) {
  int topics = 200;
  int partitions = 20;
  int repeats = 3;
  zkx::bench::BenchFlags flags(argc, argv);
  flags.Int("--topics", topics, 1, 100'000);
  flags.Int("--partitions", partitions, 1, 10'000);
  flags.Int("--repeats", repeats, 1, 1000);
  if (!flags.Finish("usage: value_rules_bench [--topics 200] [--partitions 20] [--repeats 3]")) return 2;
  zkx::test::ZkEnsemble ensemble{zkx::test::ZkEnsembleOptions{.servers = 1}};
  if (zkx::Status s = ensemble.Start(); !s.ok()) {
    std::fprintf(stderr, "ensemble: %s\n", s.ToString().c_str());
    return 1;
  }
  zkx::test::ZkTestClient writer;
  if (!writer.Connect(ensemble.ConnectString()).ok()) return 1;
  std::vector<std::pair<std::string, std::string>> tree = {{"/brokers", ""}, {"/brokers/topics", ""}};
  for (int t = 0; t < topics; ++t) {
    const std::string topic = "/brokers/topics/t" + std::to_string(t);
    Json assigned = Json::object();
    for (int p = 0; p < partitions; ++p) assigned[std::to_string(p)] = {1, 2, 3};
    tree.emplace_back(topic, Json{{"version", 2}, {"partitions", assigned}}.dump());
    tree.emplace_back(topic + "/partitions", "");
    for (int p = 0; p < partitions; ++p) {
      tree.emplace_back(topic + "/partitions/" + std::to_string(p), "");
      tree.emplace_back(topic + "/partitions/" + std::to_string(p) + "/state",
                        Json{{"version", 1},
                             {"leader", p % 3 + 1},
                             {"leader_epoch", 1},
                             {"controller_epoch", 1},
                             {"isr", p % 7 == 0 ? Json{1} : Json{1, 2, 3}}}
                            .dump());
    }
  }
  if (zkx::Status s = writer.CreateTree(tree); !s.ok()) {
    std::fprintf(stderr, "tree: %s\n", s.ToString().c_str());
    return 1;
  }
  zkx::Result<zkx::exporter::FileConfig> preset =
      zkx::exporter::LoadConfigFile(std::string(ZKX_SOURCE_DIR) + "/deploy/examples/kafka.yml");
  if (!preset.ok()) return 1;
  std::shared_ptr<const zkx::collectors::ValueRuleSet> rules;
  zkx::collectors::SubtreeSpec spec;
  for (const auto& s : preset->subtrees) {
    if (s.root == "/brokers") spec = s;
  }
  rules = spec.value_rules;

  zkx::zk::SessionOptions o;
  o.hosts = ensemble.ConnectString();
  auto session = std::move(zkx::zk::Session::Create(o)).value();
  session->Start();
  if (!zkx::test::WaitFor([&] { return session->Connected(); }, std::chrono::seconds(30))) return 1;

  auto pass = [&](ValueTracker* tracker) {
    PassResult r;
    const long long before = PacketsReceived(ensemble);
    const auto start = std::chrono::steady_clock::now();
    const zkx::zk::WalkSummary summary =
        zkx::zk::WalkSubtree(*session, "/brokers", spec.limits, [&](const zkx::zk::WalkedZnode& z) {
          if (tracker != nullptr) tracker->Add(z.path, *z.stat);
        });
    if (tracker != nullptr) {
      auto snap = tracker->Finish(*session);
      r.reads = snap->data_reads_total;
      r.series = snap->series.size();
    }
    r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    r.znodes = summary.visited;
    r.requests = PacketsReceived(ensemble) - before;  // includes the odd session ping
    return r;
  };
  std::printf("tree: %zu znodes under /brokers (%d topics x %d partitions)\n", tree.size(), topics,
              partitions);
  std::printf("%-34s %10s %12s %10s %12s %10s\n", "pass", "seconds", "znodes/s", "requests", "data reads",
              "series");
  for (int rep = 0; rep < repeats; ++rep) {
    const PassResult without = pass(nullptr);
    ValueTracker tracker(rules, spec.max_znode_series, spec.limits.max_in_flight, spec.limits.timeout);
    const PassResult cold = pass(&tracker);
    const PassResult warm = pass(&tracker);
    for (const auto& [name, r] :
         {std::pair{"without rules", without}, std::pair{"with rules (first pass)", cold},
          std::pair{"with rules (unchanged data)", warm}}) {
      std::printf("%-34s %10.3f %12.0f %10lld %12llu %10zu\n", name, r.seconds,
                  static_cast<double>(r.znodes) / r.seconds, r.requests,
                  static_cast<unsigned long long>(r.reads), r.series);
    }
  }
  session->Stop();
  return 0;
}
