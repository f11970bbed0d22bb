// InFlightWindow: hill-climbing on the reply rate, bounded by the round trip (see in_flight_window.h).
#include "zk/in_flight_window.h"

#include <algorithm>

namespace zkx::zk {

InFlightWindow::InFlightWindow(const InFlightWindowOptions& options)
    : options_(options),
      floor_(std::min(options.floor, options.ceiling)),
      size_(std::clamp(options.start, floor_, std::max<std::size_t>(options.ceiling, 1))) {}

void InFlightWindow::SetFloor(std::size_t floor) {
  floor_ = std::min(floor, options_.ceiling);
  size_ = std::max(size_, floor_);
}

void InFlightWindow::NoteIssued(bool window_bound, Clock::time_point now) {
  if (!started_) {
    started_ = true;
    epoch_start_ = now;
  }
  if (!window_bound) epoch_bound_ = false;
}

void InFlightWindow::NoteReplies(std::size_t count, std::chrono::nanoseconds rtt_sum, Clock::time_point now) {
  if (!started_) return;
  epoch_replies_ += count;
  epoch_rtt_ += rtt_sum;
  if (epoch_replies_ < std::max(size_, kMinEpochReplies) || now - epoch_start_ < kMinEpoch) return;
  EndEpoch(now);
}

bool InFlightWindow::MayDouble(std::chrono::nanoseconds rtt) const {
  return size_ < options_.ceiling && 2 * rtt <= options_.latency_target;
}

void InFlightWindow::EndEpoch(Clock::time_point now) {
  const double seconds = std::chrono::duration<double>(now - epoch_start_).count();
  const double rate = static_cast<double>(epoch_replies_) / seconds;
  const std::chrono::nanoseconds rtt = epoch_rtt_ / static_cast<long>(epoch_replies_);
  const bool judged = epoch_bound_;
  epoch_start_ = now;
  epoch_replies_ = 0;
  epoch_rtt_ = std::chrono::nanoseconds::zero();
  epoch_bound_ = true;

  if (rtt > options_.latency_target && size_ > floor_) {
    // The queue is too long for the others on the session: shrink in proportion, and start judging afresh.
    const double scale =
        std::chrono::duration<double>(options_.latency_target) / std::chrono::duration<double>(rtt);
    size_ = std::max(floor_, static_cast<std::size_t>(static_cast<double>(size_) * scale));
    phase_ = Phase::kHold;
    held_ = 0;
    hold_rate_sum_ = 0;
    return;
  }
  if (!judged) return;
  if (settling_) {
    // The first epoch after a probe's step still drains (or fills) the old queue: its rate is the old size's.
    settling_ = false;
    return;
  }

  switch (phase_) {
    case Phase::kRamp:
      if (best_size_ == 0 || rate >= best_rate_ * options_.min_gain) {
        best_rate_ = rate;
        best_size_ = size_;
        if (MayDouble(rtt)) {
          size_ = std::min(2 * size_, options_.ceiling);
        } else {
          phase_ = Phase::kHold;
          held_ = 0;
        }
      } else {
        size_ = best_size_;
        phase_ = Phase::kHold;
        held_ = 0;
      }
      hold_rate_sum_ = 0;
      return;
    case Phase::kHold: {
      hold_rate_sum_ += rate;
      if (++held_ < options_.hold_epochs) return;
      // The reference for the probe is the mean over the hold, not one epoch: a single epoch's rate here
      // spreads by more than min_gain.
      best_rate_ = hold_rate_sum_ / static_cast<double>(held_);
      best_size_ = size_;
      held_ = 0;
      hold_rate_sum_ = 0;
      const bool may_halve = size_ / 2 >= floor_;
      const bool may_double = MayDouble(rtt);
      if (!may_halve && !may_double) return;
      probing_down_ = may_halve && (!may_double || !probing_down_);
      size_ = probing_down_ ? size_ / 2 : std::min(2 * size_, options_.ceiling);
      phase_ = Phase::kProbe;
      settling_ = true;
      return;
    }
    case Phase::kProbe:
      if (rate >= best_rate_ * (probing_down_ ? kHalvingKeep : options_.min_gain)) {
        // Up: the doubling paid, keep climbing from here. Down: half the queue served as fast, keep it (the
        // others on the session wait half as long) and hold there.
        best_rate_ = rate;
        best_size_ = size_;
        if (probing_down_) {
          phase_ = Phase::kHold;
        } else {
          phase_ = Phase::kRamp;
          if (MayDouble(rtt)) size_ = std::min(2 * size_, options_.ceiling);
        }
      } else {
        size_ = best_size_;
        phase_ = Phase::kHold;
      }
      held_ = 0;
      hold_rate_sum_ = 0;
      return;
  }
}

}  // namespace zkx::zk
