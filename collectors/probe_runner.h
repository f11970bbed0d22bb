#pragma once
// RunConcurrently: runs one task per server on its own thread and waits until all have finished or the
// deadline passes, whichever is first, so one slow server never stalls a scrape.
//
// A task still running at the deadline is abandoned: its thread is detached and keeps only a shared_ptr to
// the result table, so it may finish later without touching the caller's stack. Tasks must therefore own
// everything they use (capture by value) and bound their own work (the server probes poll() with a deadline;
// only getaddrinfo cannot be interrupted). Results of abandoned tasks are nullopt.
// Thread-safety: call from any thread; no shared state between calls. Never throws (a thread that cannot be
// started leaves its result nullopt).

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <system_error>
#include <thread>
#include <utility>
#include <vector>

namespace zkx::collectors {

template <typename T>
std::vector<std::optional<T>> RunConcurrently(std::vector<std::function<T()>> tasks,
                                              std::chrono::steady_clock::time_point deadline) {
  struct State {
    std::mutex mu;
    std::condition_variable cv;
    std::vector<std::optional<T>> results;  // guarded by mu
    std::size_t done = 0;                   // guarded by mu
  };
  auto state = std::make_shared<State>();
  state->results.resize(tasks.size());
  std::size_t started = 0;
  for (std::size_t i = 0; i < tasks.size(); ++i) {
    try {
      std::thread([state, i, task = std::move(tasks[i])]() mutable {
        std::optional<T> value;
        try {
          value = task();
        } catch (...) {  // a boundary: nothing escapes a probe thread
        }
        std::lock_guard<std::mutex> lock(state->mu);
        state->results[i] = std::move(value);
        ++state->done;
        state->cv.notify_all();
      }).detach();
      ++started;
    } catch (const std::system_error&) {
      // Out of threads: this server's result stays nullopt.
    }
  }
  std::unique_lock<std::mutex> lock(state->mu);
  state->cv.wait_until(lock, deadline, [&] { return state->done >= started; });
  std::vector<std::optional<T>> out;
  out.reserve(state->results.size());
  for (auto& r : state->results) out.push_back(r);  // copy: abandoned tasks may still write later
  return out;
}

}  // namespace zkx::collectors
