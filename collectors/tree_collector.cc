#include "collectors/tree_collector.h"

#include <algorithm>
#include <utility>

#include <spdlog/spdlog.h>

#include "collectors/tree_metrics.h"
#include "collectors/value_metrics.h"

namespace zkx::collectors {

TreeCollector::TreeCollector(zk::ZnodeReader* reader, std::function<bool()> connected,
                             std::size_t max_watch_bytes, std::size_t chroot_length,
                             std::shared_ptr<WalkThreads> shared_walks, WatchSessions watch)
    : reader_(reader),
      connected_(std::move(connected)),
      watch_(std::move(watch)),
      budget_(max_watch_bytes, chroot_length,
              watch_.reader != nullptr ? watch_.reader->WatchShardCount() : 1),
      scheduler_(shared_walks ? std::make_unique<RefreshScheduler>(connected_, std::move(shared_walks))
                              : std::make_unique<RefreshScheduler>(connected_)) {}

TreeCollector::~TreeCollector() {
  Stop();
  scheduler_->Shutdown();  // its checks use connected_, a member: stopped before the members go
}

void TreeCollector::Configure(std::vector<SubtreeSpec> specs) {
  std::vector<std::shared_ptr<SubtreeRefresher>> next;
  std::vector<std::shared_ptr<SubtreeRefresher>> retired;
  std::vector<std::shared_ptr<SubtreeRefresher>> to_start;
  {
    MutexLock lock(mu_);
    std::vector<std::shared_ptr<SubtreeRefresher>> current = std::move(refreshers_);
    // One line per new subtree up to kLoggedSubtrees, then one summary: 10,000 subtrees are not 10,000 lines.
    constexpr std::size_t kLoggedSubtrees = 20;
    std::size_t added = 0;
    for (SubtreeSpec& spec : specs) {
      auto same =
          std::find_if(current.begin(), current.end(), [&](const auto& r) { return r && r->spec() == spec; });
      if (same != current.end()) {
        next.push_back(std::move(*same));
        continue;
      }
      if (++added > kLoggedSubtrees) {
        auto refresher = std::make_shared<SubtreeRefresher>(std::move(spec), reader_, connected_, &budget_,
                                                            scheduler_.get(), watch_);
        to_start.push_back(refresher);
        next.push_back(std::move(refresher));
        continue;
      }
      spdlog::info(
          "subtree {}: {} mode, walking every {}ms (max depth {}, max znodes {})", spec.root,
          RefreshModeName(spec.refresh_mode),
          (spec.refresh_mode == RefreshMode::kWatch ? spec.resync_interval : spec.refresh_interval).count(),
          spec.limits.max_depth, spec.limits.max_znodes);
      auto refresher = std::make_shared<SubtreeRefresher>(std::move(spec), reader_, connected_, &budget_,
                                                          scheduler_.get(), watch_);
      to_start.push_back(refresher);
      next.push_back(std::move(refresher));
    }
    if (added > kLoggedSubtrees) spdlog::info("... and {} more new subtrees", added - kLoggedSubtrees);
    for (auto& r : current) {
      if (r) retired.push_back(std::move(r));
    }
    refreshers_ = next;
  }
  // Joining may wait for a walk in progress: never under the lock. The session stays: a retired watch-mode
  // subtree removes its watches (the new refreshers' reads of the same paths, sent after, set theirs again).
  std::size_t logged = 0;
  for (auto& r : retired) {
    if (++logged <= 20) spdlog::info("subtree {}: no longer walked", r->spec().root);
    r->Retire();
  }
  if (logged > 20) spdlog::info("... and {} more subtrees no longer walked", logged - 20);
  // New refreshers start once the retired ones have released their share of the watch budget.
  for (auto& r : to_start) r->Start();
}

void TreeCollector::Stop() {
  std::vector<std::shared_ptr<SubtreeRefresher>> all;
  {
    MutexLock lock(mu_);
    all.swap(refreshers_);
  }
  for (auto& r : all) r->Stop();
}

std::vector<std::shared_ptr<SubtreeRefresher>> TreeCollector::Refreshers() const {
  MutexLock lock(mu_);
  return refreshers_;
}

bool TreeCollector::AllWalkedOnce() const {
  const auto refreshers = Refreshers();
  return std::all_of(refreshers.begin(), refreshers.end(),
                     [](const auto& r) { return r->View()->last_success != nullptr; });
}

std::vector<SubtreeSummary> TreeCollector::Summaries() const {
  std::vector<SubtreeSummary> out;
  for (const auto& r : Refreshers()) out.push_back({r->spec().root, r->View()});
  return out;
}

Status TreeCollector::Collect(std::chrono::steady_clock::time_point /*deadline*/, FamilySink out) {
  std::vector<TreeEntry> entries;
  for (const auto& r : Refreshers()) {
    entries.push_back({r->spec().root, r->spec().refresh_interval, r->View()});
  }
  BuildTreeFamilies(entries, out);
  AppendValueFamilies(entries, out);  // value rules (collectors/value_metrics.h)
  return Status::Ok();
}

}  // namespace zkx::collectors
