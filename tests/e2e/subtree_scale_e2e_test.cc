// Issue 16, item 4, against the binary: 10,000 subtrees on a real (standalone) server, in two shapes.
// Asserted: the exporter's thread count does not grow with the number of subtrees: with 10,000 subtrees it
// has at most kExtraThreadsAllowed more threads than the same exporter with one subtree (the walks run on a
// fixed pool: RefreshScheduler::kWalkWorkers workers and one timer). Reported, with the machine's load: the
// time from exec until /healthz answers (target < 1 s), idle CPU over 30 s (one refresh interval, so one walk
// of every subtree; target < 2% of a core), the context switches behind it by thread, and RSS. Where the
// roots have children, the same znodes walked as one subtree are measured too, in the same run: the cost of
// the requests themselves, which the target is about going beyond. The targets are asserted only when
// ZKX_ASSERT_SCALE_TARGETS is set, since a loaded CI machine makes wall-clock figures noise; their bounds are
// the issue's.
#include <algorithm>
#include <cctype>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <unistd.h>

#include "tests/e2e/e2e_util.h"
#include "tests/support/zk_ensemble.h"

namespace zkx::test::e2e {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using Clock = std::chrono::steady_clock;

constexpr int kSubtrees = 10000;
constexpr long kExtraThreadsAllowed = 2;
// Rounds of thousands of small walks keep the in-flight window full, so the exporter may open walk sessions
// (--zookeeper.walk-sessions, default 4: at most 3 beyond the first), each a manager thread and the C
// client's IO and completion threads. They are bounded by the flag, not by the number of subtrees.
constexpr long kWalkSessionThreadsAllowed = 3 * 3;

// Two shapes of 10,000 subtrees: most roots missing (a walk of one request with an empty snapshot), and
// every root present with a few children (a walk of several requests over two levels).
struct Shape {
  const char* name;
  int existing_roots;  // /scale/s00000 .. ; the rest do not exist
  int children;        // below each existing root
};
constexpr Shape kShapes[] = {{"MostRootsMissing", 1000, 0}, {"AllRootsWithChildren", kSubtrees, 4}};

long Threads(pid_t pid) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("Threads:", 0) == 0) return std::strtol(line.c_str() + 8, nullptr, 10);
  }
  return -1;
}

// utime + stime of the process, in clock ticks.
long CpuTicks(pid_t pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string text((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
  const auto close = text.rfind(')');
  if (close == std::string::npos) return -1;
  std::istringstream in(text.substr(close + 2));
  std::string field;
  long utime = 0;
  long stime = 0;
  for (int i = 3; i <= 15 && in >> field; ++i) {
    if (i == 14) utime = std::strtol(field.c_str(), nullptr, 10);
    if (i == 15) stime = std::strtol(field.c_str(), nullptr, 10);
  }
  return utime + stime;
}

// Context switches of every thread of the process (voluntary + involuntary), by thread name. On the 2-core
// PVM guests this runs on, most of the exporter's idle CPU is the kernel switching threads (perf:
// pvm_irq_enable under __schedule): the figure that explains the idle CPU, so it is reported with it, with
// the names of the threads that switch most.
std::map<std::string, long> ContextSwitchesByThread(pid_t pid) {
  std::map<std::string, long> by_name;
  const std::string tasks = "/proc/" + std::to_string(pid) + "/task";
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(
           tasks, std::filesystem::directory_options::skip_permission_denied, ec)) {
    std::ifstream status(entry.path() / "status");
    std::string line;
    std::string name;
    while (std::getline(status, line)) {
      if (line.rfind("Name:", 0) == 0) {
        name = line.substr(line.find_first_not_of(" \t", 5));
        // Pool threads are numbered ("walk-3"): one figure per pool.
        while (!name.empty() && (std::isdigit(static_cast<unsigned char>(name.back())) != 0)) name.pop_back();
      }
      if (line.find("ctxt_switches:") != std::string::npos) {
        const long n = std::strtol(line.c_str() + line.find(':') + 1, nullptr, 10);
        by_name[name] += n;
        // Involuntary switches (preemption) say how loaded the machine is, not what the exporter does.
        if (line.rfind("nonvoluntary", 0) == 0) by_name["(preempted)"] += n;
      }
    }
  }
  return by_name;
}

long Sum(const std::map<std::string, long>& by_name) {
  long total = 0;
  for (const auto& [name, n] : by_name) {
    if (name != "(preempted)") total += n;
  }
  return total;
}

// "name 123/s, ..." for the threads that switched most between `before` and `after`.
std::string TopSwitchers(const std::map<std::string, long>& before, const std::map<std::string, long>& after,
                         double over_s) {
  std::vector<std::pair<long, std::string>> deltas;
  for (const auto& [name, n] : after) {
    const auto it = before.find(name);
    deltas.emplace_back(n - (it == before.end() ? 0 : it->second), name);
  }
  std::sort(deltas.rbegin(), deltas.rend());
  std::string out;
  for (std::size_t i = 0; i < deltas.size() && i < 5; ++i) {
    if (!out.empty()) out += ", ";
    char buf[96];
    std::snprintf(buf, sizeof buf, "%s %.0f/s", deltas[i].second.c_str(),
                  static_cast<double>(deltas[i].first) / over_s);
    out += buf;
  }
  return out;
}

std::string LoadAverage() {
  std::ifstream in("/proc/loadavg");
  std::string s;
  std::getline(in, s);
  return s;
}

// The exporter's CPU and context switches over one refresh interval (the default, 30 s), with no scrapes,
// once its walks are on their grids. Each subtree walks first at start, then on its own grid
// (RefreshScheduler::NextOnGrid: 15-45 s later), then once every interval: from 45 s after start on, any
// interval-long window holds exactly one period of every subtree's walks. Measured earlier, the window
// would miss the walks still due after it and under-report.
constexpr auto kInterval = seconds(30);
constexpr auto kOnGrid = kInterval * 3 / 2 + seconds(2);
struct Idle {
  double cpu_fraction = 0;  // of one core
  double switches_per_s = 0;
  std::string top;  // the threads that switched most
};
Idle MeasureIdle(pid_t pid, Clock::time_point started) {
  std::this_thread::sleep_until(started + kOnGrid);
  const long ticks_before = CpuTicks(pid);
  const auto switches_before = ContextSwitchesByThread(pid);
  const auto from = Clock::now();
  std::this_thread::sleep_for(kInterval);
  const long ticks_after = CpuTicks(pid);
  const auto switches_after = ContextSwitchesByThread(pid);
  const double idle_s = std::chrono::duration<double>(Clock::now() - from).count();
  Idle idle;
  idle.cpu_fraction =
      static_cast<double>(ticks_after - ticks_before) / static_cast<double>(sysconf(_SC_CLK_TCK)) / idle_s;
  idle.switches_per_s = static_cast<double>(Sum(switches_after) - Sum(switches_before)) / idle_s;
  idle.top = TopSwitchers(switches_before, switches_after, idle_s);
  return idle;
}

std::string Root(int i) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "/scale/s%05d", i);
  return buf;
}

class SubtreeScaleE2eTest : public ::testing::TestWithParam<Shape> {};

TEST_P(SubtreeScaleE2eTest, TenThousandSubtreesRunOnAFixedNumberOfThreads) {
  const Shape& shape = GetParam();
  ScopedTempDir dir;
  ZkEnsemble ensemble(ZkEnsembleOptions{});
  ASSERT_TRUE(ensemble.Start().ok());
  {
    ZkTestClient w;
    ASSERT_TRUE(w.Connect(ensemble.ConnectString()).ok());
    std::vector<std::pair<std::string, std::string>> tree = {{"/scale", ""}};
    for (int i = 0; i < shape.existing_roots; ++i) {
      tree.emplace_back(Root(i), "v");
      for (int c = 0; c < shape.children; ++c) tree.emplace_back(Root(i) + "/c" + std::to_string(c), "v");
    }
    ASSERT_TRUE(w.CreateTree(tree).ok());
  }
  std::string yaml = "subtrees:\n";
  for (int i = 0; i < kSubtrees; ++i) yaml += "  - root: " + Root(i) + "\n";
  WriteFile(dir.path() + "/scale.yml", yaml);
  WriteFile(dir.path() + "/one.yml", "subtrees:\n  - root: " + Root(0) + "\n");

  // The same exporter with one subtree: the thread count to compare with.
  long threads_one = -1;
  {
    E2eExporter one(
        dir.path(),
        {"--zookeeper.hosts=" + ensemble.ConnectString(), "--config.file=" + dir.path() + "/one.yml"},
        "one.log");
    ASSERT_TRUE(one.WaitReady(milliseconds(60000))) << one.process().Log();
    ASSERT_FALSE(one.Metrics().empty());  // a scrape: the collector workers exist too
    threads_one = Threads(one.pid());
  }

  const auto exec = Clock::now();
  E2eExporter exporter(dir.path(), {"--zookeeper.hosts=" + ensemble.ConnectString(),
                                    "--config.file=" + dir.path() + "/scale.yml"});
  ASSERT_TRUE(WaitFor([&] { return exporter.Get("/healthz", milliseconds(1000)).ok(); }, milliseconds(60000),
                      milliseconds(5)))
      << exporter.process().Log();
  const double startup_s = std::chrono::duration<double>(Clock::now() - exec).count();
  const std::string load_at_start = LoadAverage();
  ASSERT_TRUE(exporter.WaitReady(milliseconds(300000))) << exporter.process().Log();
  const double ready_s = std::chrono::duration<double>(Clock::now() - exec).count();
  // One scrape, so that the collector workers exist as in the one-subtree run (10,000 subtrees make a big
  // exposition: not a figure of this test, but reported).
  const auto scrape_from = Clock::now();
  Result<HttpResponse> scrape = exporter.Get("/metrics", milliseconds(120000));
  ASSERT_TRUE(scrape.ok()) << scrape.status().ToString();
  std::printf("one scrape: status %d, %zu bytes in %.2fs\n", scrape->status, scrape->body.size(),
              std::chrono::duration<double>(Clock::now() - scrape_from).count());
  const long threads_scale = Threads(exporter.pid());

  const Idle idle = MeasureIdle(exporter.pid(), exec);
  const ProcFigures figures = ReadProcFigures(exporter.pid());
  const long threads_idle = Threads(exporter.pid());

  std::printf(
      "%s, %d subtrees: /healthz after %.3fs (load %s), all walked after %.1fs, threads %ld (one subtree: "
      "%ld), idle CPU %.2f%% of a core over 30s (%.0f context switches/s: %s), RSS %ld kB, load now %s\n",
      shape.name, kSubtrees, startup_s, load_at_start.c_str(), ready_s, threads_idle, threads_one,
      100.0 * idle.cpu_fraction, idle.switches_per_s, idle.top.c_str(), figures.rss_kb,
      LoadAverage().c_str());
  EXPECT_LE(threads_scale, threads_one + kExtraThreadsAllowed + kWalkSessionThreadsAllowed);
  EXPECT_LE(threads_idle, threads_one + kExtraThreadsAllowed + kWalkSessionThreadsAllowed);
  exporter.process().Signal(SIGTERM);  // one exporter at a time on the machine while measuring
  (void)exporter.process().WaitExit(milliseconds(30000));

  // What the same znodes cost when walked as one subtree: the CPU of the requests themselves (about 1.5
  // switches of the C client's IO and completion threads per reply), which no grouping of subtrees removes.
  // The difference is what the 10,000 subtrees cost as subtrees.
  double same_znodes_cpu = 0;
  if (shape.children > 0) {
    WriteFile(dir.path() + "/whole.yml", "subtrees:\n  - root: /scale\n");
    const auto whole_exec = Clock::now();
    E2eExporter whole(
        dir.path(),
        {"--zookeeper.hosts=" + ensemble.ConnectString(), "--config.file=" + dir.path() + "/whole.yml"},
        "whole.log");
    ASSERT_TRUE(whole.WaitReady(milliseconds(120000))) << whole.process().Log();
    const Idle one = MeasureIdle(whole.pid(), whole_exec);
    same_znodes_cpu = one.cpu_fraction;
    std::printf(
        "%s, the same znodes as one subtree: idle CPU %.2f%% of a core (%.0f context switches/s: %s); "
        "10,000 subtrees cost %.2fx that, %+.2f%% of a core; load now %s\n",
        shape.name, 100.0 * one.cpu_fraction, one.switches_per_s, one.top.c_str(),
        idle.cpu_fraction / std::max(one.cpu_fraction, 1e-6), 100.0 * (idle.cpu_fraction - one.cpu_fraction),
        LoadAverage().c_str());
  }

  if (std::getenv("ZKX_ASSERT_SCALE_TARGETS") != nullptr) {
    EXPECT_LT(startup_s, 1.0);
    // The bound, on what the subtrees add beyond reading their znodes.
    EXPECT_LT(idle.cpu_fraction - same_znodes_cpu, 0.02);
  }
}

INSTANTIATE_TEST_SUITE_P(Shapes, SubtreeScaleE2eTest, ::testing::ValuesIn(kShapes),
                         [](const ::testing::TestParamInfo<Shape>& param) {
                           return std::string(param.param.name);
                         });

}  // namespace
}  // namespace zkx::test::e2e
