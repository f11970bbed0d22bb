#pragma once
// SubtreeRefresher: walks one subtree in the background every refresh interval and publishes the result.
//
// Each walk produces a new immutable SubtreeSnapshot. What readers see is a SubtreeView: the snapshot of the
// last successful walk (kept while ZooKeeper is unreachable, labelled by its completion time) plus the
// outcome of the latest attempt and cumulative counters. A root that does not exist is a successful walk
// with an empty snapshot (root_exists = false): a vanished subtree vanishes from /metrics.
//
// Threads: a poll-mode refresher owns no thread: its walks are tasks on a RefreshScheduler shared by all the
// subtrees of a TreeCollector (a few workers and one timer, whatever the number of subtrees), and walks due
// about the same time run together, as one round on one worker (RefreshScheduler::JoinRoundAt). A watch-mode
// refresher runs its WatchRefresher on a thread of its own (watch mode is bounded by the watch budget) and,
// after a fallback to poll mode, hands over to the scheduler. View() is thread-safe and cheap (copies a
// shared_ptr).
// Lifetime: `reader`, `connected` and `scheduler` must outlive the refresher; Stop() (also run by the
// destructor) waits at most for the walk in progress: its timeout runs from its first request, which a
// round of many walks may hold back while its window is full (the round shares it round-robin), so a round
// of many big walks makes Stop() wait longer. Afterwards a pending scheduled task finds the refresher
// stopped and does nothing.

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <thread>
#include <vector>

#include "base/mutex.h"
#include "base/status.h"
#include "base/thread_annotations.h"
#include "collectors/refresh_scheduler.h"
#include "collectors/subtree_spec.h"
#include "collectors/subtree_view.h"
#include "collectors/tree_snapshot.h"
#include "collectors/watch_budget.h"
#include "collectors/watch_refresher.h"
#include "collectors/watch_sessions.h"
#include "collectors/znode_pattern.h"
#include "zk/znode_reader.h"

namespace zkx::collectors {

class SubtreeRefresher {
 public:
  // `spec` must be valid (root normalised, patterns parse); invalid patterns are skipped with a warning.
  // A kWatch spec is refreshed by a WatchRefresher holding a share of `budget` (which must then outlive the
  // refresher); without a budget it is polled.
  // `scheduler`: shared walk workers; null gives the refresher a private one (one worker), for tests.
  // `watch`: where watch mode keeps its watches (several sessions: `budget` must have as many); empty:
  // `reader` and `connected`. After a fallback, poll mode uses `reader` and `connected`.
  SubtreeRefresher(SubtreeSpec spec, zk::ZnodeReader* reader, std::function<bool()> connected,
                   WatchBudget* budget = nullptr, RefreshScheduler* scheduler = nullptr,
                   WatchSessions watch = {});
  ~SubtreeRefresher();
  SubtreeRefresher(const SubtreeRefresher&) = delete;
  SubtreeRefresher& operator=(const SubtreeRefresher&) = delete;

  void Start();
  // Stops walking. Watch mode leaves its watches armed: for a session that closes next, which drops them.
  void Stop();
  // Stop(), and watch mode removes every watch it armed first: for a subtree a reload drops while its
  // session stays (WatchRefresher, "Stopping").
  void Retire();

  [[nodiscard]] std::shared_ptr<const SubtreeView> View() const;
  [[nodiscard]] const SubtreeSpec& spec() const;

 private:
  void StopAnd(WatchRefresher::OnStop on_stop);
  // Everything a scheduled task touches, shared with the tasks so that a task still pending after Stop()
  // (or after the refresher is gone) finds `stopping` and returns. Its mutable state, and whether Start()
  // ran, are GUARDED_BY its mutex (in the .cc, where the analysis can check them).
  struct Core;
  void RunWatch();

  std::unique_ptr<RefreshScheduler> own_scheduler_;  // only when none was given
  std::shared_ptr<Core> core_;
  // Start() and Stop() hold join_mu_ (before the core's mutex) around watch_thread_ (watch mode only), so
  // that concurrent Stop()s join it once.
  Mutex join_mu_;
  std::thread watch_thread_ GUARDED_BY(join_mu_);
};

}  // namespace zkx::collectors
