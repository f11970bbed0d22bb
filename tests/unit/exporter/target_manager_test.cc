// TargetManager without a ZooKeeper server: sessions dial a closed loopback port. Checks sharing of one
// session by the chroots of one ensemble, the cap on live targets, refusals, and the idle drop off the scrape
// path.
#include "exporter/target_manager.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "tests/unit/server/fake_server.h"

namespace zkx::exporter {
namespace {

using std::chrono::milliseconds;

server::ConnectString Target(const std::string& text) {
  Result<server::ConnectString> t = server::ParseConnectString(text);
  EXPECT_TRUE(t.ok());
  return t.ok() ? *t : server::ConnectString{};
}

MultiTargetConfig Config(std::size_t max_targets, milliseconds idle) {
  MultiTargetConfig c = DefaultMultiTargetConfig({});
  c.max_targets = max_targets;
  c.idle_timeout = idle;
  c.has_allow_list = true;
  AllowRule rule;
  rule.host_globs = {"127.0.0.1"};
  c.allow.push_back(rule);
  return c;
}

bool WaitFor(const std::function<bool()>& cond, milliseconds timeout) {
  const auto until = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < until) {
    if (cond()) return true;
    std::this_thread::sleep_for(milliseconds(10));
  }
  return cond();
}

TEST(TargetManagerTest, ChrootsShareASessionAndTheCapRefusesNewTargets) {
  TargetManager manager(Config(3, std::chrono::hours(1)), "127.0.0.1:2181");
  auto a = manager.Acquire(Target("127.0.0.1:1/a"), "");
  ASSERT_TRUE(a.ok()) << a.status().message();
  EXPECT_TRUE(a->created);
  auto b = manager.Acquire(Target("127.0.0.1:1/b"), "default");
  ASSERT_TRUE(b.ok());
  auto again = manager.Acquire(Target("127.0.0.1:1/a"), "");
  ASSERT_TRUE(again.ok());
  EXPECT_FALSE(again->created);
  EXPECT_EQ(again->target.get(), a->target.get());
  EXPECT_EQ(manager.LiveTargets(), 2u);
  EXPECT_EQ(manager.LiveSessions(), 1u);  // one ensemble, one module: one session for both chroots
  ASSERT_TRUE(manager.Acquire(Target("127.0.0.1:2"), "").ok());
  EXPECT_EQ(manager.LiveSessions(), 2u);

  auto refused = manager.Acquire(Target("127.0.0.1:3"), "");
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), StatusCode::kResourceExhausted);
  EXPECT_EQ(manager.Acquire(Target("127.0.0.1:1/a"), "nope").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(manager.Acquire(Target("10.0.0.1:2181"), "").status().code(), StatusCode::kPermissionDenied);

  // Not walked (nothing listens), and a scrape answers at once with what there is.
  EXPECT_FALSE(a->target->Connected());
  EXPECT_FALSE(a->target->Walked());
  const auto families = a->target->Scrape(std::chrono::steady_clock::now() + milliseconds(500));
  EXPECT_FALSE(families.empty());

  std::vector<prometheus::MetricFamily> own;
  ASSERT_TRUE(manager.Collect(std::chrono::steady_clock::now(), &own).ok());
  bool saw_refused = false;
  for (const auto& f : own) {
    if (f.name == "zookeeper_exporter_targets_refused_total") {
      saw_refused = true;
      EXPECT_EQ(f.metric.at(0).counter.value, 1);
    }
  }
  EXPECT_TRUE(saw_refused);
}

TEST(TargetManagerTest, IdleTargetsAreDroppedButNotWhileInUse) {
  // Idle after 2 s: the three Acquires below must all land before the first is dropped, and under TSan one
  // Acquire (a new session) took 240 ms, more than the 200 ms this test once allowed.
  TargetManager manager(Config(10, milliseconds(2000)), "", milliseconds(50));
  auto held = manager.Acquire(Target("127.0.0.1:1/held"), "");
  ASSERT_TRUE(held.ok());
  ASSERT_TRUE(manager.Acquire(Target("127.0.0.1:1/idle"), "").ok());
  ASSERT_TRUE(manager.Acquire(Target("127.0.0.1:2"), "").ok());
  EXPECT_EQ(manager.LiveTargets(), 3u);
  // The two unused targets go; the one a scrape still holds stays, and so does its session.
  // A dropped target's session closes after it leaves the map (off the lock, which can take a while): wait.
  ASSERT_TRUE(WaitFor([&] { return manager.LiveTargets() == 1 && manager.LiveSessions() == 1; },
                      milliseconds(10000)));
  EXPECT_EQ(manager.LiveTargets(), 1u);
  EXPECT_EQ(manager.LiveSessions(), 1u);
  held->target.reset();
  ASSERT_TRUE(WaitFor([&] { return manager.LiveTargets() == 0 && manager.LiveSessions() == 0; },
                      milliseconds(10000)));
  // A dropped target comes back as a new one.
  auto back = manager.Acquire(Target("127.0.0.1:1/idle"), "");
  ASSERT_TRUE(back.ok());
  EXPECT_TRUE(back->created);
}

// "name xN, ..." for the process's threads: which pool holds them, when a bound fails.
std::string ThreadNames() {
  std::map<std::string, int> count;
  for (const auto& entry : std::filesystem::directory_iterator("/proc/self/task")) {
    std::ifstream comm(entry.path() / "comm");
    std::string name;
    std::getline(comm, name);
    ++count[name];
  }
  std::string out;
  for (const auto& [name, n] : count) out += (out.empty() ? "" : ", ") + name + " x" + std::to_string(n);
  return out;
}

long ProcessThreads() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("Threads:", 0) == 0) return std::strtol(line.c_str() + 8, nullptr, 10);
  }
  return -1;
}

// Issue 12: ~12 threads per target before the targets shared their pools (1,032 -> 2,241 at 100 targets).
// The shared pools are elastic: while tasks wait they add threads up to their caps (how many depends on
// how fast this machine runs them: a sanitizer build queues more), and the added threads retire after a
// few idle seconds. So the bound is checked on the settled count, which per-target threads would never
// reach, plus a hard ceiling on the peak from the pools' caps.
TEST(TargetManagerTest, ThreadsDoNotGrowWithTargets) {
  TargetManager manager(Config(200, std::chrono::hours(1)), "");
  const uint16_t closed = test::ClosedPort();
  long peak = 0;
  auto scrape = [&](int i) {
    auto t = manager.Acquire(Target("127.0.0.1:" + std::to_string(closed) + "/t" + std::to_string(i)), "");
    ASSERT_TRUE(t.ok()) << t.status().message();
    EXPECT_FALSE(t->target->Scrape(std::chrono::steady_clock::now() + milliseconds(2000)).empty());
    peak = std::max(peak, ProcessThreads());
  };
  scrape(0);
  // Let the first target's start-up threads retire, so `one` is the idle count for one target.
  std::this_thread::sleep_for(milliseconds(6000));
  const long one = ProcessThreads();
  for (int i = 1; i < 60; ++i) scrape(i);
  EXPECT_EQ(manager.LiveTargets(), 60u);
  EXPECT_EQ(manager.LiveSessions(), 1u);
  // Caps of the shared walk, collector and probe pools (exporter/target_manager.cc): 64 + 128 + 128.
  EXPECT_LE(peak, one + 320) << "threads at 1 target: " << one;
  // Settled: back to the pools' kept threads, whatever the number of targets (before they were shared,
  // 59 more targets were ~700 more threads for good).
  long now = 0;
  EXPECT_TRUE(WaitFor(
      [&] {
        now = ProcessThreads();
        return now <= one + 8;
      },
      milliseconds(30000)))
      << "threads at 1 target: " << one << ", at 60 targets after settling: " << now << ", peak " << peak
      << "; threads now: " << ThreadNames();
}

// Isolation on the shared threads: 40 targets whose server never answers hold their probes until the
// module's timeout, and a scrape of another target meanwhile still answers at once (a fixed shared pool
// would queue it behind them).
TEST(TargetManagerTest, ASlowTargetNeverHoldsUpAnotherOnTheSharedThreads) {
  test::FakeServer hung("", /*hang=*/true);
  MultiTargetConfig config = Config(200, std::chrono::hours(1));
  for (auto& [name, module] : config.modules) {
    module.server_admin_port = 0;  // four-letter words on the client port: the hung server
    module.server_timeout = milliseconds(4000);
  }
  TargetManager manager(config, "");
  constexpr int kSlow = 40;
  std::atomic<int> slow_started{0};
  std::atomic<int> slow_done{0};
  std::vector<std::thread> slow;
  for (int i = 0; i < kSlow; ++i) {
    slow.emplace_back([&, i] {
      auto t =
          manager.Acquire(Target("127.0.0.1:" + std::to_string(hung.port()) + "/s" + std::to_string(i)), "");
      if (!t.ok()) return;
      ++slow_started;
      (void)t->target->Scrape(std::chrono::steady_clock::now() + milliseconds(4000));
      ++slow_done;
    });
  }
  ASSERT_TRUE(WaitFor([&] { return slow_started.load() == kSlow; }, milliseconds(10000)));
  std::this_thread::sleep_for(milliseconds(300));  // let their probes take threads
  auto fast = manager.Acquire(Target("127.0.0.1:" + std::to_string(test::ClosedPort()) + "/fast"), "");
  ASSERT_TRUE(fast.ok());
  const auto families = fast->target->Scrape(std::chrono::steady_clock::now() + milliseconds(30000));
  EXPECT_EQ(slow_done.load(), 0) << "the fast target's scrape waited for the slow targets' probes";
  EXPECT_FALSE(families.empty());
  for (auto& t : slow) t.join();
  EXPECT_EQ(slow_done.load(), kSlow);
}

}  // namespace
}  // namespace zkx::exporter
