#include "collectors/refresh_scheduler.h"

#include <condition_variable>
#include <utility>
#include <vector>

#include "base/mutex.h"
#include "base/thread_annotations.h"

namespace zkx::collectors {

WalkThreads::WalkThreads(std::size_t workers, std::size_t max_workers, std::size_t max_queued)
    : pool_("walk", workers, max_queued, max_workers), scheduler_(&pool_, RefreshScheduler::kCoalesce) {}

WalkThreads::~WalkThreads() {
  Shutdown();
}

void WalkThreads::Shutdown() {
  scheduler_.Shutdown();
  pool_.Shutdown();
}

struct RefreshScheduler::Waiters {
  struct Waiter {
    Clock::time_point give_up;
    std::function<void(bool)> task;
  };
  explicit Waiters(std::function<bool()> c) : connected(std::move(c)) {}
  const std::function<bool()> connected;
  Mutex mu;
  std::vector<Waiter> waiting GUARDED_BY(mu);
  bool checking GUARDED_BY(mu) = false;  // a CheckWaiters is scheduled
  bool stopping GUARDED_BY(mu) = false;
  bool calling GUARDED_BY(mu) = false;  // connected() is running (Shutdown waits for it)
  std::condition_variable_any called;   // waits on mu
};

RefreshScheduler::RefreshScheduler(std::function<bool()> connected, std::size_t workers)
    : threads_(std::make_shared<WalkThreads>(workers, workers, kMaxQueued)),
      owns_threads_(true),
      waiters_(std::make_shared<Waiters>(std::move(connected))) {}

RefreshScheduler::RefreshScheduler(std::function<bool()> connected, std::shared_ptr<WalkThreads> shared)
    : threads_(std::move(shared)),
      owns_threads_(false),
      waiters_(std::make_shared<Waiters>(std::move(connected))) {}

RefreshScheduler::~RefreshScheduler() {
  Shutdown();
}

void RefreshScheduler::RunAt(Clock::time_point when, std::function<void()> task) {
  (void)threads_->scheduler().RunAt(when, std::move(task));  // false only after Shutdown: the task is dropped
}

void RefreshScheduler::WhenConnected(Clock::time_point give_up, std::function<void(bool)> task) {
  bool schedule = false;
  {
    MutexLock lock(waiters_->mu);
    if (waiters_->stopping) return;
    waiters_->waiting.push_back({give_up, std::move(task)});
    schedule = !std::exchange(waiters_->checking, true);
  }
  if (schedule) {
    Scheduler* scheduler = &threads_->scheduler();
    scheduler->RunOnTimerAt(Clock::now() + kReconnectPoll,
                            [waiters = waiters_, scheduler] { CheckWaiters(waiters, scheduler); });
  }
}

void RefreshScheduler::CheckWaiters(const std::shared_ptr<Waiters>& waiters, Scheduler* scheduler) {
  {
    MutexLock lock(waiters->mu);
    if (waiters->stopping) return;  // its RefreshScheduler has gone: `connected` may be gone too
    waiters->calling = true;
  }
  const bool up = waiters->connected();
  const auto now = Clock::now();
  std::vector<Waiters::Waiter> ready;
  bool again = false;
  {
    MutexLock lock(waiters->mu);
    waiters->calling = false;
    waiters->called.notify_all();
    if (waiters->stopping) return;
    std::vector<Waiters::Waiter> still;
    for (Waiters::Waiter& w : waiters->waiting) {
      if (up || now >= w.give_up) {
        ready.push_back(std::move(w));
      } else {
        still.push_back(std::move(w));
      }
    }
    waiters->waiting = std::move(still);
    again = !waiters->waiting.empty();
    waiters->checking = again;
  }
  if (again)
    scheduler->RunOnTimerAt(now + kReconnectPoll, [waiters, scheduler] { CheckWaiters(waiters, scheduler); });
  // Each on its own worker turn: a waiter may start a walk.
  for (Waiters::Waiter& w : ready) {
    scheduler->RunAt(now, [task = std::move(w.task), up] { task(up); });
  }
}

void RefreshScheduler::Shutdown() {
  std::vector<Waiters::Waiter> dropped;
  {
    MutexLock lock(waiters_->mu);
    waiters_->stopping = true;
    dropped.swap(waiters_->waiting);
    while (waiters_->calling) waiters_->called.wait(waiters_->mu);
  }
  if (owns_threads_) threads_->Shutdown();
}

}  // namespace zkx::collectors
