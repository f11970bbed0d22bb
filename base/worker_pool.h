#pragma once
// WorkerPool: a fixed set of owned threads that run submitted tasks, first in first out, from a bounded
// queue.
//
// Contract:
// - The threads start in the constructor and are joined by Shutdown() (also run by the destructor); the pool
//   never detaches a thread and never grows: `threads` is the bound on its threads.
// - TrySubmit() never blocks: it returns false (and destroys the task unrun) when `max_queued` tasks are
//   already waiting or the pool is shutting down. Callers decide what a refused task means.
// - A task must not throw (an escaping exception is caught and dropped) and should bound its own running
//   time: Shutdown() waits for the tasks that are running. Tasks still queued at Shutdown() are destroyed
//   without running.
// - A task must not call Shutdown() or destroy its own pool.
// Thread-safety: TrySubmit(), Queued() and Shutdown() may be called from any thread, concurrently.

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace zkx {

class WorkerPool {
 public:
  // `threads` and `max_queued` are at least 1. `name` (at most 15 characters are kept) names the threads.
  WorkerPool(std::string name, std::size_t threads, std::size_t max_queued);
  ~WorkerPool();
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  [[nodiscard]] bool TrySubmit(std::function<void()> task);
  void Shutdown();

  [[nodiscard]] std::size_t Threads() const { return workers_.size(); }
  [[nodiscard]] std::size_t Queued() const;

 private:
  void Work();

  const std::size_t max_queued_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> queue_;  // guarded by mu_
  bool stopping_ = false;                    // guarded by mu_
  std::vector<std::thread> workers_;         // written only by the constructor and Shutdown()
  std::once_flag joined_;
};

}  // namespace zkx
