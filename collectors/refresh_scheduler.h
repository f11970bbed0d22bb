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
// JoinRoundAt(when, interval, walker): poll walks due in the same time slot run as one round on one worker
// (zk::WalkSubtrees: one pipeline, one wait for replies), at most kMaxRound walks a round. A slot is
// 1/kSlotsPerInterval of the walker's refresh interval, at most kMaxSlot: a walk starts at most that late.
// 10,000 small subtrees polled every 30 s are then 4 rounds a second of ~83 walks each, not 333 walks each
// waking the worker, the client's IO thread and its completion thread (issue 16's idle CPU).
//
// NextOnGrid(started, interval, phase): when the walk after one that started at `started` is due. Each
// subtree keeps to its own grid, phase + k x interval (its phase a hash of its root), at least half an
// interval after `started` and not before now. Started together, 10,000 subtrees would otherwise stay
// together for good, a burst of every walk once an interval; on their grids their walks spread over the
// interval (as Prometheus spreads its targets' scrapes), after a start or an outage alike, and each keeps a
// steady period of one interval (a walk longer than that is followed by the next at once).
//
// Contract: tasks must not throw and should bound their running time (a walk is bounded by its timeout).
// Shutdown() (also the destructor) drops the waiting tasks and the walkers of rounds not yet started, unrun
// (later JoinRoundAt calls drop theirs at once); a scheduler that owns its WalkThreads also
// stops them (running tasks finish, pending ones are destroyed unrun). On shared WalkThreads a task already
// scheduled stays pending until due: tasks own what they use (refreshers' tasks find them stopped).
// Owners stop their refreshers first.
// Thread-safety: all methods from any thread. Lifetime: `connected` must outlive the scheduler and every
// check it scheduled (TreeCollectors pass a function over the session, which outlives its targets' walks).

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>

#include "base/scheduler.h"
#include "base/worker_pool.h"
#include "zk/subtree_walk.h"

namespace zkx::collectors {

// A poll walk that may share a round with others (RefreshScheduler::JoinRoundAt).
class RoundWalker {
 public:
  virtual ~RoundWalker() = default;
  // On the round's worker as the round starts: the walk to run in it, or nullopt when there is none now
  // (stopped, or the session is down and the walker waits for it on its own). Must not block for long.
  virtual std::optional<zk::WalkJob> BeginWalk() = 0;
  // On the same worker, exactly once after a BeginWalk that returned a job, as soon as that walk has
  // ended (the round's other walks may still run). May block briefly (ACL and value reads).
  virtual void EndWalk(zk::WalkSummary summary) = 0;
};

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
  // Most walks in one round: bounds what one worker holds and how long the round's last walk waits.
  static constexpr std::size_t kMaxRound = 4096;
  // A round's time slot: a fraction of the refresh interval (1 s, the floor, gives 31 ms), at most 250 ms.
  static constexpr int kSlotsPerInterval = 32;
  static constexpr std::chrono::milliseconds kMaxSlot{250};

  // Owns its WalkThreads: `workers` fixed workers and the timer.
  explicit RefreshScheduler(std::function<bool()> connected, std::size_t workers = kWalkWorkers);
  // Runs on `shared` (not null), which outlives nothing it needs: it is kept alive by this scheduler.
  RefreshScheduler(std::function<bool()> connected, std::shared_ptr<WalkThreads> shared);
  ~RefreshScheduler();
  RefreshScheduler(const RefreshScheduler&) = delete;
  RefreshScheduler& operator=(const RefreshScheduler&) = delete;

  void RunAt(Clock::time_point when, std::function<void()> task);
  void WhenConnected(Clock::time_point give_up, std::function<void(bool connected_now)> task);
  // Walks `walker` in the round of the slot (sized by `interval`, the walker's refresh interval) that `when`
  // falls in, starting at the slot's end. The round holds `walker` until it runs (or, after Shutdown, is
  // dropped unrun).
  void JoinRoundAt(Clock::time_point when, std::chrono::milliseconds interval,
                   std::shared_ptr<RoundWalker> walker);
  void Shutdown();

  // Pure (unit-tested): `now` if a whole interval has passed since `started` (a walk longer than the
  // interval is followed by the next at once, never by catch-up walks); otherwise the first
  // phase + k x interval at or after max(started + interval / 2, now). `interval` > 0.
  static Clock::time_point NextOnGrid(Clock::time_point started, std::chrono::milliseconds interval,
                                      uint64_t phase, Clock::time_point now);

  [[nodiscard]] std::size_t Threads() const { return threads_->Threads(); }

 private:
  struct Waiters;  // shared with the scheduled checks, which may outlive this scheduler on shared threads
  static void CheckWaiters(const std::shared_ptr<Waiters>& waiters, Scheduler* scheduler);
  struct Round;
  struct Rounds;  // the rounds still open to walkers, shared with the scheduled rounds
  static void RunRound(const std::shared_ptr<Rounds>& rounds, const std::shared_ptr<Round>& round);

  const std::shared_ptr<WalkThreads> threads_;
  const bool owns_threads_;
  const std::shared_ptr<Waiters> waiters_;
  const std::shared_ptr<Rounds> rounds_;
};

}  // namespace zkx::collectors
