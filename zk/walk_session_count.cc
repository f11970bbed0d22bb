// WalkSessionCount (see walk_session_count.h).
#include "zk/walk_session_count.h"

#include <algorithm>

namespace zkx::zk {

double WalkSessionCount::Arm::rate() const {
  const double seconds = std::chrono::duration<double>(busy).count();
  return seconds > 0 ? static_cast<double>(replies) / seconds : 0;
}

WalkSessionCount::WalkSessionCount(const WalkSessionCountOptions& options) : options_(options) {
  if (options_.max > 1) StartTrial(2);  // the ramp's first trial: 1 against 2
}

std::size_t WalkSessionCount::More() const {
  return std::min(2 * settled_, options_.max);
}

std::size_t WalkSessionCount::Fewer() const {
  return std::max<std::size_t>(settled_ / 2, 1);
}

void WalkSessionCount::NoteBusy(std::size_t replies, std::chrono::nanoseconds busy) {
  if (options_.max <= 1) return;
  epoch_replies_ += replies;
  epoch_busy_ += busy;
  if (epoch_busy_ < options_.epoch_time || epoch_replies_ < options_.epoch_replies) return;
  const std::size_t r = epoch_replies_;
  const std::chrono::nanoseconds b = epoch_busy_;
  DiscardEpoch();
  EndEpoch(r, b);
}

void WalkSessionCount::NoteGap(std::chrono::nanoseconds since_last_report) {
  if (since_last_report > kEpochGap) DiscardEpoch();
}

void WalkSessionCount::DiscardEpoch() {
  epoch_replies_ = 0;
  epoch_busy_ = std::chrono::nanoseconds{0};
}

void WalkSessionCount::StartTrial(std::size_t candidate) {
  phase_ = Phase::kTrial;
  candidate_ = candidate;
  settled_arm_ = {};
  candidate_arm_ = {};
  count_ = settled_;  // the settled count first, then the two in turn
}

void WalkSessionCount::Hold() {
  phase_ = Phase::kHold;
  held_ = 0;
  count_ = settled_;
}

void WalkSessionCount::EndEpoch(std::size_t replies, std::chrono::nanoseconds busy) {
  last_rate_ = static_cast<double>(replies) / std::chrono::duration<double>(busy).count();
  if (phase_ == Phase::kHold) {
    if (++held_ < options_.hold_epochs) return;
    // One more and one fewer in turn; only the direction there is room for at either end.
    const bool may_up = settled_ < options_.max;
    const bool may_down = settled_ > 1;
    const bool down = may_down && (!last_trial_down_ || !may_up);
    last_trial_down_ = down;
    StartTrial(down ? Fewer() : More());
    return;
  }
  Arm& arm = count_ == settled_ ? settled_arm_ : candidate_arm_;
  arm.replies += replies;
  arm.busy += busy;
  ++arm.epochs;
  if (settled_arm_.epochs >= options_.trial_epochs && candidate_arm_.epochs >= options_.trial_epochs) {
    JudgeTrial();
    return;
  }
  count_ = count_ == settled_ ? candidate_ : settled_;
}

void WalkSessionCount::JudgeTrial() {
  const double settled_rate = settled_arm_.rate();
  const double candidate_rate = candidate_arm_.rate();
  const bool up = candidate_ > settled_;
  // The verdict: the count the trial found better (more sessions only by min_gain, fewer within kFewerKeep).
  const bool candidate_wins =
      up ? candidate_rate >= options_.min_gain * settled_rate : candidate_rate >= kFewerKeep * settled_rate;
  // A verdict for the smaller count (a step up refused, or a step down taken) stands only if the trial
  // repeated says the same (see the header).
  if (candidate_wins != up && !confirming_) {
    confirming_ = true;
    StartTrial(candidate_);
    return;
  }
  confirming_ = false;
  if (candidate_wins) settled_ = candidate_;
  if (up && candidate_wins && settled_ < options_.max) {
    StartTrial(More());  // more paid: try the next step, as in the ramp
    return;
  }
  Hold();
}

}  // namespace zkx::zk
