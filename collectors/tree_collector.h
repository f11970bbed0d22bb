#pragma once
// TreeCollector ("tree"): walks the configured subtrees in the background, one SubtreeRefresher each, and
// builds the subtree and per-znode families from their latest views at scrape time.
//
// Thread-safety: all methods are thread-safe. Configure() may run while scrapes are in progress (SIGHUP).
// Lifetime: `reader` and `connected` must outlive the collector; Stop() (and the destructor) joins every
// refresher.

#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "base/mutex.h"
#include "collectors/collector.h"
#include "collectors/refresh_scheduler.h"
#include "collectors/subtree_refresher.h"
#include "collectors/subtree_spec.h"
#include "collectors/watch_budget.h"
#include "collectors/watch_sessions.h"
#include "zk/znode_reader.h"

namespace zkx::collectors {

struct SubtreeSummary {
  std::string root;
  std::shared_ptr<const SubtreeView> view;
};

class TreeCollector final : public Collector {
 public:
  // `max_watch_bytes`: the budget of watched path bytes of each watch session, shared by watch-mode
  // subtrees; `chroot_length`: the session's chroot, which the client prefixes to every watched path
  // (WatchBudget). `shared_walks`: walk on these threads (the /probe targets share one set); null: the
  // collector's own. `watch`: where watch-mode subtrees keep their watches (its reader's WatchShardCount()
  // sessions, each with a budget of max_watch_bytes); empty: `reader` and `connected`, one session.
  TreeCollector(zk::ZnodeReader* reader, std::function<bool()> connected,
                std::size_t max_watch_bytes = WatchBudget::kDefaultLimit, std::size_t chroot_length = 0,
                std::shared_ptr<WalkThreads> shared_walks = nullptr, WatchSessions watch = {});
  ~TreeCollector() override;

  // Replaces the set of subtrees. Refreshers whose spec is unchanged keep running (and keep their snapshot);
  // the others are stopped and new ones started.
  void Configure(std::vector<SubtreeSpec> specs);
  void Stop();

  // True when every configured subtree has had a successful walk (the readiness condition).
  [[nodiscard]] bool AllWalkedOnce() const;
  [[nodiscard]] std::vector<SubtreeSummary> Summaries() const;

  Status Collect(std::chrono::steady_clock::time_point deadline, FamilySink out) override;

 private:
  [[nodiscard]] std::vector<std::shared_ptr<SubtreeRefresher>> Refreshers() const;

  zk::ZnodeReader* const reader_;
  const std::function<bool()> connected_;
  const WatchSessions watch_;
  WatchBudget budget_;  // outlives every refresher (they are stopped in Stop() / the destructor)
  // The poll-mode walks of every subtree: a few workers and one timer thread (see refresh_scheduler.h),
  // owned or shared. Declared after budget_ and before refreshers_: outlives every refresher.
  const std::unique_ptr<RefreshScheduler> scheduler_;
  mutable Mutex mu_;
  std::vector<std::shared_ptr<SubtreeRefresher>> refreshers_ GUARDED_BY(mu_);
};

}  // namespace zkx::collectors
