#pragma once
// WalkSessionCount: over how many sessions a zk::ReaderPool spreads the walks' plain reads, chosen from the
// reply rate the walks measure (issue 11) rather than fixed.
//
// Why: a server works on one session's requests one after another, and the C client gives each handle one
// IO and one completion thread, so a big walk on one session is bound by that session's pipeline. On a
// 2-core loopback ensemble four sessions walked 100,000 and 1,000,000 znodes 1.6-1.8x faster than one. But
// each session is one more connection and session on the ensemble, and a walk of a few thousand znodes, or
// one whose frontier is narrow, gains nothing from it. So:
//  - only busy time counts: replies a walk received while its in-flight window held it back (it had more to
//    ask) or while at least 128 of its requests were in flight (a deep tree's hundreds of chains, which
//    rarely fill the window but keep every session's queue full: zk/subtree_walk.cc). Small walks, narrow
//    frontiers and idle time between walks never move the count;
//  - an epoch is at least `epoch_time` of busy time and `epoch_replies` replies at one count, within one
//    stretch of walking: a pause of more than kEpochGap between reports (the time between two polls of a
//    subtree) drops the epoch in progress, so that small walks repeated forever never add up to one;
//  - a trial compares the settled count with one more (or one fewer) by alternating them epoch by epoch,
//    `trial_epochs` each, and compares their overall rates. Alternating matters: on a shared machine a
//    walk's rate moves by 2x from one stretch to the next (scheduling luck), far more than what one session
//    adds, so two counts measured one after the other compare the stretches, not the counts;
//  - steps double and halve (1, 2, 4, ... up to `max`): one session more out of three adds too little to
//    see through the noise, twice as many is what the bare client gains most from (1.6-2.1x from one to
//    four sessions on loopback);
//  - ramp: start at 1 and try 2; while the larger count won its trial by `min_gain`, try the next step;
//    when it did not (twice: below), settle on the last winner;
//  - hold: after `hold_epochs` epochs at the settled count, try the next step up and the next down, in
//    turn. The larger is kept if it wins by `min_gain` (and the ramp goes on); the smaller if its rate stays
//    within kFewerKeep (the same throughput on fewer sessions). Conditions change (another member, another
//    tree, a loaded ensemble), and a count chosen once is not kept forever;
//  - a verdict for the smaller count (a step up refused, a step down taken) stands only if the same trial,
//    run again at once, gives it too; a verdict for the larger stands on one. A trial judges 5% through
//    noise of 15-20% on the ratio of two counts' rates on a loaded machine. With one trial, 2 of about 75
//    scale_bench shape runs kept 2 sessions where 4 were 25-40% faster for the rest of the run (2026-12-04
//    and -05: walks at 0.61-0.66 of the bare client's best), and more ran on 2 for part of it. Erring
//    towards more is the cheaper error: fewer sessions add no throughput, while the extra ones carry the
//    same window, so the ensemble sees the same requests and the same number outstanding. In simulation
//    (walk_session_count_test, "UnderNoise"): ramps left short of 4 sessions that paid 59 times in 400
//    before, 5 after; settled time on 4 0.81 before, 0.91 after; where 4 give nothing, 0.22 before and
//    0.46 after.
// The count never exceeds `max` (--zookeeper.walk-sessions), and a max of 1 never moves.
//
// Pure logic: the caller supplies the busy time. Not thread-safe; the caller serialises.

#include <chrono>
#include <cstddef>

namespace zkx::zk {

// What a zk::ReaderPool's walk sessions are doing now (the session collector's zookeeper_walk_sessions_*
// gauges).
struct WalkSessionFigures {
  std::size_t max = 1;     // the primary and the extras: --zookeeper.walk-sessions
  std::size_t open = 1;    // started so far (by their owner or by the pool), the primary included
  std::size_t in_use = 1;  // reads are spread over these now
};

struct WalkSessionCountOptions {
  std::size_t max = 4;  // the most sessions walks may use, the primary included
  std::chrono::milliseconds epoch_time{250};
  std::size_t epoch_replies = 2000;
  int trial_epochs = 3;    // epochs at each of the two counts a trial compares
  double min_gain = 1.05;  // more sessions are kept only if their rate was higher by this factor
  int hold_epochs = 40;    // epochs at a settled count before the next trial
};

class WalkSessionCount {
 public:
  // A pause between reports longer than this drops the epoch in progress (NoteGap).
  static constexpr std::chrono::seconds kEpochGap{1};
  // Fewer sessions are kept if their rate stayed within 5% of the settled count's.
  static constexpr double kFewerKeep = 0.95;

  explicit WalkSessionCount(const WalkSessionCountOptions& options);

  // The number of sessions to use now (1..max).
  [[nodiscard]] std::size_t count() const { return count_; }

  // `replies` received over `busy` of busy time, all at count() sessions.
  void NoteBusy(std::size_t replies, std::chrono::nanoseconds busy);
  // Drops the epoch in progress: the caller could not use count() sessions meanwhile (one was not
  // connected yet, or lost its connection).
  void DiscardEpoch();
  // The time since the previous report: longer than kEpochGap drops the epoch in progress.
  void NoteGap(std::chrono::nanoseconds since_last_report);

  enum class Phase { kTrial, kHold };
  [[nodiscard]] Phase phase() const { return phase_; }
  // The settled count: what the last trial kept.
  [[nodiscard]] std::size_t settled() const { return settled_; }
  // The rate of the last epoch (replies per second of busy time); 0 before the first.
  [[nodiscard]] double last_rate() const { return last_rate_; }

 private:
  struct Arm {
    std::size_t replies = 0;
    std::chrono::nanoseconds busy{0};
    int epochs = 0;
    [[nodiscard]] double rate() const;
  };
  void EndEpoch(std::size_t replies, std::chrono::nanoseconds busy);
  void StartTrial(std::size_t candidate);
  void JudgeTrial();
  void Hold();
  [[nodiscard]] std::size_t More() const;   // the step up from settled_
  [[nodiscard]] std::size_t Fewer() const;  // the step down

  const WalkSessionCountOptions options_;
  std::size_t settled_ = 1;
  std::size_t candidate_ = 1;
  std::size_t count_ = 1;
  Phase phase_ = Phase::kHold;

  std::size_t epoch_replies_ = 0;
  std::chrono::nanoseconds epoch_busy_{0};
  double last_rate_ = 0;

  Arm settled_arm_;    // the trial's epochs at settled_
  Arm candidate_arm_;  // and at candidate_
  int held_ = 0;
  bool last_trial_down_ = true;  // so that the first trial after a hold is upward
  bool confirming_ = false;      // this trial repeats one whose verdict was for the smaller count
};

}  // namespace zkx::zk
