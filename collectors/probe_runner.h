#pragma once
// RunConcurrently: runs one task per server on a WorkerPool the caller owns and waits until all have finished
// or the deadline passes, whichever is first, so one slow server never stalls a scrape.
//
// A task still running at the deadline is abandoned by this call, not by the pool: it keeps running on its
// worker and holds only a shared_ptr to the result table, so it may finish later without touching the
// caller's stack; the pool's owner joins it at shutdown. Tasks must therefore own everything they use
// (capture by value) and bound their own work (the server probes poll() with a deadline; only getaddrinfo
// cannot be interrupted). A task that has not started by the deadline is not run. Results of abandoned,
// unstarted or refused tasks (the pool's queue is full) are nullopt.
// Thread-safety: call from any thread; the pool is the only state shared between calls. Never throws
// (a task that throws leaves its result nullopt).

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <utility>
#include <vector>

#include "base/mutex.h"
#include "base/thread_annotations.h"
#include "base/worker_pool.h"

namespace zkx::collectors {

// A pool for one collector's probes: one worker per server (at most 16), room for a few scrapes' tasks.
// Given `shared` (the /probe targets share one), a lane of it with the same budget and no thread of its own.
inline std::unique_ptr<WorkerPool> MakeProbePool(const char* name, std::size_t servers,
                                                 std::shared_ptr<WorkerPool> shared = nullptr) {
  const std::size_t threads = std::clamp<std::size_t>(servers, 1, 16);
  if (shared) return WorkerPool::Lane(std::move(shared), 4 * threads);
  return std::make_unique<WorkerPool>(name, threads, 4 * threads);
}

template <typename T>
std::vector<std::optional<T>> RunConcurrently(WorkerPool& pool, std::vector<std::function<T()>> tasks,
                                              std::chrono::steady_clock::time_point deadline) {
  struct State {
    explicit State(std::size_t n) : results(n) {}
    Mutex mu;
    std::condition_variable_any cv;  // waits on mu
    std::vector<std::optional<T>> results GUARDED_BY(mu);
    std::size_t done GUARDED_BY(mu) = 0;
  };
  auto state = std::make_shared<State>(tasks.size());
  std::size_t submitted = 0;
  for (std::size_t i = 0; i < tasks.size(); ++i) {
    const bool accepted = pool.TrySubmit([state, i, deadline, task = std::move(tasks[i])]() mutable {
      std::optional<T> value;
      if (std::chrono::steady_clock::now() < deadline) {
        try {
          value = task();
        } catch (...) {  // a boundary: nothing escapes a probe task
        }
      }
      MutexLock lock(state->mu);
      state->results[i] = std::move(value);
      ++state->done;
      state->cv.notify_all();
    });
    if (accepted) ++submitted;  // refused: this server's result stays nullopt
  }
  MutexLock lock(state->mu);
  while (state->done < submitted && state->cv.wait_until(state->mu, deadline) != std::cv_status::timeout) {
  }
  std::vector<std::optional<T>> out;
  out.reserve(state->results.size());
  for (auto& r : state->results) out.push_back(r);  // copy: abandoned tasks may still write later
  return out;
}

}  // namespace zkx::collectors
