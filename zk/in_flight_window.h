#pragma once
// InFlightWindow: how many requests a pipelined walk keeps outstanding, chosen from what the walk measures
// (issue 11) instead of one fixed depth tuned for one tree.
//
// Why adapt: how much deeper pipelining buys depends on the tree, the ensemble and the machine. On a
// 2-core loopback ensemble the best bare-client depth moved between 256 and 2,048 from shape to shape, and
// a depth past the server's throughput only lengthens its queue: every other request on the session (a
// watch-mode re-read, the write canary) waits behind the walk's queue, about one round trip.
//
// The rule, judged once per epoch (at least one window's worth of replies and kMinEpoch of time):
//  - ramp: start at `start` and double while a doubling raised the reply rate by at least `min_gain`; when it
//    did not, go back to the best size seen and hold;
//  - hold: after `hold_epochs` judged epochs, probe one step, up and down in turn, against the mean rate of
//    the hold. Keep a doubling only if it raised the rate by `min_gain`. Keep a halving if the rate fell by
//    at most 2% (kHalvingKeep): about the same throughput with half the queue, so whatever else is on the
//    session waits half as long. Otherwise go back and hold again. The halving undoes a climb that noise
//    paid for: a single epoch's rate spreads by more than min_gain on a loaded machine, and without it the
//    window only ever went up (in a 20-round run the balanced tree's walks ended anywhere from 256 to 2,048,
//    where the bare client was slowest). A probe is judged on its second epoch: the first still drains (or
//    fills) the old queue;
//  - latency: an epoch whose mean round trip exceeded `latency_target` shrinks the window in proportion
//    (never below `floor`), and a doubling is tried only when twice the last round trip stays within the
//    target, so the queue a walk builds stays about `latency_target` long whatever the ensemble's speed.
// Epochs in which the window was not what held the walk back (the tree's frontier was narrower, a job's own
// cap was reached) are not judged: their rate says nothing about the window.
//
// Pure logic: the caller supplies the clock readings. Not thread-safe; one walker thread owns it.

#include <chrono>
#include <cstddef>

namespace zkx::zk {

struct InFlightWindowOptions {
  std::size_t floor = 32;      // never fewer in flight than this (unless the ceiling is lower); SetFloor
  std::size_t ceiling = 2048;  // never more: the walk's max_in_flight
  std::size_t start = 256;     // the first epoch's size (clamped to [floor, ceiling])
  // The longest a request should wait behind the walk's queue (on a 2-core loopback ensemble, 2,048 in flight
  // at 10,000 replies/s wait about 200 ms).
  std::chrono::milliseconds latency_target{200};
  double min_gain = 1.10;  // a doubling is kept only if the reply rate rose by this factor
  int hold_epochs = 8;     // judged epochs at a settled size before the next probe
};

class InFlightWindow {
 public:
  using Clock = std::chrono::steady_clock;
  static constexpr std::chrono::milliseconds kMinEpoch{5};
  static constexpr std::size_t kMinEpochReplies = 64;
  // A halving is kept if the rate stayed within 2% of the hold's: half the queue is worth that much.
  static constexpr double kHalvingKeep = 0.98;

  explicit InFlightWindow(const InFlightWindowOptions& options);

  // The number of requests to keep in flight now.
  [[nodiscard]] std::size_t size() const { return size_; }

  // Moves the floor (clamped to the ceiling). A window below the new floor grows to it at once; the phase
  // and the epoch in progress are kept. The walker sets the floor per session in use (zk/subtree_walk.cc).
  void SetFloor(std::size_t floor);
  [[nodiscard]] std::size_t floor() const { return floor_; }

  // After each pass that issued requests: whether the window was what stopped it (the walk had more to ask
  // and was at size()). The first call starts the first epoch.
  void NoteIssued(bool window_bound, Clock::time_point now);
  // After each batch of replies: how many, the sum of their round trips (request issued -> reply handled).
  void NoteReplies(std::size_t count, std::chrono::nanoseconds rtt_sum, Clock::time_point now);

  enum class Phase { kRamp, kHold, kProbe };
  [[nodiscard]] Phase phase() const { return phase_; }

 private:
  void EndEpoch(Clock::time_point now);
  [[nodiscard]] bool MayDouble(std::chrono::nanoseconds rtt) const;

  const InFlightWindowOptions options_;
  std::size_t floor_;  // options_.floor, or SetFloor's, never above the ceiling
  std::size_t size_;
  Phase phase_ = Phase::kRamp;

  // The epoch being measured.
  bool started_ = false;
  Clock::time_point epoch_start_{};
  std::size_t epoch_replies_ = 0;
  std::chrono::nanoseconds epoch_rtt_{0};
  bool epoch_bound_ = true;  // the window held the walk back at every pass of this epoch

  double best_rate_ = 0;  // ramp: the best rate seen, at best_size_; probe: the rate before it
  std::size_t best_size_ = 0;
  int held_ = 0;               // judged epochs since the last change (hold)
  double hold_rate_sum_ = 0;   // their rates, summed
  bool probing_down_ = false;  // the probe in progress (or the last one) halved the window
  bool settling_ = false;      // the next judged epoch is the probe's first: not judged
};

}  // namespace zkx::zk
