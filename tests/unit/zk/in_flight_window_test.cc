// InFlightWindow against a simulated server: a reply rate that depends on the window, round trips that
// follow from it (Little's law), simulated time.
#include "zk/in_flight_window.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstddef>
#include <functional>
#include <map>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

namespace zkx::zk {
namespace {

using std::chrono::milliseconds;
using std::chrono::nanoseconds;

// Drives a window for `duration` of simulated time in steps of 1 ms: each step the walker issues (bound or
// not), then receives what the server answered in that millisecond, each reply having waited size/rate.
// `stalled`, if set, says whether the walker is off the CPU this millisecond (a loaded 2-core machine): it
// neither issues nor handles replies, while the server goes on answering what is in flight (at most the
// window) and the replies wait to be handled together when the walker runs again. A deeper window keeps the
// server busy through a longer stall.
struct Simulation {
  explicit Simulation(std::function<double(std::size_t window)> r) : rate(std::move(r)) {}
  std::function<double(std::size_t window)> rate;  // replies per second at this window
  std::function<bool()> stalled;
  bool window_bound = true;
  InFlightWindow::Clock::time_point now{};
  double carry = 0;
  double held = 0;  // answered during a stall, not handled yet
  int stall_ms = 0;
  double replies = 0;  // handled, in all
  std::size_t max_seen = 0;
  std::map<std::size_t, int> ms_at;  // simulated milliseconds spent at each size

  void Run(InFlightWindow& window, milliseconds duration) {
    for (milliseconds t{0}; t < duration; t += milliseconds(1)) {
      const double w = static_cast<double>(window.size());
      const double r = rate(window.size());
      if (stalled && stalled()) {
        held = std::min(w, held + r / 1000.0);
        ++stall_ms;
        now += milliseconds(1);
        ++ms_at[window.size()];
        continue;
      }
      window.NoteIssued(window_bound, now);
      now += milliseconds(1);
      carry += held + r / 1000.0;
      // A reply held through a stall waited about half the stall longer.
      const double held_extra_ns = held * stall_ms * 0.5e6;
      held = 0;
      stall_ms = 0;
      const auto count = static_cast<std::size_t>(carry);
      carry -= static_cast<double>(count);
      replies += static_cast<double>(count);
      const auto rtt = std::chrono::duration_cast<nanoseconds>(std::chrono::duration<double>(w / r));
      window.NoteReplies(count,
                         rtt * static_cast<long>(count) + nanoseconds(static_cast<long>(held_extra_ns)), now);
      max_seen = std::max(max_seen, window.size());
      ++ms_at[window.size()];
    }
  }
};

// A server whose rate grows with the window up to `knee` requests in flight, then stays flat.
std::function<double(std::size_t)> Saturating(double per_request, std::size_t knee) {
  return [=](std::size_t w) { return per_request * static_cast<double>(std::min(w, knee)); };
}

TEST(InFlightWindowTest, ClimbsToTheKneeAndStopsWhereDoublingNoLongerPays) {
  InFlightWindow window(InFlightWindowOptions{});
  Simulation sim{Saturating(40, 1000)};  // 40,000 replies/s from 1,000 in flight on
  sim.Run(window, milliseconds(3000));
  // 256 -> 512 -> 1024 paid (x2, x1.95); 2048 did not: back to 1024, probing 2048 now and then.
  EXPECT_EQ(window.size(), 1024U);
  EXPECT_EQ(sim.max_seen, 2048U);
}

// A rate that does not depend on the window: every size serves as fast, so the window halves, probe after
// probe, down to the floor (each half the queue the others wait behind), and a doubling never pays.
TEST(InFlightWindowTest, AFlatRateHalvesDownToTheFloor) {
  InFlightWindow window(InFlightWindowOptions{});
  Simulation sim{[](std::size_t) { return 30000.0; }};
  sim.Run(window, milliseconds(2000));
  EXPECT_LT(window.size(), 256U);
  sim.Run(window, milliseconds(5000));
  EXPECT_EQ(window.size(), InFlightWindowOptions{}.floor);
  EXPECT_LE(sim.max_seen, 512U);
}

// A moved floor holds the halvings (the walker sets 32 per session in use), lifts a window already below it
// at once, and lowered again lets the halvings go on down.
TEST(InFlightWindowTest, SetFloorHoldsTheHalvingsAndLiftsASmallerWindow) {
  InFlightWindow window(InFlightWindowOptions{});
  Simulation sim{[](std::size_t) { return 30000.0; }};
  window.SetFloor(128);
  EXPECT_EQ(window.floor(), 128U);
  sim.Run(window, milliseconds(7000));
  // Never below the floor; most of the time at it (the rest: probes of a doubling that does not pay).
  EXPECT_EQ(sim.ms_at.begin()->first, 128U);
  EXPECT_GT(sim.ms_at[128], 3500);

  window.SetFloor(32);
  sim.ms_at.clear();
  sim.Run(window, milliseconds(7000));
  EXPECT_EQ(sim.ms_at.begin()->first, 32U);  // the halvings went on down
  window.SetFloor(128);
  EXPECT_GE(window.size(), 128U);  // at once, not at the next epoch
  window.SetFloor(1U << 20);       // above the ceiling: the ceiling
  EXPECT_EQ(window.floor(), InFlightWindowOptions{}.ceiling);
  EXPECT_EQ(window.size(), InFlightWindowOptions{}.ceiling);
}

// Past the knee a bigger window only lengthens the queue. A window that got there (here it starts there, as
// after a climb that noise paid for) comes back down to the smallest size that serves as fast, and stays.
TEST(InFlightWindowTest, ComesBackDownFromPastTheKnee) {
  InFlightWindowOptions options;
  options.start = 2048;
  InFlightWindow window(options);
  Simulation sim{Saturating(40, 300)};  // 12,000/s from 300 in flight on
  sim.Run(window, milliseconds(10000));
  EXPECT_EQ(window.size(), 512U);  // 2048 -> 1024 -> 512 served as fast; 256 did not (10,240/s)
  EXPECT_GE(sim.ms_at[512], 5000);
}

// A server that is slower with a longer queue (as the loopback ensemble was at 2,048 on the balanced tree):
// the window ends where the rate peaks, not above it.
TEST(InFlightWindowTest, SettlesWhereTheRatePeaks) {
  InFlightWindowOptions options;
  options.start = 2048;
  InFlightWindow window(options);
  Simulation sim{[](std::size_t w) {
    return w <= 256 ? 80.0 * static_cast<double>(w)
                    : 20480.0 * (1.0 - 0.05 * std::log2(static_cast<double>(w) / 256.0));
  }};
  sim.Run(window, milliseconds(10000));
  EXPECT_EQ(window.size(), 256U);
}

TEST(InFlightWindowTest, KeepsTheRoundTripWithinTheTargetOnASlowServer) {
  InFlightWindowOptions options;
  options.latency_target = milliseconds(100);
  InFlightWindow window(options);
  Simulation sim{[](std::size_t) { return 2000.0; }};  // 256 in flight wait 128 ms
  sim.Run(window, milliseconds(3000));
  EXPECT_LE(window.size(), 200U);  // 2,000/s x 100 ms
  EXPECT_GE(window.size(), options.floor);
  EXPECT_EQ(window.phase(), InFlightWindow::Phase::kHold);
}

TEST(InFlightWindowTest, DoesNotDoubleWhenTwiceTheRoundTripWouldPassTheTarget) {
  InFlightWindow window(InFlightWindowOptions{});  // a 200 ms target
  // The rate would keep rising, but 256 in flight already wait 128 ms: 512 could wait 256 ms.
  Simulation sim{Saturating(7.8125, 100000)};  // 2,000/s at 256
  sim.Run(window, milliseconds(3000));
  EXPECT_EQ(window.size(), 256U);
  EXPECT_EQ(sim.max_seen, 256U);
}

TEST(InFlightWindowTest, EpochsTheWindowDidNotBoundAreNotJudged) {
  InFlightWindow window(InFlightWindowOptions{});
  Simulation sim{Saturating(40, 100000)};  // doubling would pay every time, were the window the limit
  sim.window_bound = false;                // but the tree's frontier is
  sim.Run(window, milliseconds(2000));
  EXPECT_EQ(window.size(), 256U);
}

TEST(InFlightWindowTest, ProbesAgainAndFollowsAFasterServer) {
  InFlightWindowOptions options;
  options.hold_epochs = 4;
  InFlightWindow window(options);
  Simulation sim{Saturating(40, 300)};
  sim.Run(window, milliseconds(2000));
  EXPECT_EQ(window.size(), 512U);  // 256 -> 512 paid (300 vs 256: x1.17), 1024 did not
  sim.rate = Saturating(40, 5000);
  sim.Run(window, milliseconds(10000));
  EXPECT_EQ(window.size(), 2048U);  // the ceiling
}

// A loaded 2-core machine: the same window's rate swings by scheduling luck, fast (a few milliseconds) and
// slow (hundreds), far more than one doubling adds; and the walker itself is off the CPU now and then for
// 5-30 ms (stalls: 1% of milliseconds start one, so about a sixth of the time), while the server works
// through what is in flight. Over a server that saturates at a knee, or approaches its top gradually
// (R·w/(w+k): halving always costs something, doubling always gains a little), the window must still serve
// near what a window pinned at the ceiling serves through the same noise and stalls: noise may move it, but
// not walk it down to the floor.
// Where this model stops: with stalls a third of the time (3%), the rule serves only 0.86-0.88 of the pinned
// window on w/(w+16) (single epochs' rates are skewed by stalls, and a probe is judged on one). A rule that
// judged probes on the overall rate of three epochs passed that case here, but walked 5-10% slower than
// this one on the real ensemble (two A/B runs of scale_bench's shapes): its longer probes and slower ramp
// cost more in a one-second walk than they saved. The real server is not this model; keep the two apart.
TEST(InFlightWindowTest, UnderNoiseServesNearTheBestTheCeilingAllows) {
  struct Curve {
    std::string name;
    std::function<double(double)> rate;
  };
  std::vector<Curve> curves;
  for (const double knee : {128.0, 512.0}) {
    curves.push_back({"knee " + std::to_string(static_cast<int>(knee)),
                      [knee](double w) { return 100 * std::min(w, knee); }});
  }
  for (const double k : {16.0, 64.0, 256.0}) {
    curves.push_back(
        {"w/(w+" + std::to_string(static_cast<int>(k)) + ")", [k](double w) { return 40000 * w / (w + k); }});
  }
  // Replies handled in 30 s of simulated time, over 8 seeds, by a window with these options: the noise and
  // the stalls are drawn per millisecond whatever the window, so every window meets the same ones.
  auto handled = [](const Curve& curve, double fast_sigma, double stall_p,
                    const InFlightWindowOptions& options) {
    double replies = 0;
    for (unsigned seed = 1; seed <= 8; ++seed) {
      std::mt19937 rng(seed);
      std::lognormal_distribution<double> fast_noise(0.0, fast_sigma);
      std::uniform_real_distribution<double> slow_noise(0.6, 1.4);
      std::bernoulli_distribution stall_starts(stall_p);
      std::uniform_int_distribution<int> stall_length(5, 30);  // ms
      double fast = 1;
      double slow = 1;
      int tick = 0;
      int stall_left = 0;
      InFlightWindow window(options);
      Simulation sim{[&](std::size_t w) {
        if (tick % 5 == 0) fast = fast_noise(rng);
        if (tick % 300 == 0) slow = slow_noise(rng);
        ++tick;
        return curve.rate(static_cast<double>(w)) * fast * slow;
      }};
      sim.stalled = [&] {
        const bool starts = stall_starts(rng);
        const int length = stall_length(rng);
        if (stall_left == 0 && starts) stall_left = length;
        if (stall_left == 0) return false;
        --stall_left;
        return true;
      };
      sim.Run(window, milliseconds(30000));
      replies += sim.replies;
    }
    return replies;
  };
  InFlightWindowOptions at_ceiling;
  at_ceiling.start = at_ceiling.floor = at_ceiling.ceiling;
  for (const Curve& curve : curves) {
    for (const double fast_sigma : {0.1, 0.5}) {
      for (const double stall_p : {0.0, 0.01}) {
        const double ratio = handled(curve, fast_sigma, stall_p, InFlightWindowOptions{}) /
                             handled(curve, fast_sigma, stall_p, at_ceiling);
        EXPECT_GE(ratio, 0.90) << curve.name << ", fast noise sigma " << fast_sigma << ", stalls " << stall_p;
      }
    }
  }
}

TEST(InFlightWindowTest, KeepsWithinCeilingAndFloor) {
  InFlightWindowOptions options;
  options.ceiling = 100;
  options.floor = 32;
  InFlightWindow capped(options);
  EXPECT_EQ(capped.size(), 100U);  // the start, clamped to the ceiling
  Simulation fast{Saturating(100, 100000)};
  fast.Run(capped, milliseconds(1000));
  EXPECT_EQ(fast.max_seen, 100U);

  InFlightWindow slow(InFlightWindowOptions{});
  Simulation crawl{[](std::size_t) { return 100.0; }};  // every round trip is seconds long
  crawl.Run(slow, milliseconds(20000));
  EXPECT_EQ(slow.size(), InFlightWindowOptions{}.floor);
}

}  // namespace
}  // namespace zkx::zk
