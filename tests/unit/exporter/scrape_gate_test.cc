#include "exporter/scrape_gate.h"

#include <atomic>
#include <chrono>
#include <optional>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

namespace zkx::exporter {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

TEST(ScrapeGateTest, AtMostLimitRunAndLateOnesTimeOut) {
  ScrapeGate gate(2);
  auto a = gate.Acquire(Clock::now() + milliseconds(100));
  auto b = gate.Acquire(Clock::now() + milliseconds(100));
  ASSERT_TRUE(a);
  ASSERT_TRUE(b);
  EXPECT_EQ(gate.Running(), 2U);
  auto c = gate.Acquire(Clock::now() + milliseconds(20));
  EXPECT_FALSE(c);  // timed out: the caller answers 503
  EXPECT_EQ(gate.Running(), 2U);
}

TEST(ScrapeGateTest, ReleasingASlotLetsAWaiterIn) {
  ScrapeGate gate(1);
  std::optional<ScrapeGate::Slot> held(gate.Acquire(Clock::now() + milliseconds(100)));
  ASSERT_TRUE(*held);
  std::atomic<bool> got{false};
  std::thread waiter([&] {
    auto s = gate.Acquire(Clock::now() + std::chrono::seconds(30));
    got = static_cast<bool>(s);
  });
  held.reset();  // frees the only slot
  waiter.join();
  EXPECT_TRUE(got);
  EXPECT_EQ(gate.Running(), 0U);
}

TEST(ScrapeGateTest, NeverMoreThanLimitUnderContention) {
  constexpr std::size_t kLimit = 3;
  ScrapeGate gate(kLimit);
  std::atomic<std::size_t> inside{0};
  std::atomic<std::size_t> most{0};
  std::atomic<int> served{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 16; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 50; ++i) {
        auto s = gate.Acquire(Clock::now() + std::chrono::seconds(30));
        if (!s) continue;
        const std::size_t now = ++inside;
        std::size_t seen = most.load();
        while (now > seen && !most.compare_exchange_weak(seen, now)) {
        }
        std::this_thread::yield();
        --inside;
        ++served;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(served.load(), 16 * 50);
  EXPECT_LE(most.load(), kLimit);
  EXPECT_GE(most.load(), 1U);
}

TEST(ScrapeGateTest, ZeroMeansNoLimit) {
  ScrapeGate gate(0);
  std::vector<ScrapeGate::Slot> slots;
  for (int i = 0; i < 100; ++i) {
    slots.push_back(gate.Acquire(Clock::now()));
    EXPECT_TRUE(slots.back());
  }
  EXPECT_EQ(gate.Running(), 100U);
}

}  // namespace
}  // namespace zkx::exporter
