#pragma once
// WatchRefresher: keeps one watch-mode subtree fresh by watches instead of walks (the TreeCache algorithm).
//
//  1. A full sync walks the subtree leaving a data watch and a child watch on every znode and replaces the
//     TreeMirror with the result. The first sync is preceded by a plain poll walk (PollWalk) that sizes the
//     subtree against the WatchBudget before a single watch is armed; a sync that finds the subtree grew past
//     the budget stops at once.
//  2. Then only what changed is re-read: a data change re-reads the znode's Stat (re-arming its data watch);
//     a children change re-lists the znode (re-arming its child watch), removes what vanished and walks what
//     was added; a deleted znode leaves the mirror with its subtree. A deleted root arms an exists-watch and
//     is walked again when re-created.
//  3. The snapshot is rebuilt from the mirror after changes, coalesced (at most every kRebuildInterval).
//  4. A full resync runs every resync_interval, after every reconnect and after a session expiry (the
//     reader's kResync event), and after a read failed because the connection was lost.
// If the subtree's watches would exceed the budget (or its znode cap), the refresher releases its share,
// removes every watch it armed (ZnodeReader::RemoveWatches; also those of syncs that failed since the last
// one that succeeded, whose watches stay armed), warns once and returns kFellBackToPoll: the caller walks it
// in poll mode from then on. When the sizing walk decided it, that walk's snapshot is published as poll
// mode's first result (first_poll_due() is then one interval later): no second walk.
//
// Watch sessions: the reader may spread watches over several sessions (zk::WatchShards; WatchShardCount()
// must equal the budget's sessions()). The share held is then per session, and the subtree falls back as
// soon as its share on any one session would push that session over the budget. SessionEpoch and kResync
// are the reader's combined ones, so a reconnect or expiry of any session resyncs the subtree. Sessions may
// be connected to different ensemble members: a child that its parent's listing names but that its own
// session's member has not applied yet answers kNotFound there, and the exists-watch that read left stays
// on that session (zk::Session removes such watches only where the parent is watched). Every such kNotFound
// (of the incremental reads, and of a full sync's walk: WatchedReadRecorder) waits in AwaitedChildren, its
// exists-watch counted in the share, and the parent is re-listed: kCreated (the member caught up) reads the
// child; a listing without it (it was deleted) removes its exists-watch. With one session none of this
// applies (a kNotFound there is a deletion, which the parent's child watch reports).
//
// Threads: Run() on the owner's thread (SubtreeRefresher's); reader callbacks and watch events only push
// into a shared inbox. StopFunction()'s function from any thread.
//
// Stopping: kKeepWatches leaves the watches armed, for a session that is about to close (its close drops them
// on the server); kRemoveWatches removes every watch the subtree armed before Run() returns, as a fallback
// does, for a subtree dropped by a reload while its session stays (else they stay in the session's
// SetWatches, outside the budget, until each fires). Lifetime: `reader`, `budget`, `spec`, `patterns` and
// `connected` must outlive Run(); late callbacks after Run() returns touch only the inbox.

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "base/status.h"
#include "collectors/awaited_children.h"
#include "collectors/subtree_spec.h"
#include "collectors/subtree_view.h"
#include "collectors/tree_mirror.h"
#include "collectors/tree_snapshot.h"
#include "collectors/watch_budget.h"
#include "collectors/watched_read_recorder.h"
#include "collectors/znode_pattern.h"
#include "zk/znode_reader.h"

namespace zkx::collectors {

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

  // Blocks until a stop (kStopped) or a fallback to poll mode (kFellBackToPoll).
  Outcome Run();
  enum class OnStop { kKeepWatches, kRemoveWatches };  // see "Stopping" above
  // The stop, as a function that holds only the refresher's inbox: callable from any thread, also after Run()
  // returned (it then does nothing).
  [[nodiscard]] std::function<void(OnStop)> StopFunction() const;
  // After kFellBackToPoll: when poll mode's first walk is due (steady clock). Now, unless the fallback
  // published the sizing walk's snapshot: then one refresh interval after that walk started.
  [[nodiscard]] std::chrono::steady_clock::time_point first_poll_due() const { return first_poll_due_; }
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
  // A watched listing; `after_exists` when ReadNew sent the exists that arms the data watch just before.
  void ReadChildren(const std::string& path, bool after_exists = false);
  void ReadNew(const std::string& path);  // a znode the mirror does not have yet: data watch, then children
  void Rebuild(bool full_walk, std::chrono::nanoseconds duration);
  void PublishFailure(Status status);
  // Re-sizes the budget share to the mirror; false (after falling back) when over budget or the znode cap.
  bool CheckBudget();
  // The share the mirror's watches and the awaited children's exists-watches take on each session.
  [[nodiscard]] WatchShare Want(const TreeMirror& mirror, bool with_awaited) const;
  // Why `want` does not fit the budget, naming the session it overflows.
  [[nodiscard]] std::string OverBudget(const WatchShare& want) const;
  // Watch sessions: a watched read of `path` answered kNotFound on a session other than its parent's, which
  // left an exists-watch there: waits for kCreated or a listing of the parent without it.
  void AwaitIfLagging(const std::string& path);
  // Forgets awaited children that were mirrored meanwhile, and removes the exists-watches of those whose
  // parent left the mirror.
  void PruneAwaited();
  void RemoveWatchesOf(const std::vector<std::string>& paths);
  // After a full sync: re-lists the parents of the awaited children.
  void RelistAwaitedParents();
  // Gives up watch mode: releases the budget share and removes every watch this subtree armed
  // (RemoveArmedWatches).
  void FallBack(const std::string& why, const TreeMirror* also_armed = nullptr);
  // Removes every watch this subtree armed: the mirror's, `also_armed`'s (an interrupted sync's), those of
  // reads in flight, of awaited children and of failed syncs; then forgets them all.
  void RemoveArmedWatches(const TreeMirror* also_armed);
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
  WatchShare held_;            // our share of budget_, per watch session
  uint64_t generation_ = 0;    // replies of an older generation (before the last full sync) are dropped
  uint64_t synced_epoch_ = 0;  // the session epoch the last full sync started in
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
  std::chrono::steady_clock::time_point first_poll_due_{};
  std::map<std::string, int> reading_;  // watched reads in flight, by path (removed too on a fallback)
  AwaitedChildren awaited_;             // listed children their own session has not found yet
  // A full sync's walk reads through it. It outlives the sync: the kNotFound paths a failed sync recorded
  // (also by replies that land after it gave up) wait for the next successful sync, or for a fallback, which
  // removes their exists-watches.
  WatchedReadRecorder sync_reads_;
  std::set<std::string> armed_by_failed_syncs_;  // watched by syncs that failed since the last one succeeded
};

}  // namespace zkx::collectors
