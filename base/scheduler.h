#pragma once
// Scheduler: runs tasks at given times on a WorkerPool. One owned timer thread holds the pending tasks in a
// min-heap and hands each to the pool when it is due; only RunOnTimerAt's tiny tasks run on the timer
// thread itself.
//
// Contract:
// - RunAt() never blocks and never fails while the scheduler runs: a task is kept until it is due. When the
//   pool's queue is full at that time, the task stays pending and is offered again a few milliseconds later,
//   so a burst of due tasks (10,000 subtrees at startup) drains at the pool's pace, in due order.
// - Tasks are the pool's tasks: they must not throw and should bound their running time.
// - Shutdown() (also run by the destructor) joins the timer thread and destroys the tasks still pending,
//   unrun; it does not shut the pool down. RunAt() after Shutdown() destroys the task and returns false.
// - Cost: the timer thread sleeps until the earliest due time; idle cost is one wake-up per due task.
//   With `coalesce` > 0 a task may run up to `coalesce` late: the timer sleeps until the earliest due
//   time plus `coalesce` and hands over every task due by then in one go, so tasks due close together cost
//   one wake-up of the timer, and the pool's workers (and whatever the tasks wake) run them as a batch.
//   On a small machine a context switch costs more than a short task (issue 16: 10,000 subtrees).
// Lifetime: `pool` must outlive the scheduler. Thread-safety: all methods from any thread.

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <queue>
#include <thread>
#include <vector>

#include "base/mutex.h"
#include "base/thread_annotations.h"
#include "base/worker_pool.h"

namespace zkx {

class Scheduler {
 public:
  using Clock = std::chrono::steady_clock;

  explicit Scheduler(WorkerPool* pool, std::chrono::milliseconds coalesce = std::chrono::milliseconds(0));
  ~Scheduler();
  Scheduler(const Scheduler&) = delete;
  Scheduler& operator=(const Scheduler&) = delete;

  bool RunAt(Clock::time_point when, std::function<void()> task);
  // Runs `task` on the timer thread itself when due, without the scheduler's lock: for a check that takes
  // microseconds and never blocks (e.g. "is the session back?" polled while it is down), so that polling
  // wakes no pool thread. It may call RunAt()/RunOnTimerAt(). A task that blocks delays every other task.
  bool RunOnTimerAt(Clock::time_point when, std::function<void()> task);
  void Shutdown();

  [[nodiscard]] std::size_t Pending() const;

 private:
  struct Item {
    Clock::time_point when;
    uint64_t seq;  // FIFO among equal times
    std::function<void()> task;
    bool on_timer = false;  // RunOnTimerAt: runs on the timer thread
  };
  struct Later {
    bool operator()(const Item& a, const Item& b) const {
      return a.when != b.when ? a.when > b.when : a.seq > b.seq;
    }
  };
  bool Add(Clock::time_point when, std::function<void()> task, bool on_timer) EXCLUDES(mu_);
  void Loop() EXCLUDES(mu_);

  WorkerPool* const pool_;
  const std::chrono::milliseconds coalesce_;
  mutable Mutex mu_;
  std::condition_variable_any cv_;
  std::priority_queue<Item, std::vector<Item>, Later> heap_ GUARDED_BY(mu_);
  uint64_t next_seq_ GUARDED_BY(mu_) = 0;
  bool stopping_ GUARDED_BY(mu_) = false;
  std::thread timer_;
};

}  // namespace zkx
