#include "base/scheduler.h"

#include <memory>
#include <utility>
#include <vector>

#include <pthread.h>

namespace zkx {
namespace {
// How long a due task waits before it is offered again to a pool whose queue was full.
constexpr std::chrono::milliseconds kPoolFullRetry{5};
}  // namespace

Scheduler::Scheduler(WorkerPool* pool, std::chrono::milliseconds coalesce)
    : pool_(pool), coalesce_(coalesce) {
  timer_ = std::thread([this] { Loop(); });
  pthread_setname_np(timer_.native_handle(), "scheduler");
}

Scheduler::~Scheduler() {
  Shutdown();
}

bool Scheduler::RunAt(Clock::time_point when, std::function<void()> task) {
  return Add(when, std::move(task), /*on_timer=*/false);
}

bool Scheduler::RunOnTimerAt(Clock::time_point when, std::function<void()> task) {
  return Add(when, std::move(task), /*on_timer=*/true);
}

bool Scheduler::Add(Clock::time_point when, std::function<void()> task, bool on_timer) {
  {
    MutexLock lock(mu_);
    if (stopping_) return false;
    const bool earliest = heap_.empty() || when < heap_.top().when;
    heap_.push(Item{when, next_seq_++, std::move(task), on_timer});
    if (!earliest) return true;  // the timer already wakes up in time
  }
  cv_.notify_one();
  return true;
}

std::size_t Scheduler::Pending() const {
  MutexLock lock(mu_);
  return heap_.size();
}

void Scheduler::Shutdown() {
  {
    MutexLock lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (timer_.joinable()) timer_.join();
  std::priority_queue<Item, std::vector<Item>, Later> dropped;
  {
    MutexLock lock(mu_);
    dropped.swap(heap_);
  }
  // The tasks' captures are destroyed here, unrun, outside the lock.
}

void Scheduler::Loop() {
  MutexLock lock(mu_);
  while (!stopping_) {
    if (heap_.empty()) {
      cv_.wait(mu_, [this]() REQUIRES(mu_) { return stopping_ || !heap_.empty(); });
      continue;
    }
    const Clock::time_point due = heap_.top().when;
    if (Clock::now() < due) {
      cv_.wait_until(mu_, due + coalesce_);
      if (stopping_) break;
      if (Clock::now() < due + coalesce_) continue;  // woken early: an earlier task may have arrived
    }
    // Hand every due task to the pool; stop at the first one the pool refuses. The timer's own tasks run
    // after that, without the lock (they may schedule more).
    bool refused = false;
    std::vector<std::function<void()>> on_timer;
    while (!heap_.empty() && heap_.top().when <= Clock::now()) {
      // priority_queue::top() is const: move the task out through a copy of the item's slot.
      Item item = std::move(const_cast<Item&>(heap_.top()));
      heap_.pop();
      if (item.on_timer) {
        on_timer.push_back(std::move(item.task));
        continue;
      }
      std::function<void()> task = std::move(item.task);
      auto keep = std::make_shared<std::function<void()>>(std::move(task));
      if (!pool_->TrySubmit([keep] { (*keep)(); })) {
        item.task = std::move(*keep);
        item.when = Clock::now() + kPoolFullRetry;
        heap_.push(std::move(item));
        refused = true;
        break;
      }
    }
    if (!on_timer.empty()) {
      mu_.unlock();  // `lock` still owns mu_: locked again below
      for (std::function<void()>& task : on_timer) {
        try {
          task();
        } catch (...) {  // a boundary, as on the pool's threads
        }
        task = nullptr;  // captures destroyed outside the lock
      }
      mu_.lock();
    }
    if (refused) cv_.wait_for(mu_, kPoolFullRetry, [this]() REQUIRES(mu_) { return stopping_; });
  }
}

}  // namespace zkx
