#include "collectors/refresh_scheduler.h"

#include <utility>

namespace zkx::collectors {

RefreshScheduler::RefreshScheduler(std::function<bool()> connected, std::size_t workers)
    : connected_(std::move(connected)), pool_("walk", workers, kMaxQueued), scheduler_(&pool_) {}

RefreshScheduler::~RefreshScheduler() {
  Shutdown();
}

void RefreshScheduler::RunAt(Clock::time_point when, std::function<void()> task) {
  (void)scheduler_.RunAt(when, std::move(task));  // false only after Shutdown: the task is dropped
}

void RefreshScheduler::WhenConnected(Clock::time_point give_up, std::function<void(bool)> task) {
  bool schedule = false;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_) return;
    waiters_.push_back({give_up, std::move(task)});
    schedule = !std::exchange(checking_, true);
  }
  if (schedule) scheduler_.RunAt(Clock::now() + kReconnectPoll, [this] { CheckWaiters(); });
}

void RefreshScheduler::CheckWaiters() {
  const bool up = connected_();
  const auto now = Clock::now();
  std::vector<Waiter> ready;
  bool again = false;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_) return;
    std::vector<Waiter> still;
    for (Waiter& w : waiters_) {
      if (up || now >= w.give_up) {
        ready.push_back(std::move(w));
      } else {
        still.push_back(std::move(w));
      }
    }
    waiters_ = std::move(still);
    again = !waiters_.empty();
    checking_ = again;
  }
  if (again) scheduler_.RunAt(now + kReconnectPoll, [this] { CheckWaiters(); });
  // Each on its own worker turn: a waiter may start a walk.
  for (Waiter& w : ready) {
    scheduler_.RunAt(now, [task = std::move(w.task), up] { task(up); });
  }
}

void RefreshScheduler::Shutdown() {
  std::vector<Waiter> dropped;
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
    dropped.swap(waiters_);
  }
  scheduler_.Shutdown();
  pool_.Shutdown();
}

}  // namespace zkx::collectors
