// walk_bench: on-demand benchmark (not a test). Builds a tree on a local 3-node ensemble and prints, in one
// run, the exporter's walk rate against baselines measured in the same run (the sequential get + get_children
// walk, zkCli.sh ls -R), then /metrics latency and size and the exporter's RSS with per-znode series.
//
//   build/dev/tests/bench/walk_bench [--znodes 35000] [--series 2000] [--in-flight 2048]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <optional>
#include <string>
#include <vector>

#include "tests/bench/baseline_walks.h"
#include "tests/bench/bench_flags.h"
#include "tests/support/child_process.h"
#include "tests/support/exposition.h"
#include "tests/support/http_get.h"
#include "tests/support/sample_trees.h"
#include "tests/support/wait_and_ports.h"
#include "tests/support/zk_ensemble.h"
#include "tests/support/zk_test_client.h"
#include "zk/session.h"
#include "zk/subtree_walk.h"

namespace zkx {
namespace {

using std::chrono::milliseconds;

struct Options {
  std::size_t znodes = 35000;
  std::size_t series = 2000;
  std::size_t in_flight = zk::WalkLimits{}.max_in_flight;  // the ceiling of the adaptive window
};

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

using test::SampleValue;

int Run(const Options& opt) {
  std::printf("walk_bench: %zu-znode synthetic tree on a local 3-node ensemble (loopback, 2-core machine)\n",
              opt.znodes);
  test::ZkEnsemble ensemble(test::ZkEnsembleOptions{.servers = 3});
  if (Status s = ensemble.Start(); !s.ok()) {
    std::fprintf(stderr, "ensemble: %s\n", s.ToString().c_str());
    return 1;
  }
  test::ZkTestClient writer;
  if (!writer.Connect(ensemble.ConnectString()).ok()) return 1;
  const test::SampleTree tree = test::SyntheticTree(opt.znodes, 10, 32, "/bench");
  const auto c0 = std::chrono::steady_clock::now();
  if (Status s = test::CreateSampleTree(writer, tree); !s.ok()) {
    std::fprintf(stderr, "create: %s\n", s.ToString().c_str());
    return 1;
  }
  std::printf("created %zu znodes in %.1fs\n\n", tree.size(),
              std::chrono::duration<double>(std::chrono::steady_clock::now() - c0).count());

  // Baselines, measured now, on this machine, against this ensemble.
  Result<bench::BaselineResult> sequential =
      bench::SequentialGetChildrenWalk(ensemble.ConnectString(), "/bench");
  Result<bench::BaselineResult> zkcli = bench::ZkCliLsR(ensemble.ConnectString(), "/bench");
  if (!sequential.ok() || !zkcli.ok()) {
    std::fprintf(stderr, "baseline failed: %s %s\n", sequential.status().ToString().c_str(),
                 zkcli.status().ToString().c_str());
    return 1;
  }

  // The exporter's walk: median of 3.
  zk::SessionOptions so;
  so.hosts = ensemble.ConnectString();
  auto session = std::move(zk::Session::Create(so)).value();
  session->Start();
  if (!test::WaitFor([&] { return session->Connected(); }, milliseconds(30000))) return 1;
  zk::WalkLimits limits;
  limits.max_in_flight = opt.in_flight;
  limits.max_znodes = opt.znodes * 2;
  std::vector<double> times;
  std::size_t visited = 0;
  for (int i = 0; i < 3; ++i) {
    zk::WalkSummary s = zk::WalkSubtree(*session, "/bench", limits, [](const zk::WalkedZnode&) {});
    if (!s.status.ok()) {
      std::fprintf(stderr, "walk: %s\n", s.status.ToString().c_str());
      return 1;
    }
    visited = s.visited;
    times.push_back(std::chrono::duration<double>(s.duration).count());
  }
  const double ours = Median(times);
  session->Stop();

  const double seq_rate = static_cast<double>(sequential->nodes) / sequential->seconds;
  std::printf("%-52s %8s %10s %9s %14s\n", "walk", "znodes", "seconds", "znodes/s", "vs sequential");
  auto row = [&](const char* name, std::size_t nodes, double seconds) {
    const double rate = static_cast<double>(nodes) / seconds;
    std::printf("%-52s %8zu %10.2f %9.0f %13.1fx\n", name, nodes, seconds, rate, rate / seq_rate);
  };
  row("sequential get + get_children, C client sync", sequential->nodes, sequential->seconds);
  row("zkCli.sh ls -R (JVM start included)", zkcli->nodes, zkcli->seconds);
  char label[96];
  std::snprintf(label, sizeof label, "exporter walk: get_children2, window up to %zu (median/3)",
                opt.in_flight);
  row(label, visited, ours);
  std::printf("exporter walk vs zkCli.sh ls -R: %.1fx\n\n",
              (static_cast<double>(visited) / ours) / (static_cast<double>(zkcli->nodes) / zkcli->seconds));

  // /metrics with per-znode series: the exporter binary walking the tree, scraped 20 times.
  char dir_tmpl[] = "/tmp/zkx-bench-XXXXXX";
  const std::string dir = mkdtemp(dir_tmpl);
  {
    std::ofstream cfg(dir + "/config.yml");
    cfg << "subtrees:\n  - root: /bench\n    refresh_interval: 1m\n    max_znodes: " << opt.znodes * 2
        << "\n    max_znode_series: " << opt.series << "\n    znode_patterns: [\"/bench/**\"]\n";
  }
  const uint16_t port = *test::FreeLoopbackPort();
  auto exporter = test::ChildProcess::Start(
      {ZKX_EXPORTER_BIN, "--zookeeper.hosts=" + ensemble.ConnectString(),
       "--config.file=" + dir + "/config.yml", "--web.listen-address=127.0.0.1:" + std::to_string(port)},
      dir + "/exporter.log");
  if (!exporter.ok() || !test::WaitFor(
                            [&] {
                              auto r = test::HttpGet("127.0.0.1", port, "/readyz");
                              return r.ok() && r->status == 200;
                            },
                            milliseconds(120000))) {
    std::fprintf(stderr, "exporter did not become ready\n");
    return 1;
  }
  std::vector<double> scrape;
  std::size_t bytes = 0;
  std::size_t gz_bytes = 0;
  std::string body;
  for (int i = 0; i < 20; ++i) {
    const auto t0 = std::chrono::steady_clock::now();
    auto r = test::HttpGet("127.0.0.1", port, "/metrics");
    scrape.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
    if (!r.ok()) return 1;
    bytes = r->body.size();
    body = std::move(r->body);
  }
  auto gz = test::HttpGet("127.0.0.1", port, "/metrics", {{"Accept-Encoding", "gzip"}});
  if (gz.ok()) gz_bytes = gz->body.size();
  const double series = static_cast<double>(std::count(body.begin(), body.end(), '\n')) -
                        static_cast<double>(std::count(body.begin(), body.end(), '#'));
  std::printf(
      "/metrics with %zu tracked znodes, %.0f series (%zu per-znode cap): median %.1f ms, max %.1f ms "
      "over 20 scrapes; %zu bytes (%zu gzip)\n",
      visited, series, opt.series, Median(scrape) * 1000,
      *std::max_element(scrape.begin(), scrape.end()) * 1000, bytes, gz_bytes);
  std::printf("exporter RSS %.1f MB; its walk of the tree: %.2fs\n",
              SampleValue(body, "process_resident_memory_bytes").value_or(0) / 1e6,
              SampleValue(body, "zookeeper_subtree_refresh_duration_seconds{root=\"/bench\"}").value_or(0));
  return 0;
}

}  // namespace
}  // namespace zkx

int main(int argc, char** argv) {
  zkx::Options opt;
  zkx::bench::BenchFlags flags(argc, argv);
  flags.Count("--znodes", opt.znodes, 100, 10'000'000);
  flags.Count("--series", opt.series, 1, 10'000'000);
  flags.Count("--in-flight", opt.in_flight, 1, 1'000'000);
  if (!flags.Finish("usage: walk_bench [--znodes N] [--series N] [--in-flight N]")) return 2;
  return zkx::Run(opt);
}
