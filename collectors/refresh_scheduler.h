#pragma once
// RefreshScheduler: the threads that walk poll-mode subtrees: a small WorkerPool (the walks) and a Scheduler
// (when each is due), shared by every SubtreeRefresher of a TreeCollector. The thread count is
// kWalkWorkers + 1 whatever the number of subtrees (the issue this replaced: one thread per subtree).
//
// WhenConnected(give_up, task): runs `task` on a worker as soon as `connected()` is true, or at `give_up`,
// whichever is first, with `connected_now` saying which. While any task waits, one check every
// kReconnectPoll decides for all of them, so an outage costs one check per poll, not one per subtree.
//
// Contract: tasks must not throw and should bound their running time (a walk is bounded by its timeout).
// Shutdown() (also the destructor) stops the timer and the workers: running tasks finish, pending and
// waiting ones are destroyed unrun. Owners stop their refreshers first.
// Thread-safety: all methods from any thread. Lifetime: `connected` must outlive the scheduler.

#include <chrono>
#include <cstddef>
#include <functional>
#include <mutex>
#include <vector>

#include "base/scheduler.h"
#include "base/worker_pool.h"

namespace zkx::collectors {

class RefreshScheduler {
 public:
  using Clock = std::chrono::steady_clock;
  static constexpr std::size_t kWalkWorkers = 4;
  static constexpr std::size_t kMaxQueued = 1024;
  static constexpr std::chrono::milliseconds kReconnectPoll{200};

  explicit RefreshScheduler(std::function<bool()> connected, std::size_t workers = kWalkWorkers);
  ~RefreshScheduler();
  RefreshScheduler(const RefreshScheduler&) = delete;
  RefreshScheduler& operator=(const RefreshScheduler&) = delete;

  void RunAt(Clock::time_point when, std::function<void()> task);
  void WhenConnected(Clock::time_point give_up, std::function<void(bool connected_now)> task);
  void Shutdown();

  [[nodiscard]] std::size_t Threads() const { return pool_.Threads() + 1; }  // + the timer thread

 private:
  struct Waiter {
    Clock::time_point give_up;
    std::function<void(bool)> task;
  };
  void CheckWaiters();

  const std::function<bool()> connected_;
  WorkerPool pool_;
  Scheduler scheduler_;
  std::mutex mu_;
  std::vector<Waiter> waiters_;  // guarded by mu_
  bool checking_ = false;        // guarded by mu_: a CheckWaiters is scheduled
  bool stopping_ = false;        // guarded by mu_
};

}  // namespace zkx::collectors
