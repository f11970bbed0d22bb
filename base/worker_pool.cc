#include "base/worker_pool.h"

#include <algorithm>
#include <system_error>
#include <utility>

#include <pthread.h>

namespace zkx {

// A lane's budget, shared with its tasks on the shared pool (they may outlive the lane).
struct WorkerPool::LaneState {
  explicit LaneState(std::size_t cap) : max_in_flight(cap) {}
  const std::size_t max_in_flight;
  Mutex mu;
  std::condition_variable_any cv;
  std::size_t in_flight GUARDED_BY(mu) = 0;  // queued or running
  std::size_t running GUARDED_BY(mu) = 0;
  bool stopping GUARDED_BY(mu) = false;
};

// A waiting thread's own wake-up, so that TrySubmit can choose which thread runs the task.
struct WorkerPool::IdleThread {
  std::condition_variable_any cv;
  // Guarded by the pool's mu_ (which clang cannot name from a nested struct): TrySubmit gave this thread a
  // task to look for.
  bool woken = false;
};

namespace {
std::string ThreadName(std::string name) {
  if (name.size() > 15) name.resize(15);  // the kernel's limit for a thread name
  return name;
}
}  // namespace

WorkerPool::WorkerPool(std::string name, std::size_t threads, std::size_t max_queued, std::size_t max_threads,
                       std::chrono::milliseconds idle_retire)
    : name_(ThreadName(std::move(name))),
      min_threads_(std::max<std::size_t>(threads, 1)),
      max_threads_(std::max(min_threads_, max_threads)),
      max_queued_(std::max<std::size_t>(max_queued, 1)),
      idle_retire_(idle_retire) {
  MutexLock lock(mu_);
  for (std::size_t i = 0; i < min_threads_; ++i) (void)Spawn();
}

WorkerPool::WorkerPool(std::shared_ptr<WorkerPool> shared, std::size_t max_in_flight)
    : max_queued_(std::max<std::size_t>(max_in_flight, 1)),
      shared_(std::move(shared)),
      lane_(std::make_shared<LaneState>(std::max<std::size_t>(max_in_flight, 1))) {}

std::unique_ptr<WorkerPool> WorkerPool::Lane(std::shared_ptr<WorkerPool> shared, std::size_t max_in_flight) {
  return std::unique_ptr<WorkerPool>(new WorkerPool(std::move(shared), max_in_flight));
}

WorkerPool::~WorkerPool() {
  Shutdown();
}

bool WorkerPool::Spawn(bool waker) {
  // Join the threads that retired (they released mu_ when they recorded themselves: joining is quick).
  for (const std::thread::id id : ended_) {
    auto it = std::find_if(workers_.begin(), workers_.end(),
                           [&](const std::thread& t) { return t.get_id() == id; });
    if (it == workers_.end()) continue;
    it->join();
    workers_.erase(it);
  }
  ended_.clear();
  const bool core = live_ < min_threads_;
  try {
    workers_.emplace_back([this, core, waker] { Work(core, waker); });
  } catch (const std::system_error&) {
    return false;  // no thread now: the queued task waits for a running one
  }
  ++live_;
  pthread_setname_np(workers_.back().native_handle(), name_.c_str());
  return true;
}

void WorkerPool::WakeOneLocked() {
  // One thread woken at a time: the woken one wakes the next when it takes a task and more are waiting.
  if (waking_ || queue_.empty()) return;
  if (!idle_.empty()) {
    // The thread idle the shortest time, so that the others stay idle long enough to retire. Notified
    // under the lock: once `woken` is set the thread may return and its IdleThread go.
    IdleThread* next = idle_.back();
    idle_.pop_back();
    next->woken = true;
    next->cv.notify_one();
    waking_ = true;
  } else if (live_ < max_threads_ && Spawn(/*waker=*/true)) {
    waking_ = true;
  }
}

bool WorkerPool::TrySubmit(std::function<void()> task) {
  if (lane_) {
    const std::shared_ptr<LaneState> lane = lane_;
    {
      MutexLock lock(lane->mu);
      if (lane->stopping || lane->in_flight >= lane->max_in_flight) return false;
      ++lane->in_flight;
    }
    // Gives the budget back when the task is destroyed: after it ran, or unrun (lane or shared pool stopped).
    struct Ticket {
      std::shared_ptr<LaneState> lane;
      ~Ticket() {
        if (!lane) return;
        {
          MutexLock lock(lane->mu);
          --lane->in_flight;
        }
        lane->cv.notify_all();
      }
    };
    auto ticket = std::make_shared<Ticket>();
    ticket->lane = lane;
    return shared_->TrySubmit([ticket, task = std::move(task)] {
      LaneState& l = *ticket->lane;
      {
        MutexLock lock(l.mu);
        if (l.stopping) return;  // the lane's owner has gone: not run
        ++l.running;
      }
      try {
        task();
      } catch (...) {  // a boundary, as on the pool's own threads
      }
      {
        MutexLock lock(l.mu);
        --l.running;
      }
      l.cv.notify_all();
    });
  }
  {
    MutexLock lock(mu_);
    if (stopping_ || queue_.size() >= max_queued_) return false;
    queue_.push_back(std::move(task));
    WakeOneLocked();
  }
  return true;
}

std::size_t WorkerPool::Threads() const {
  if (lane_) return 0;
  MutexLock lock(mu_);
  return live_;
}

std::size_t WorkerPool::Queued() const {
  if (lane_) {
    MutexLock lock(lane_->mu);
    return lane_->in_flight;
  }
  MutexLock lock(mu_);
  return queue_.size();
}

void WorkerPool::Shutdown() {
  if (lane_) {
    MutexLock lock(lane_->mu);
    lane_->stopping = true;
    lane_->cv.wait(lane_->mu, [this]() REQUIRES(lane_->mu) { return lane_->running == 0; });
    return;
  }
  std::deque<std::function<void()>> dropped;
  {
    MutexLock lock(mu_);
    stopping_ = true;
    dropped.swap(queue_);
    for (IdleThread* idle : idle_) idle->cv.notify_one();  // under the lock, as in TrySubmit
  }
  dropped.clear();  // outside the lock: a task's captures may have destructors that take other locks
  std::call_once(joined_, [this] {
    std::list<std::thread> workers;
    {
      MutexLock lock(mu_);  // no thread is added once stopping_ is set
      workers.swap(workers_);
    }
    for (std::thread& t : workers) {
      if (t.joinable()) t.join();
    }
  });
}

void WorkerPool::Work(bool core, bool waker) {
  MutexLock lock(mu_);
  for (;;) {
    if (stopping_) {
      --live_;
      return;
    }
    if (waker) {
      waking_ = false;  // this thread takes a task now, or finds none and goes idle
      waker = false;
    }
    if (queue_.empty()) {
      IdleThread me;
      idle_.push_back(&me);
      const auto woken = [&]() REQUIRES(mu_) { return me.woken || stopping_; };
      if (core) {
        me.cv.wait(mu_, woken);
      } else if (!me.cv.wait_for(mu_, idle_retire_, woken)) {
        // An added thread idle for idle_retire_: it ends; the next Spawn() (or Shutdown()) joins it.
        idle_.erase(std::find(idle_.begin(), idle_.end(), &me));
        --live_;
        ended_.push_back(std::this_thread::get_id());
        return;
      }
      waker = me.woken;
      if (!me.woken) idle_.erase(std::find(idle_.begin(), idle_.end(), &me));  // stopping: still listed
      continue;  // the queue may be empty again: a running thread can take the task first
    }
    std::function<void()> task = std::move(queue_.front());
    queue_.pop_front();
    WakeOneLocked();  // more tasks waiting: the next thread
    mu_.unlock();     // `lock` still owns mu_: it is locked again below, before the loop goes on
    try {
      task();
    } catch (...) {  // a boundary: a task that throws loses its own work, never the worker
    }
    task = nullptr;  // its captures are destroyed outside the lock
    mu_.lock();
  }
}

}  // namespace zkx
