#include "collectors/refresh_scheduler.h"

#include <algorithm>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <utility>
#include <vector>

#include "base/mutex.h"
#include "base/thread_annotations.h"

namespace zkx::collectors {

WalkThreads::WalkThreads(std::size_t workers, std::size_t max_workers, std::size_t max_queued)
    : pool_("walk", workers, max_queued, max_workers), scheduler_(&pool_, RefreshScheduler::kCoalesce) {}

WalkThreads::~WalkThreads() {
  Shutdown();
}

void WalkThreads::Shutdown() {
  scheduler_.Shutdown();
  pool_.Shutdown();
}

struct RefreshScheduler::Waiters {
  struct Waiter {
    Clock::time_point give_up;
    std::function<void(bool)> task;
  };
  explicit Waiters(std::function<bool()> c) : connected(std::move(c)) {}
  const std::function<bool()> connected;
  Mutex mu;
  std::vector<Waiter> waiting GUARDED_BY(mu);
  bool checking GUARDED_BY(mu) = false;  // a CheckWaiters is scheduled
  bool stopping GUARDED_BY(mu) = false;
  bool calling GUARDED_BY(mu) = false;  // connected() is running (Shutdown waits for it)
  std::condition_variable_any called;   // waits on mu
};

// A slot: its length and its index (start = index x length).
using Slot = std::pair<int64_t, int64_t>;

struct RefreshScheduler::Round {
  explicit Round(Slot s) : slot(s) {}
  const Slot slot;
  Mutex mu;
  std::vector<std::shared_ptr<RoundWalker>> walkers GUARDED_BY(mu);
};

struct RefreshScheduler::Rounds {
  Mutex mu;                                                    // taken before a Round's
  std::map<Slot, std::shared_ptr<Round>> open GUARDED_BY(mu);  // a round leaves as it starts
  bool stopping GUARDED_BY(mu) = false;                        // Shutdown(): no more rounds
};

RefreshScheduler::RefreshScheduler(std::function<bool()> connected, std::size_t workers)
    : threads_(std::make_shared<WalkThreads>(workers, workers, kMaxQueued)),
      owns_threads_(true),
      waiters_(std::make_shared<Waiters>(std::move(connected))),
      rounds_(std::make_shared<Rounds>()) {}

RefreshScheduler::RefreshScheduler(std::function<bool()> connected, std::shared_ptr<WalkThreads> shared)
    : threads_(std::move(shared)),
      owns_threads_(false),
      waiters_(std::make_shared<Waiters>(std::move(connected))),
      rounds_(std::make_shared<Rounds>()) {}

RefreshScheduler::~RefreshScheduler() {
  Shutdown();
}

void RefreshScheduler::RunAt(Clock::time_point when, std::function<void()> task) {
  (void)threads_->scheduler().RunAt(when, std::move(task));  // false only after Shutdown: the task is dropped
}

void RefreshScheduler::JoinRoundAt(Clock::time_point when, std::chrono::milliseconds interval,
                                   std::shared_ptr<RoundWalker> walker) {
  const Clock::duration length = std::clamp<Clock::duration>(
      std::chrono::duration_cast<Clock::duration>(interval) / kSlotsPerInterval, std::chrono::milliseconds(1),
      std::chrono::duration_cast<Clock::duration>(kMaxSlot));
  const int64_t index = (when.time_since_epoch().count() + length.count() - 1) / length.count();  // rounds up
  const Slot slot{length.count(), index};
  std::shared_ptr<Round> to_schedule;
  {
    MutexLock lock(rounds_->mu);
    if (rounds_->stopping) return;  // the walker is dropped unrun
    std::shared_ptr<Round>& round = rounds_->open[slot];
    if (round) {
      MutexLock round_lock(round->mu);
      if (round->walkers.size() < kMaxRound) {
        round->walkers.push_back(std::move(walker));
        return;
      }
    }
    round = std::make_shared<Round>(slot);  // a full round stays scheduled; later walkers start a new one
    MutexLock round_lock(round->mu);
    round->walkers.push_back(std::move(walker));
    to_schedule = round;
  }
  if (!threads_->scheduler().RunAt(Clock::time_point(Clock::duration(index * length.count())),
                                   [rounds = rounds_, round = to_schedule] { RunRound(rounds, round); })) {
    // Shut down meanwhile: the round will never run, so it must not take walkers.
    MutexLock lock(rounds_->mu);
    const auto it = rounds_->open.find(slot);
    if (it != rounds_->open.end() && it->second == to_schedule) rounds_->open.erase(it);
  }
}

RefreshScheduler::Clock::time_point RefreshScheduler::NextOnGrid(Clock::time_point started,
                                                                 std::chrono::milliseconds interval,
                                                                 uint64_t phase, Clock::time_point now) {
  const int64_t length = std::max<int64_t>(std::chrono::duration_cast<Clock::duration>(interval).count(), 1);
  if (now >= started + Clock::duration(length)) return now;  // a walk longer than the interval: at once
  const int64_t offset = static_cast<int64_t>(phase % static_cast<uint64_t>(length));
  const int64_t earliest = std::max((started + Clock::duration(length / 2)).time_since_epoch().count(),
                                    now.time_since_epoch().count());
  // The first offset + k x length >= earliest (k may be negative on a clock younger than the interval).
  const int64_t since = earliest - offset;
  const int64_t k = since >= 0 ? (since + length - 1) / length : -(-since / length);
  return Clock::time_point(Clock::duration(offset + k * length));
}

void RefreshScheduler::RunRound(const std::shared_ptr<Rounds>& rounds, const std::shared_ptr<Round>& round) {
  std::vector<std::shared_ptr<RoundWalker>> walkers;
  {
    MutexLock lock(rounds->mu);
    const auto it = rounds->open.find(round->slot);
    if (it != rounds->open.end() && it->second == round) rounds->open.erase(it);
    MutexLock round_lock(round->mu);
    walkers.swap(round->walkers);
    if (rounds->stopping) return;  // after Shutdown (shared threads run what was scheduled): dropped unrun
  }
  std::vector<zk::WalkJob> jobs;
  std::vector<RoundWalker*> walking;  // walking[i] runs jobs[i]
  jobs.reserve(walkers.size());
  walking.reserve(walkers.size());
  for (const std::shared_ptr<RoundWalker>& walker : walkers) {
    std::optional<zk::WalkJob> job = walker->BeginWalk();
    if (!job) continue;
    jobs.push_back(std::move(*job));
    walking.push_back(walker.get());
  }
  zk::WalkSubtrees(
      jobs, [&walking](std::size_t i, zk::WalkSummary summary) { walking[i]->EndWalk(std::move(summary)); });
}

void RefreshScheduler::WhenConnected(Clock::time_point give_up, std::function<void(bool)> task) {
  bool schedule = false;
  {
    MutexLock lock(waiters_->mu);
    if (waiters_->stopping) return;
    waiters_->waiting.push_back({give_up, std::move(task)});
    schedule = !std::exchange(waiters_->checking, true);
  }
  if (schedule) {
    Scheduler* scheduler = &threads_->scheduler();
    scheduler->RunOnTimerAt(Clock::now() + kReconnectPoll,
                            [waiters = waiters_, scheduler] { CheckWaiters(waiters, scheduler); });
  }
}

void RefreshScheduler::CheckWaiters(const std::shared_ptr<Waiters>& waiters, Scheduler* scheduler) {
  {
    MutexLock lock(waiters->mu);
    if (waiters->stopping) return;  // its RefreshScheduler has gone: `connected` may be gone too
    waiters->calling = true;
  }
  const bool up = waiters->connected();
  const auto now = Clock::now();
  std::vector<Waiters::Waiter> ready;
  bool again = false;
  {
    MutexLock lock(waiters->mu);
    waiters->calling = false;
    waiters->called.notify_all();
    if (waiters->stopping) return;
    std::vector<Waiters::Waiter> still;
    for (Waiters::Waiter& w : waiters->waiting) {
      if (up || now >= w.give_up) {
        ready.push_back(std::move(w));
      } else {
        still.push_back(std::move(w));
      }
    }
    waiters->waiting = std::move(still);
    again = !waiters->waiting.empty();
    waiters->checking = again;
  }
  if (again) {
    scheduler->RunOnTimerAt(now + kReconnectPoll, [waiters, scheduler] { CheckWaiters(waiters, scheduler); });
  }
  // Each on its own worker turn: a waiter may start a walk.
  for (Waiters::Waiter& w : ready) {
    scheduler->RunAt(now, [task = std::move(w.task), up] { task(up); });
  }
}

void RefreshScheduler::Shutdown() {
  std::map<Slot, std::shared_ptr<Round>> dropped_rounds;  // released outside the lock
  {
    MutexLock lock(rounds_->mu);
    rounds_->stopping = true;
    dropped_rounds.swap(rounds_->open);
  }
  std::vector<Waiters::Waiter> dropped;
  {
    MutexLock lock(waiters_->mu);
    waiters_->stopping = true;
    dropped.swap(waiters_->waiting);
    while (waiters_->calling) waiters_->called.wait(waiters_->mu);
  }
  if (owns_threads_) threads_->Shutdown();
}

}  // namespace zkx::collectors
