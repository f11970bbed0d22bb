// multi_target_bench: on-demand benchmark (not a test) of the multi-target endpoint at scale (issue 12).
// Starts --ensembles standalone ZooKeeper servers, makes --targets chroots spread over them (each with a
// small tree), runs the zookeeper_exporter binary with one poll module, and prints:
//  - threads, RSS and sessions of the exporter before any target, at 10 targets and at all targets
//    (memory per target = RSS growth / targets);
//  - first-scrape latency of a new target, and /probe latency p50 / p99 / max over --rounds rounds of
//    scraping every target (known targets: snapshots only);
//  - idle CPU of the exporter over --idle-seconds with every target live and no scrapes (background walks
//    only, every --refresh seconds), as % of one core.
// No thresholds are asserted.
//
//   build/ci/tests/bench/multi_target_bench [--targets 100] [--ensembles 3] [--rounds 20] [--idle-seconds 60]
//                                            [--refresh 30s] [--znodes 20]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <signal.h>
#include <unistd.h>

#include "tests/bench/bench_flags.h"
#include "tests/support/child_process.h"
#include "tests/support/http_get.h"
#include "tests/support/wait_and_ports.h"
#include "tests/support/zk_ensemble.h"
#include "tests/support/zk_test_client.h"

namespace zkx {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

struct Figures {
  long threads = -1;
  long rss_kb = -1;
  double cpu_seconds = -1;  // utime + stime
};

Figures ReadFigures(pid_t pid) {
  Figures f;
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmRSS:", 0) == 0) f.rss_kb = std::strtol(line.c_str() + 6, nullptr, 10);
    if (line.rfind("Threads:", 0) == 0) f.threads = std::strtol(line.c_str() + 8, nullptr, 10);
  }
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string all((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
  const auto close = all.rfind(')');
  if (close != std::string::npos) {
    std::istringstream rest(all.substr(close + 2));
    std::string field;
    std::vector<std::string> fields;
    while (rest >> field) fields.push_back(field);
    // After ")": state(0) ... utime is field 14 of the whole line, i.e. index 11 here; stime index 12.
    if (fields.size() > 12) {
      const double ticks = static_cast<double>(sysconf(_SC_CLK_TCK));
      f.cpu_seconds =
          (std::strtod(fields[11].c_str(), nullptr) + std::strtod(fields[12].c_str(), nullptr)) / ticks;
    }
  }
  return f;
}

std::string UrlEncode(const std::string& s) {
  std::string out;
  char buf[4];
  for (char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if (std::isalnum(c) != 0 || c == '.' || c == '-' || c == '_') {
      out += static_cast<char>(c);
    } else {
      std::snprintf(buf, sizeof buf, "%%%02X", c);
      out += buf;
    }
  }
  return out;
}

std::optional<double> Sample(const std::string& body, const std::string& series) {
  std::istringstream in(body);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(series + " ", 0) == 0) return std::strtod(line.c_str() + series.size() + 1, nullptr);
  }
  return std::nullopt;
}

double Percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const auto i = static_cast<std::size_t>(p * static_cast<double>(v.size() - 1) + 0.5);
  return v[std::min(i, v.size() - 1)];
}

int Run(int argc, char** argv) {
  int targets = 100;
  int ensembles = 3;
  int rounds = 20;
  int idle_seconds = 60;
  int znodes = 20;
  std::string refresh = "30s";
  bench::BenchFlags flags(argc, argv);
  flags.Int("--targets", targets, 1, 10'000);
  flags.Int("--ensembles", ensembles, 1, 10);
  flags.Int("--rounds", rounds, 1, 10'000);
  flags.Int("--idle-seconds", idle_seconds, 1, 3600);
  flags.Text("--refresh", refresh);
  flags.Int("--znodes", znodes, 1, 1'000'000);
  if (!flags.Finish("usage: multi_target_bench [--targets 100] [--ensembles 3] [--rounds 20] "
                    "[--idle-seconds 60] [--refresh 30s] [--znodes 20]")) {
    return 2;
  }
  char tmpl[] = "/tmp/zkx-multi-bench-XXXXXX";
  const std::string dir = mkdtemp(tmpl);

  std::vector<std::unique_ptr<test::ZkEnsemble>> zks;
  for (int e = 0; e < ensembles; ++e) {
    zks.push_back(std::make_unique<test::ZkEnsemble>());
    if (Status s = zks.back()->Start(); !s.ok()) {
      std::fprintf(stderr, "ensemble: %s\n", s.message().c_str());
      return 1;
    }
  }
  std::vector<std::string> target_list;
  {
    std::vector<std::unique_ptr<test::ZkTestClient>> clients;
    for (auto& zk : zks) {
      clients.push_back(std::make_unique<test::ZkTestClient>());
      if (!clients.back()->Connect(zk->ConnectString()).ok()) return 1;
    }
    for (int t = 0; t < targets; ++t) {
      const int e = t % ensembles;
      const std::string chroot = "/t" + std::to_string(t);
      std::vector<std::pair<std::string, std::string>> tree = {{chroot, ""}};
      for (int n = 0; n < znodes - 1; ++n) tree.emplace_back(chroot + "/n" + std::to_string(n), "data");
      if (Status s = clients[static_cast<std::size_t>(e)]->CreateTree(tree); !s.ok()) {
        std::fprintf(stderr, "tree: %s\n", s.message().c_str());
        return 1;
      }
      target_list.push_back(zks[static_cast<std::size_t>(e)]->ConnectString() + chroot);
    }
  }

  {
    std::ofstream cfg(dir + "/exporter.yml");
    cfg << "modules:\n  default:\n    defaults: {refresh_mode: poll, refresh_interval: " << refresh
        << "}\n    subtrees: [{root: /}]\n    collectors: [tree, session, server]\n"
        << "    server: {admin_port: 0, timeout: 1s}\n"
        << "multi_target:\n  max_targets: " << targets + 10 << "\n  allow:\n    - hosts: [\"127.0.0.1\"]\n";
  }
  const uint16_t port = *test::FreeLoopbackPort();
  auto exporter = test::ChildProcess::Start(
      {ZKX_EXPORTER_BIN, "--web.listen-address=127.0.0.1:" + std::to_string(port),
       "--config.file=" + dir + "/exporter.yml", "--zookeeper.hosts=" + zks[0]->ConnectString(),
       "--no-collector.tree", "--log.level=warn"},
      dir + "/exporter.log");
  if (!exporter.ok()) return 1;
  const pid_t pid = exporter->pid();
  auto get = [&](const std::string& path) {
    return test::HttpGet("127.0.0.1", port, path, {}, milliseconds(15000));
  };
  test::WaitFor([&] { return get("/healthz").ok(); }, milliseconds(30000));
  std::this_thread::sleep_for(std::chrono::seconds(3));
  const Figures base = ReadFigures(pid);

  std::vector<double> first_ms;
  Figures at10;
  std::size_t walked = 0;
  for (int t = 0; t < targets; ++t) {
    const auto start = Clock::now();
    auto r = get("/probe?target=" + UrlEncode(target_list[static_cast<std::size_t>(t)]));
    first_ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - start).count());
    if (r.ok() && r->status == 200 && Sample(r->body, "zookeeper_exporter_target_walked") == 1.0) ++walked;
    if (t + 1 == std::min(10, targets)) {
      std::this_thread::sleep_for(std::chrono::seconds(2));
      at10 = ReadFigures(pid);
    }
  }
  std::this_thread::sleep_for(std::chrono::seconds(5));
  const Figures full = ReadFigures(pid);
  auto metrics = get("/metrics");
  const double sessions =
      metrics.ok() ? Sample(metrics->body, "zookeeper_exporter_target_sessions").value_or(-1) : -1;

  std::vector<double> all_ms;
  std::map<int, std::vector<double>> per_target;
  int failures = 0;
  for (int round = 0; round < rounds; ++round) {
    for (int t = 0; t < targets; ++t) {
      const auto start = Clock::now();
      auto r = get("/probe?target=" + UrlEncode(target_list[static_cast<std::size_t>(t)]));
      const double ms = std::chrono::duration<double, std::milli>(Clock::now() - start).count();
      if (!r.ok() || r->status != 200) ++failures;
      all_ms.push_back(ms);
      per_target[t].push_back(ms);
    }
  }
  std::vector<double> per_target_p99;
  for (auto& [t, v] : per_target) per_target_p99.push_back(Percentile(v, 0.99));

  const Figures idle_start = ReadFigures(pid);
  const auto idle_t0 = Clock::now();
  std::this_thread::sleep_for(std::chrono::seconds(idle_seconds));
  const Figures idle_end = ReadFigures(pid);
  const double idle_wall = std::chrono::duration<double>(Clock::now() - idle_t0).count();

  std::printf(
      "multi_target_bench: %d targets (chroots of %d standalone ensembles, %d znodes each), poll every %s\n",
      targets, ensembles, znodes, refresh.c_str());
  std::printf("  threads: %ld before any target, %ld at %d targets, %ld at %d targets\n", base.threads,
              at10.threads, std::min(10, targets), full.threads, targets);
  std::printf("  sessions for targets: %.0f\n", sessions);
  std::printf("  RSS: %ld KiB before, %ld KiB at %d targets: %.1f KiB per target\n", base.rss_kb, full.rss_kb,
              targets, static_cast<double>(full.rss_kb - base.rss_kb) / targets);
  std::printf(
      "  first scrape of a new target: p50 %.1f ms, p99 %.1f ms, max %.1f ms; walked on first scrape: "
      "%zu/%d\n",
      Percentile(first_ms, 0.5), Percentile(first_ms, 0.99), Percentile(first_ms, 1.0), walked, targets);
  std::printf(
      "  /probe of known targets (%d rounds): p50 %.2f ms, p99 %.2f ms, max %.2f ms; worst per-target p99 "
      "%.2f ms; failures %d\n",
      rounds, Percentile(all_ms, 0.5), Percentile(all_ms, 0.99), Percentile(all_ms, 1.0),
      Percentile(per_target_p99, 1.0), failures);
  std::printf(
      "  idle CPU (no scrapes, background walks only) over %.0f s: %.2f%% of one core; threads after it: "
      "%ld\n",
      idle_wall, 100.0 * (idle_end.cpu_seconds - idle_start.cpu_seconds) / idle_wall, idle_end.threads);
  std::fflush(stdout);
  exporter->Signal(SIGTERM);
  exporter->WaitExit(milliseconds(20000));
  if (std::getenv("ZKX_KEEP_TEST_DIRS") == nullptr) std::system(("rm -rf " + dir).c_str());
  return 0;
}

}  // namespace
}  // namespace zkx

int main(int argc, char** argv) {
  return zkx::Run(argc, argv);
}
