// WalkSessionCount against a simulated ensemble whose walk rate depends on the number of sessions, in
// simulated busy time.
#include "zk/walk_session_count.h"

#include <chrono>
#include <cstddef>
#include <functional>
#include <map>
#include <utility>

#include <gtest/gtest.h>

namespace zkx::zk {
namespace {

using std::chrono::milliseconds;

// Feeds the chooser 10 ms of busy time per step at the rate the ensemble gives its current count.
struct Simulation {
  explicit Simulation(std::function<double(std::size_t sessions)> r) : rate(std::move(r)) {}
  std::function<double(std::size_t)> rate;  // replies per second at this many sessions
  std::map<std::size_t, int> steps_at;      // steps spent at each count
  std::size_t max_seen = 0;

  void Run(WalkSessionCount& count, milliseconds duration) {
    for (milliseconds t{0}; t < duration; t += milliseconds(10)) {
      const std::size_t n = count.count();
      ++steps_at[n];
      max_seen = std::max(max_seen, n);
      count.NoteBusy(static_cast<std::size_t>(rate(n) / 100), milliseconds(10));
    }
  }
  [[nodiscard]] std::size_t MostTime() const {
    std::size_t best = 0;
    int most = -1;
    for (const auto& [n, steps] : steps_at) {
      if (steps > most) {
        most = steps;
        best = n;
      }
    }
    return best;
  }
};

TEST(WalkSessionCountTest, StartsAtOneAndClimbsWhileEachSessionPays) {
  WalkSessionCount count({});
  EXPECT_EQ(count.count(), 1u);
  // 20,000/s on one session, +40% for each of the next three.
  Simulation sim([](std::size_t n) { return 20000.0 * (1.0 + 0.4 * static_cast<double>(n - 1)); });
  sim.Run(count, milliseconds(6000));  // trials of 2 x 3 epochs of 250 ms: 1 against 2, 2 against 4
  EXPECT_EQ(count.count(), 4u);
  EXPECT_EQ(count.phase(), WalkSessionCount::Phase::kHold);
}

TEST(WalkSessionCountTest, NeverExceedsTheMaximum) {
  for (const std::size_t max : {2u, 3u, 6u}) {  // 1, 2, 4 and then the maximum
    WalkSessionCountOptions options;
    options.max = max;
    WalkSessionCount count(options);
    Simulation sim([](std::size_t n) { return 10000.0 * static_cast<double>(n); });
    sim.Run(count, milliseconds(60000));
    EXPECT_EQ(sim.max_seen, max);
    EXPECT_EQ(count.count(), max);
  }
}

TEST(WalkSessionCountTest, AMaximumOfOneNeverMoves) {
  WalkSessionCountOptions options;
  options.max = 1;
  WalkSessionCount count(options);
  Simulation sim([](std::size_t n) { return 10000.0 * static_cast<double>(n); });
  sim.Run(count, milliseconds(60000));
  EXPECT_EQ(sim.max_seen, 1u);
}

TEST(WalkSessionCountTest, GoesBackToOneWhenASecondSessionDoesNotPay) {
  WalkSessionCount count({});
  Simulation sim([](std::size_t n) { return n == 1 ? 20000.0 : 20500.0; });  // +2.5%: not worth it
  sim.Run(count, milliseconds(60000));
  EXPECT_EQ(sim.MostTime(), 1u);
  EXPECT_EQ(sim.max_seen, 2u) << "one more is tried, at the start and at each upward probe";
}

TEST(WalkSessionCountTest, StopsWhereTheGainEnds) {
  WalkSessionCount count({});
  // Two sessions pay, four do not (the ensemble's cores are taken).
  Simulation sim([](std::size_t n) { return n == 1 ? 20000.0 : 30000.0; });
  sim.Run(count, milliseconds(60000));
  EXPECT_EQ(count.count(), 2u);
  EXPECT_EQ(sim.MostTime(), 2u);
}

TEST(WalkSessionCountTest, DropsASessionThatStoppedPaying) {
  WalkSessionCount count({});
  bool loaded = false;  // later, the ensemble gives no more to four sessions than to one
  Simulation sim([&](std::size_t n) {
    return loaded ? 20000.0 : 20000.0 * (1.0 + 0.4 * (static_cast<double>(n) - 1.0));
  });
  sim.Run(count, milliseconds(6000));
  ASSERT_EQ(count.count(), 4u);
  loaded = true;
  sim.steps_at.clear();
  sim.Run(count, milliseconds(120000));
  EXPECT_EQ(count.count(), 1u) << "each downward trial halves the count when the rate stays";
}

TEST(WalkSessionCountTest, ClimbsAgainWhenMoreSessionsStartToPay) {
  WalkSessionCount count({});
  bool better = false;
  Simulation sim([&](std::size_t n) {
    return better ? 20000.0 * static_cast<double>(n) : (n == 1 ? 20000.0 : 20100.0);
  });
  sim.Run(count, milliseconds(30000));
  ASSERT_EQ(count.count(), 1u);
  better = true;
  sim.Run(count, milliseconds(60000));
  EXPECT_EQ(count.count(), 4u);
}

TEST(WalkSessionCountTest, AnEpochNeedsItsTimeAndItsReplies) {
  WalkSessionCountOptions options;
  options.epoch_time = milliseconds(250);
  options.epoch_replies = 2000;
  WalkSessionCount count(options);
  // Plenty of time, too few replies (a narrow frontier): never judged.
  for (int i = 0; i < 1000; ++i) count.NoteBusy(1, milliseconds(10));
  EXPECT_EQ(count.count(), 1u);
  EXPECT_EQ(count.last_rate(), 0);
  // Replies enough, then the time: judged once, 2000 replies in 250 ms.
  WalkSessionCount fresh(options);
  fresh.NoteBusy(2000, milliseconds(100));
  EXPECT_EQ(fresh.count(), 1u);
  fresh.NoteBusy(0, milliseconds(150));
  EXPECT_EQ(fresh.count(), 2u) << "the first trial's next epoch is at two sessions";
  EXPECT_DOUBLE_EQ(fresh.last_rate(), 8000);
}

// The point of alternating: the machine's speed swings by 2x from one stretch to the next, far more than
// a session adds; a trial must still see the session's gain, and not mistake a swing for one.
TEST(WalkSessionCountTest, ATrialSeesThroughSwingsOfTheMachinesSpeed) {
  for (const double gain : {1.0, 1.5}) {  // a second session: nothing, or +50%
    WalkSessionCountOptions options;
    options.max = 2;
    WalkSessionCount count(options);
    // Slow for 500 ms, fast for 500 ms, ...: each count's epochs fall in both.
    int step = 0;
    Simulation sim([&](std::size_t n) {
      const double machine = (step++ / 50) % 2 == 0 ? 15000.0 : 30000.0;
      return machine * (n == 2 ? gain : 1.0);
    });
    sim.Run(count, milliseconds(1500));  // the first trial: 3 + 3 epochs
    EXPECT_EQ(count.settled(), gain > 1 ? 2u : 1u) << "gain " << gain;
  }
}

// Small walks repeated forever (a 3,000-znode subtree polled every 30 s) each bring a little busy time; a
// pause longer than kEpochGap between them drops it, so they never add up to an epoch.
TEST(WalkSessionCountTest, APauseBetweenWalksDropsTheEpochInProgress) {
  WalkSessionCount count({});
  for (int walk = 0; walk < 100; ++walk) {
    count.NoteGap(std::chrono::seconds(30));
    count.NoteBusy(1500, milliseconds(200));  // one small walk: less than an epoch
  }
  EXPECT_EQ(count.count(), 1u);
  EXPECT_EQ(count.last_rate(), 0);
  // Without the pause the same two reports make an epoch.
  count.NoteGap(milliseconds(5));
  count.NoteBusy(1500, milliseconds(200));
  EXPECT_EQ(count.count(), 2u);
}

TEST(WalkSessionCountTest, ADiscardedEpochIsNotJudged) {
  WalkSessionCount count({});
  count.NoteBusy(1999, milliseconds(249));
  count.DiscardEpoch();
  count.NoteBusy(1, milliseconds(1));
  EXPECT_EQ(count.count(), 1u);
  EXPECT_EQ(count.last_rate(), 0);
}

}  // namespace
}  // namespace zkx::zk
