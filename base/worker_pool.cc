#include "base/worker_pool.h"

#include <algorithm>
#include <utility>

#include <pthread.h>

namespace zkx {

WorkerPool::WorkerPool(std::string name, std::size_t threads, std::size_t max_queued)
    : max_queued_(std::max<std::size_t>(max_queued, 1)) {
  if (name.size() > 15) name.resize(15);  // the kernel's limit for a thread name
  const std::size_t n = std::max<std::size_t>(threads, 1);
  workers_.reserve(n);
  for (std::size_t i = 0; i < n; ++i) {
    workers_.emplace_back([this] { Work(); });
    pthread_setname_np(workers_.back().native_handle(), name.c_str());
  }
}

WorkerPool::~WorkerPool() {
  Shutdown();
}

bool WorkerPool::TrySubmit(std::function<void()> task) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_ || queue_.size() >= max_queued_) return false;
    queue_.push_back(std::move(task));
  }
  cv_.notify_one();
  return true;
}

std::size_t WorkerPool::Queued() const {
  std::lock_guard<std::mutex> lock(mu_);
  return queue_.size();
}

void WorkerPool::Shutdown() {
  std::deque<std::function<void()>> dropped;
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
    dropped.swap(queue_);
  }
  cv_.notify_all();
  dropped.clear();  // outside the lock: a task's captures may have destructors that take other locks
  std::call_once(joined_, [this] {
    for (std::thread& t : workers_) {
      if (t.joinable()) t.join();
    }
  });
}

void WorkerPool::Work() {
  for (;;) {
    std::function<void()> task;
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (stopping_) return;
      task = std::move(queue_.front());
      queue_.pop_front();
    }
    try {
      task();
    } catch (...) {  // a boundary: a task that throws loses its own work, never the worker
    }
  }
}

}  // namespace zkx
