#pragma once
// RefreshScheduler: where poll-mode subtrees are walked: a WorkerPool (the walks) and a Scheduler (when each
// is due). A TreeCollector's refreshers share one RefreshScheduler; the RefreshSchedulers of many
// TreeCollectors (the /probe targets) may share one WalkThreads, so the thread count is that of one pool and
// one timer whatever the number of subtrees or targets (the issues this replaced: one thread per subtree,
// then five per target).
//
// WhenConnected(give_up, task): runs `task` on a worker as soon as `connected()` is true, or at `give_up`,
// whichever is first, with `connected_now` saying which. While any task waits, one check every
// kReconnectPoll decides for all of this scheduler's waiters, so an outage costs one check per poll, not one
// per subtree. The check runs on the timer thread (Scheduler::RunOnTimerAt; `connected()` must not block):
// many /probe targets polled through an outage wake no walk worker until their session is back.
//
// Contract: tasks must not throw and should bound their running time (a walk is bounded by its timeout).
// Shutdown() (also the destructor) drops the waiting tasks unrun; a scheduler that owns its WalkThreads also
// stops them (running tasks finish, pending ones are destroyed unrun). On shared WalkThreads a task already
// scheduled stays pending until due: tasks own what they use (refreshers' tasks find them stopped).
// Owners stop their refreshers first.
// Thread-safety: all methods from any thread. Lifetime: `connected` must outlive the scheduler and every
// check it scheduled (TreeCollectors pass a function over the session, which outlives its targets' walks).

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>

#include "base/scheduler.h"
#include "base/worker_pool.h"

namespace zkx::collectors {

// The walk workers and the timer, shareable by several RefreshSchedulers. The pool is elastic: `workers`
// threads stay, up to `max_workers` run while walks wait for a thread (a slow target's walks never hold up
// another's), the extra ones end after a few idle seconds.
class WalkThreads {
 public:
  WalkThreads(std::size_t workers, std::size_t max_workers, std::size_t max_queued);
  ~WalkThreads();
  WalkThreads(const WalkThreads&) = delete;
  WalkThreads& operator=(const WalkThreads&) = delete;

  WorkerPool& pool() { return pool_; }
  Scheduler& scheduler() { return scheduler_; }
  [[nodiscard]] std::size_t Threads() const { return pool_.Threads() + 1; }  // + the timer thread
  void Shutdown();

 private:
  WorkerPool pool_;
  Scheduler scheduler_;  // after pool_: stopped (and destroyed) first
};

class RefreshScheduler {
 public:
  using Clock = std::chrono::steady_clock;
  static constexpr std::size_t kWalkWorkers = 4;
  static constexpr std::size_t kMaxQueued = 1024;
  static constexpr std::chrono::milliseconds kReconnectPoll{200};
  // Walks due within this of each other start together (Scheduler's `coalesce`): a walk may start up to
  // this late, and a round of many small walks costs far fewer context switches.
  static constexpr std::chrono::milliseconds kCoalesce{50};

  // Owns its WalkThreads: `workers` fixed workers and the timer.
  explicit RefreshScheduler(std::function<bool()> connected, std::size_t workers = kWalkWorkers);
  // Runs on `shared` (not null), which outlives nothing it needs: it is kept alive by this scheduler.
  RefreshScheduler(std::function<bool()> connected, std::shared_ptr<WalkThreads> shared);
  ~RefreshScheduler();
  RefreshScheduler(const RefreshScheduler&) = delete;
  RefreshScheduler& operator=(const RefreshScheduler&) = delete;

  void RunAt(Clock::time_point when, std::function<void()> task);
  void WhenConnected(Clock::time_point give_up, std::function<void(bool connected_now)> task);
  void Shutdown();

  [[nodiscard]] std::size_t Threads() const { return threads_->Threads(); }

 private:
  struct Waiters;  // shared with the scheduled checks, which may outlive this scheduler on shared threads
  static void CheckWaiters(const std::shared_ptr<Waiters>& waiters, Scheduler* scheduler);

  const std::shared_ptr<WalkThreads> threads_;
  const bool owns_threads_;
  const std::shared_ptr<Waiters> waiters_;
};

}  // namespace zkx::collectors
