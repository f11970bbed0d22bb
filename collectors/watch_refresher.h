#pragma once
// WatchRefresher: keeps one watch-mode subtree fresh by watches instead of walks (the TreeCache algorithm).
//
//  1. A full sync walks the subtree leaving a data watch and a child watch on every znode (the first sync is
//     preceded by a plain walk that sizes the subtree against the session-wide WatchBudget) and replaces the
//     TreeMirror with the result.
//  2. Then only what changed is re-read: a data change re-reads the znode's Stat (re-arming its data watch);
//     a children change re-lists the znode (re-arming its child watch), removes what vanished and walks what
//     was added; a deleted znode leaves the mirror with its subtree. A deleted root arms an exists-watch and
//     is walked again when re-created.
//  3. The snapshot is rebuilt from the mirror after changes, coalesced (at most every kRebuildInterval).
//  4. A full resync runs every resync_interval, after every reconnect and after a session expiry (the
//     session's kResync event), and after a read failed because the connection was lost.
// If the subtree's watches would exceed the budget (or its znode cap), the refresher releases its share,
// warns once and returns kFellBackToPoll: the caller walks it in poll mode from then on.
//
// Threads: Run() on the owner's thread (SubtreeRefresher's); reader callbacks and watch events only push
// into a shared inbox. RequestStop() from any thread. Lifetime: `reader`, `budget`, `spec`, `patterns` and
// `connected` must outlive Run(); late callbacks after Run() returns touch only the inbox.

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/status.h"
#include "collectors/subtree_spec.h"
#include "collectors/tree_mirror.h"
#include "collectors/tree_snapshot.h"
#include "collectors/watch_budget.h"
#include "collectors/znode_pattern.h"
#include "zk/znode_reader.h"

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

class WatchRefresher {
 public:
  // Publishes a snapshot (null with a failed `status` for a failed attempt). `full_walk`: the snapshot comes
  // from a full walk (counts as a refresh); otherwise it was rebuilt from the mirror after changes.
  using PublishFn =
      std::function<void(std::shared_ptr<const SubtreeSnapshot>, Status, bool full_walk, const WatchState&)>;
  enum class Outcome { kStopped, kFellBackToPoll };

  static constexpr std::chrono::milliseconds kRebuildInterval{150};

  WatchRefresher(const SubtreeSpec& spec, const std::vector<ZnodePattern>* patterns, zk::ZnodeReader* reader,
                 std::function<bool()> connected, WatchBudget* budget, PublishFn publish);
  ~WatchRefresher();
  WatchRefresher(const WatchRefresher&) = delete;
  WatchRefresher& operator=(const WatchRefresher&) = delete;

  // Blocks until RequestStop() (kStopped) or a fallback to poll mode (kFellBackToPoll).
  Outcome Run();
  void RequestStop();
  // The final state, once Run() has returned (mode is kPoll after a fallback).
  [[nodiscard]] const WatchState& state() const { return state_; }

  struct Inbox;  // callbacks -> Run(); defined in the .cc

 private:
  struct Item;
  enum class SyncResult { kOk, kFailed, kFallBack };

  SyncResult FullSync();
  void Apply(Item& item);
  void OnEvent(const zk::WatchEvent& event);
  void ReadStat(const std::string& path);
  void ReadChildren(const std::string& path);
  void ReadNew(const std::string& path);  // a znode the mirror does not have yet: data watch, then children
  void Rebuild(bool full_walk, std::chrono::nanoseconds duration);
  void PublishFailure(Status status);
  // Re-sizes the budget share to the mirror; false (after falling back) when over budget or the znode cap.
  bool CheckBudget();
  void FallBack(const std::string& why);
  void MarkDirty();

  const SubtreeSpec& spec_;
  const std::vector<ZnodePattern>* patterns_;
  zk::ZnodeReader* const reader_;
  const std::function<bool()> connected_;
  WatchBudget* const budget_;
  const PublishFn publish_;
  std::shared_ptr<Inbox> inbox_;

  // Run()'s thread only.
  TreeMirror mirror_;
  WatchState state_;
  std::size_t held_bytes_ = 0;  // our share of budget_
  uint64_t generation_ = 0;     // replies of an older generation (before the last full sync) are dropped
  uint64_t synced_epoch_ = 0;   // the session epoch the last full sync started in
  bool need_sync_ = true;
  bool measured_ = false;  // the plain sizing walk has run
  bool fell_back_ = false;
  bool dirty_ = false;
  bool truncated_depth_ = false;
  std::optional<AclAuditResult> acl_;     // the last full sync's ACL audit (acl_audit subtrees)
  std::unique_ptr<ValueTracker> values_;  // value rules: re-reads only the data whose mzxid changed
  std::chrono::steady_clock::time_point build_due_{};
  std::chrono::steady_clock::time_point last_build_{};
  std::chrono::steady_clock::time_point next_resync_{};
  std::chrono::nanoseconds last_sync_duration_{0};
};

}  // namespace zkx::collectors
