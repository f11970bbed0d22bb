// Unit tests for LoginGuard (issue 16, item 6): the per-address backoff after repeated failures, its bounded
// table, and the cap on concurrent bcrypt verifications.
#include "exporter/login_guard.h"

#include <atomic>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

namespace zkx::exporter {
namespace {

using std::chrono::milliseconds;

TEST(LoginGuardTest, BacksOffAfterFreeFailuresAndDoubles) {
  LoginGuardOptions o;
  o.free_failures = 3;
  o.max_backoff = milliseconds(4000);
  LoginGuard guard(o);
  const auto t0 = LoginGuard::Clock::now();
  guard.Record("10.0.0.1", false, t0);
  guard.Record("10.0.0.1", false, t0);
  guard.Record("10.0.0.1", false, t0);
  EXPECT_EQ(guard.Backoff("10.0.0.1", t0).count(), 0);  // three failures are free
  guard.Record("10.0.0.1", false, t0);
  EXPECT_EQ(guard.Backoff("10.0.0.1", t0), milliseconds(1000));
  EXPECT_EQ(guard.Backoff("10.0.0.2", t0).count(), 0);  // per address
  guard.Record("10.0.0.1", false, t0);
  EXPECT_EQ(guard.Backoff("10.0.0.1", t0), milliseconds(2000));
  for (int i = 0; i < 10; ++i) guard.Record("10.0.0.1", false, t0);
  EXPECT_EQ(guard.Backoff("10.0.0.1", t0), milliseconds(4000));  // capped
  EXPECT_EQ(guard.Backoff("10.0.0.1", t0 + milliseconds(4000)).count(), 0);
  guard.Record("10.0.0.1", true, t0);  // a success clears the address
  EXPECT_EQ(guard.Backoff("10.0.0.1", t0).count(), 0);
  EXPECT_EQ(guard.Addresses(), 0U);
}

TEST(LoginGuardTest, TableIsBounded) {
  LoginGuardOptions o;
  o.max_addresses = 16;
  LoginGuard guard(o);
  const auto t0 = LoginGuard::Clock::now();
  for (int i = 0; i < 1000; ++i) guard.Record("10.0.0." + std::to_string(i), false, t0 + milliseconds(i));
  EXPECT_LE(guard.Addresses(), 16U);
}

TEST(LoginGuardTest, BoundsConcurrentVerifications) {
  LoginGuardOptions o;
  o.max_concurrent = 2;
  o.slot_wait = milliseconds(5000);
  LoginGuard guard(o);
  std::atomic<int> inside{0};
  std::atomic<int> most{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&] {
      LoginGuard::Slot slot = guard.AcquireSlot();
      ASSERT_TRUE(slot);
      const int now = ++inside;
      int seen = most.load();
      while (now > seen && !most.compare_exchange_weak(seen, now)) {
      }
      std::this_thread::sleep_for(milliseconds(20));
      --inside;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_LE(most.load(), 2);
  EXPECT_EQ(guard.MaxInUse(), 2U);
}

TEST(LoginGuardTest, NoSlotWithinTheWaitIsRefused) {
  LoginGuardOptions o;
  o.max_concurrent = 1;
  o.slot_wait = milliseconds(50);
  LoginGuard guard(o);
  LoginGuard::Slot held = guard.AcquireSlot();
  ASSERT_TRUE(held);
  LoginGuard::Slot second = guard.AcquireSlot();
  EXPECT_FALSE(second);
}

}  // namespace
}  // namespace zkx::exporter
