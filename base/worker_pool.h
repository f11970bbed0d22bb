#pragma once
// WorkerPool: owned threads that run submitted tasks, first in first out, from a bounded queue; or a lane:
// a per-owner budget of tasks on another (shared) pool.
//
// Contract:
// - A pool's threads are joined by Shutdown() (also run by the destructor); it never detaches a thread.
//   `threads` start in the constructor and stay; with `max_threads` > `threads` the pool is elastic: when a
//   task is queued and no thread is idle, a thread is added (up to `max_threads`), and an added thread that
//   has been idle for `idle_retire` ends. So a pool shared by many owners keeps `threads` threads while idle
//   and a task never waits behind another owner's slow task while fewer than `max_threads` run.
//   Threads are woken one at a time: a woken thread that takes a task wakes (or adds) the next one if tasks
//   are still waiting, so a batch of short tasks runs on the few threads it needs while a batch of slow ones
//   still gets a thread each. And the thread woken is the one that became idle last (LIFO), so the threads
//   a burst added stay idle, and retire, while a steady trickle of tasks goes on (woken in turn, none of them
//   would ever be idle that long).
// - A lane (Lane()) owns no thread: its tasks run on the shared pool, at most `max_in_flight` of them queued
//   or running at once (the owner's in-flight budget, so one owner cannot fill the shared queue). Its
//   Shutdown() drops its tasks that have not started and waits for those running; the shared pool runs on.
// - TrySubmit() never blocks: it returns false (and destroys the task unrun) when `max_queued` tasks are
//   already waiting (a lane: `max_in_flight` tasks are in flight, or the shared pool refuses) or the pool is
//   shutting down. Callers decide what a refused task means.
// - A task must not throw (an escaping exception is caught and dropped) and should bound its own running
//   time: Shutdown() waits for the tasks that are running. Tasks still queued at Shutdown() are destroyed
//   without running.
// - A task must not call Shutdown() or destroy its own pool (or lane).
// Thread-safety: TrySubmit(), Queued(), Threads() and Shutdown() may be called from any thread, concurrently.
// Lifetime: a lane keeps its shared pool alive (shared_ptr).

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "base/mutex.h"
#include "base/thread_annotations.h"

namespace zkx {

class WorkerPool {
 public:
  // `threads` and `max_queued` are at least 1; `max_threads` below `threads` means `threads` (a fixed pool).
  // `name` (at most 15 characters are kept) names the threads.
  WorkerPool(std::string name, std::size_t threads, std::size_t max_queued, std::size_t max_threads = 0,
             std::chrono::milliseconds idle_retire = std::chrono::seconds(5));
  ~WorkerPool();
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  // A lane over `shared` (not null): at most `max_in_flight` (at least 1) of its tasks queued or running.
  static std::unique_ptr<WorkerPool> Lane(std::shared_ptr<WorkerPool> shared, std::size_t max_in_flight);

  [[nodiscard]] bool TrySubmit(std::function<void()> task);
  void Shutdown();

  // Threads running now (a lane: 0, it owns none).
  [[nodiscard]] std::size_t Threads() const;
  // Tasks waiting for a thread (a lane: its tasks queued or running).
  [[nodiscard]] std::size_t Queued() const;

 private:
  struct LaneState;
  explicit WorkerPool(std::shared_ptr<WorkerPool> shared, std::size_t max_in_flight);
  // Spawn: false when no thread could be started. `waker`: the new thread counts as the one woken for the
  // queued tasks (waking_).
  bool Spawn(bool waker = false) REQUIRES(mu_);
  void WakeOneLocked() REQUIRES(mu_);
  void Work(bool core, bool waker) EXCLUDES(mu_);

  const std::string name_;
  const std::size_t min_threads_ = 0;
  const std::size_t max_threads_ = 0;
  const std::size_t max_queued_;
  const std::chrono::milliseconds idle_retire_{0};
  mutable Mutex mu_;
  struct IdleThread;  // one waiting thread's wake-up (worker_pool.cc)
  std::deque<std::function<void()>> queue_ GUARDED_BY(mu_);
  bool stopping_ GUARDED_BY(mu_) = false;
  std::size_t live_ GUARDED_BY(mu_) = 0;                // threads in Work()
  std::vector<IdleThread*> idle_ GUARDED_BY(mu_);       // threads waiting for a task, last idle last
  bool waking_ GUARDED_BY(mu_) = false;                 // a thread was woken and has not taken a task yet
  std::list<std::thread> workers_ GUARDED_BY(mu_);      // joined by Shutdown()
  std::vector<std::thread::id> ended_ GUARDED_BY(mu_);  // retired threads not yet joined
  std::once_flag joined_;
  // Lane mode only.
  const std::shared_ptr<WorkerPool> shared_;
  const std::shared_ptr<LaneState> lane_;
};

}  // namespace zkx
