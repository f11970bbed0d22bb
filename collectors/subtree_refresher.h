#pragma once
// SubtreeRefresher: walks one subtree in the background every refresh interval and publishes the result.
//
// Each walk produces a new immutable SubtreeSnapshot. What readers see is a SubtreeView: the snapshot of the
// last successful walk (kept while ZooKeeper is unreachable, labelled by its completion time) plus the
// outcome of the latest attempt and cumulative counters. A root that does not exist is a successful walk
// with an empty snapshot (root_exists = false): a vanished subtree vanishes from /metrics.
//
// Threads: one background thread per refresher. View() is thread-safe and cheap (copies a shared_ptr).
// Lifetime: `reader` and `connected` must outlive the refresher; Stop() (also run by the destructor)
// joins the thread, waiting at most for the walk in progress (bounded by the walk's timeout).

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "base/status.h"
#include "collectors/subtree_spec.h"
#include "collectors/tree_snapshot.h"
#include "collectors/watch_budget.h"
#include "collectors/watch_refresher.h"
#include "collectors/znode_pattern.h"
#include "zk/znode_reader.h"

namespace zkx::collectors {

struct SubtreeView {
  std::shared_ptr<const SubtreeSnapshot> last_success;  // null until the first successful walk
  Status last_status;                                   // outcome of the latest attempt
  std::chrono::system_clock::time_point last_attempt{};
  uint64_t refreshes_total = 0;                      // attempts, successful or not
  uint64_t refresh_failures_total = 0;               // attempts that produced no snapshot
  RefreshMode configured_mode = RefreshMode::kPoll;  // the spec's mode
  WatchState watch;                                  // the mode in effect and, in watch mode, change counters
};

class SubtreeRefresher {
 public:
  // `spec` must be valid (root normalised, patterns parse); invalid patterns are skipped with a warning.
  // A kWatch spec is refreshed by a WatchRefresher holding a share of `budget` (which must then outlive the
  // refresher); without a budget it is polled.
  SubtreeRefresher(SubtreeSpec spec, zk::ZnodeReader* reader, std::function<bool()> connected,
                   WatchBudget* budget = nullptr);
  ~SubtreeRefresher();
  SubtreeRefresher(const SubtreeRefresher&) = delete;
  SubtreeRefresher& operator=(const SubtreeRefresher&) = delete;

  void Start();
  void Stop();

  [[nodiscard]] std::shared_ptr<const SubtreeView> View() const;
  [[nodiscard]] const SubtreeSpec& spec() const { return spec_; }

 private:
  void Run();
  // Waits until `until` or Stop(); returns false when stopping.
  bool SleepUntil(std::chrono::steady_clock::time_point until);
  void RefreshOnce();
  void RunPoll();
  // `full_walk`: counts as a refresh attempt. `watch`: the watch-mode state to show (null: keep it).
  void Publish(std::shared_ptr<const SubtreeSnapshot> snapshot, Status status, bool full_walk = true,
               const WatchState* watch = nullptr);

  const SubtreeSpec spec_;
  std::vector<ZnodePattern> patterns_;
  zk::ZnodeReader* const reader_;
  const std::function<bool()> connected_;
  WatchBudget* const budget_;
  std::unique_ptr<ValueTracker> values_;  // value rules (poll mode); refresher thread only

  mutable std::mutex mu_;
  WatchRefresher* watch_ = nullptr;          // guarded by mu_: set while the watch loop runs
  std::condition_variable cv_;               // signalled by Stop()
  bool stopping_ = false;                    // guarded by mu_
  std::shared_ptr<const SubtreeView> view_;  // guarded by mu_; replaced, never mutated
  std::thread thread_;
};

}  // namespace zkx::collectors
