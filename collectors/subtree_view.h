#pragma once
// SubtreeView: what readers (the tree collector's scrape, the landing page) see of one subtree: the snapshot
// of the last successful walk, the outcome of the latest attempt, cumulative counters, and the watch-mode
// state. A plain value type, published by SubtreeRefresher as std::shared_ptr<const SubtreeView> (replaced,
// never mutated), so that the pure functions that turn views into metric families need not know the
// threaded classes that make them.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>

#include "base/status.h"
#include "collectors/subtree_spec.h"
#include "collectors/tree_snapshot.h"

namespace zkx::collectors {

// The watch-mode side of a SubtreeView.
struct WatchState {
  RefreshMode mode = RefreshMode::kPoll;  // the mode in effect (a watch subtree may have fallen back to poll)
  uint64_t created_total = 0;
  uint64_t deleted_total = 0;
  uint64_t data_changed_total = 0;
  uint64_t children_changed_total = 0;
  uint64_t resyncs_total = 0;     // full (re)syncs
  std::size_t watched_bytes = 0;  // this subtree's share of the watch budget
};

struct SubtreeView {
  std::shared_ptr<const SubtreeSnapshot> last_success;  // null until the first successful walk
  Status last_status;                                   // outcome of the latest attempt
  std::chrono::system_clock::time_point last_attempt{};
  uint64_t refreshes_total = 0;                      // attempts, successful or not
  uint64_t refresh_failures_total = 0;               // attempts that produced no snapshot
  RefreshMode configured_mode = RefreshMode::kPoll;  // the spec's mode
  WatchState watch;                                  // the mode in effect and, in watch mode, change counters
};

}  // namespace zkx::collectors
