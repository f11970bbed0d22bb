// WatchRefresher: watch-driven refresh of one subtree (see watch_refresher.h).
//
// Every reader callback and watch event becomes an Item pushed into the shared Inbox; Run() applies them in
// arrival order on its own thread. Order matters only in one place and is preserved: the C client delivers
// a watch event after the reply that set the watch, on the same completion thread, so a znode's deletion
// event is applied after the reply that added it.
#include "collectors/watch_refresher.h"

#include <algorithm>
#include <condition_variable>
#include <deque>
#include <optional>
#include <set>
#include <utility>

#include <spdlog/spdlog.h>

#include "base/mutex.h"
#include "base/thread_annotations.h"
#include "base/znode_path.h"
#include "collectors/acl_audit_pass.h"
#include "collectors/poll_walk.h"
#include "collectors/watched_read_recorder.h"
#include "zk/subtree_walk.h"

namespace zkx::collectors {
namespace {

// How long Run() waits between checks while the session is down, and after a failed full sync.
constexpr std::chrono::milliseconds kReconnectPoll{200};
constexpr std::chrono::milliseconds kRetryAfterFailure{1000};
// A change is held this long before the rebuild, so that the reads a burst triggers land together.
constexpr std::chrono::milliseconds kGatherDelay{20};

bool LostConnection(const Status& s) {
  return s.code() == StatusCode::kUnavailable || s.code() == StatusCode::kCancelled;
}

// Element-wise maximum of two shares of the same budget.
WatchShare Larger(WatchShare a, const WatchShare& b) {
  for (std::size_t i = 0; i < a.size() && i < b.size(); ++i) a[i] = std::max(a[i], b[i]);
  return a;
}

}  // namespace

struct WatchRefresher::Item {
  enum class Kind { kEvent, kStat, kChildren };
  Kind kind = Kind::kEvent;
  zk::WatchEvent event;     // kEvent
  uint64_t generation = 0;  // kStat, kChildren
  std::string path;
  Status status;
  zk::ZnodeStat stat;
  std::vector<std::string> children;
  bool after_exists = false;  // kChildren: ReadNew's listing, sent after the exists that arms the data watch
};

struct WatchRefresher::Inbox {
  Mutex mu;
  std::condition_variable_any cv;  // waits on mu
  std::deque<Item> items GUARDED_BY(mu);
  bool stopping GUARDED_BY(mu) = false;
  bool remove_watches GUARDED_BY(mu) = false;  // StopFunction()(kRemoveWatches)

  // From callbacks: never throws, never blocks beyond the brief lock.
  void Push(Item item) noexcept {
    try {
      MutexLock lock(mu);
      items.push_back(std::move(item));
      cv.notify_one();
    } catch (...) {
      // Out of memory: the item is lost; the periodic resync repairs the mirror.
    }
  }
};

WatchRefresher::WatchRefresher(const SubtreeSpec& spec, const std::vector<ZnodePattern>* patterns,
                               zk::ZnodeReader* reader, std::function<bool()> connected, WatchBudget* budget,
                               PublishFn publish)
    : spec_(spec),
      patterns_(patterns),
      reader_(reader),
      connected_(std::move(connected)),
      budget_(budget),
      publish_(std::move(publish)),
      inbox_(std::make_shared<Inbox>()),
      mirror_(
          spec.root, [reader](const std::string& path) { return reader->WatchShardOf(path); },
          budget->sessions()),
      held_(budget->EmptyShare()),
      sync_reads_(reader) {
  state_.mode = RefreshMode::kWatch;
  if (spec.value_rules) {
    values_ = std::make_unique<ValueTracker>(spec.value_rules, spec.max_znode_series,
                                             spec.limits.max_in_flight, spec.limits.timeout);
  }
}

WatchRefresher::~WatchRefresher() {
  budget_->Release(&held_);
}

std::function<void(WatchRefresher::OnStop)> WatchRefresher::StopFunction() const {
  return [inbox = inbox_](OnStop on_stop) {
    MutexLock lock(inbox->mu);
    inbox->stopping = true;
    if (on_stop == OnStop::kRemoveWatches) inbox->remove_watches = true;
    inbox->cv.notify_all();
  };
}

WatchRefresher::Outcome WatchRefresher::Run() {
  const std::string root = spec_.root;
  zk::WatchSubscription subscription =
      reader_->SubscribeWatches([inbox = inbox_, root](const zk::WatchEvent& e) {
        if (e.type != zk::WatchEventType::kResync && !ZnodePathInside(e.path, root)) return;
        Item item;
        item.kind = Item::Kind::kEvent;
        item.event = e;
        inbox->Push(std::move(item));
      });
  auto finish = [&](Outcome outcome) {
    subscription.Reset();
    if (outcome == Outcome::kStopped) {
      bool remove = false;
      {
        MutexLock lock(inbox_->mu);
        remove = inbox_->remove_watches;
      }
      if (remove) RemoveArmedWatches(nullptr);
    }
    budget_->Release(&held_);
    state_.watched_bytes = 0;
    if (outcome == Outcome::kFellBackToPoll) state_.mode = RefreshMode::kPoll;
    return outcome;
  };
  auto wait = [&](std::chrono::steady_clock::time_point until, std::deque<Item>* out) {
    MutexLock lock(inbox_->mu);
    while (!inbox_->stopping && inbox_->items.empty() &&
           inbox_->cv.wait_until(inbox_->mu, until) != std::cv_status::timeout) {
    }
    if (out != nullptr) out->swap(inbox_->items);
    return !inbox_->stopping;
  };

  auto down_since = std::chrono::steady_clock::now();
  for (;;) {
    if (need_sync_) {
      if (!connected_()) {
        // Events that arrive meanwhile are kept: they are replayed (as re-reads) after the sync.
        if (!wait(std::chrono::steady_clock::now() + kReconnectPoll, nullptr)) {
          return finish(Outcome::kStopped);
        }
        if (std::chrono::steady_clock::now() - down_since >= spec_.refresh_interval) {
          PublishFailure(Status::Unavailable("not connected to ZooKeeper"));
          down_since = std::chrono::steady_clock::now();
        }
        continue;
      }
      const SyncResult result = FullSync();
      if (result == SyncResult::kFallBack) return finish(Outcome::kFellBackToPoll);
      if (result == SyncResult::kFailed) {
        down_since = std::chrono::steady_clock::now();
        if (!wait(std::chrono::steady_clock::now() + kRetryAfterFailure, nullptr)) {
          return finish(Outcome::kStopped);
        }
        continue;
      }
    }

    auto deadline = next_resync_;
    if (dirty_) deadline = std::min(deadline, build_due_);
    std::deque<Item> batch;
    if (!wait(deadline, &batch)) return finish(Outcome::kStopped);
    for (Item& item : batch) {
      Apply(item);
      if (fell_back_) return finish(Outcome::kFellBackToPoll);
    }
    if (!batch.empty() && !CheckBudget()) return finish(Outcome::kFellBackToPoll);
    const auto now = std::chrono::steady_clock::now();
    if (dirty_ && now >= build_due_) Rebuild(/*full_walk=*/false, last_sync_duration_);
    if (now >= next_resync_) need_sync_ = true;
    if (need_sync_) down_since = now;
  }
}

WatchRefresher::SyncResult WatchRefresher::FullSync() {
  ++generation_;
  synced_epoch_ = reader_->SessionEpoch();
  const auto started = std::chrono::steady_clock::now();
  const std::string& root = spec_.root;

  // Size the subtree before leaving a single watch on it: on the first sync, and whenever the mirror is empty
  // (a root that was missing may come back big). Later syncs use the mirror's size. The sizing walk is a
  // poll walk: over budget, its snapshot is poll mode's first result, so that falling back costs no second
  // walk, and it counts bytes as it goes instead of copying the tree (memory as poll mode's).
  WatchShare want = Want(mirror_, /*with_awaited=*/true);
  if (!measured_ || mirror_.empty()) {
    PollWalk sizing(spec_, patterns_, *reader_, values_.get());
    std::vector<TreeMirror::ShardWatches> sized(budget_->sessions());
    const zk::WalkSummary& s = sizing.Walk([&](const zk::WalkedZnode& z) {
      TreeMirror::ShardWatches& shard =
          sized.size() == 1 ? sized[0] : sized[mirror_.ShardOf(std::string(z.path))];
      shard.watch_bytes += WatchBytesForPath(z.path.size());
      ++shard.znodes;
    });
    if (!sizing.ok()) {
      sizing.Abandon();
      PublishFailure(s.status);
      return SyncResult::kFailed;
    }
    for (std::size_t i = 0; i < sized.size(); ++i) {
      want[i] = budget_->ForMirror(sized[i].watch_bytes, sized[i].znodes);
    }
    std::string why;
    if (s.truncated_znodes || s.truncated_timeout) {
      why = s.truncated_znodes ? "it has more znodes than max_znodes" : "its walk hit walk_timeout";
    } else if (!budget_->TryResize(&held_, Larger(want, held_))) {
      why = OverBudget(want);
    }
    if (!why.empty()) {
      FallBack(why);
      std::shared_ptr<const SubtreeSnapshot> snapshot = sizing.Finish();
      if (snapshot) {
        publish_(std::move(snapshot), Status::Ok(), /*full_walk=*/true, state_);
        first_poll_due_ = started + spec_.refresh_interval;
      }
      return SyncResult::kFallBack;
    }
    sizing.Abandon();
    measured_ = true;
  }
  if (!budget_->TryResize(&held_, Larger(want, held_))) {
    FallBack(OverBudget(want));
    return SyncResult::kFallBack;
  }

  // The watched walk stops the moment its watches outgrow the budget (the subtree grew since it was sized);
  // FallBack then removes the watches it armed.
  TreeMirror fresh(
      root, [reader = reader_](const std::string& path) { return reader->WatchShardOf(path); },
      budget_->sessions());
  AclAuditPass acl_audit(spec_);
  WatchShare outgrown;
  // Through sync_reads_: the watched reads the walk does not visit (in flight when it gives up, or failed)
  // and, over several watch sessions, its kNotFound replies may have left watches to account for.
  const zk::WalkSummary s = zk::WalkSubtreeUntil(
      sync_reads_, root, spec_.limits,
      [&](const zk::WalkedZnode& z) {
        const std::string path(z.path);
        const std::size_t shard = fresh.ShardOf(path);
        fresh.Put(path, *z.stat);
        sync_reads_.Visited(path);
        acl_audit.Add(z.path);
        if (!outgrown.empty()) return true;
        // Only the session this znode's watches went to can have grown past what is held.
        const TreeMirror::ShardWatches& on = fresh.ShardWatchBytes()[shard];
        if (budget_->ForMirror(on.watch_bytes, on.znodes) <= held_[shard]) return true;
        const WatchShare now_want = Want(fresh, /*with_awaited=*/false);
        if (budget_->TryResize(&held_, Larger(now_want, held_))) return true;
        outgrown = now_want;
        return false;
      },
      zk::WalkWatches::kSet);
  if (s.stopped) {
    FallBack(OverBudget(outgrown) + ", found by a sync", &fresh);
    return SyncResult::kFallBack;
  }
  if (s.status.code() == StatusCode::kNotFound) {
    fresh.Clear();
    ReadStat(root);  // arms an exists-watch: the root's creation fires kCreated
  } else if (!s.status.ok()) {
    // Its watches stay armed (those of the znodes it visited, and of reads it sent but gave up on): the next
    // sync that succeeds covers those still wanted, or a fallback removes them.
    for (const auto& [path, stat] : fresh.nodes()) armed_by_failed_syncs_.insert(path);
    for (std::string& path : sync_reads_.TakeUnvisited()) armed_by_failed_syncs_.insert(std::move(path));
    PublishFailure(s.status);
    return SyncResult::kFailed;
  }
  if (s.truncated_znodes || s.truncated_timeout) {
    FallBack(s.truncated_znodes ? "it has more znodes than max_znodes" : "its walk hit walk_timeout", &fresh);
    return SyncResult::kFallBack;
  }
  if (state_.resyncs_total > 0) {
    const std::size_t differences = mirror_.CountDifferences(fresh);
    if (differences > 0) {
      spdlog::info("subtree {}: resync found {} znodes that differed from the watched mirror", root,
                   differences);
    }
  }
  mirror_ = std::move(fresh);
  armed_by_failed_syncs_.clear();  // what they armed is in the mirror now, or was deleted (which fired it)
  // Reads that failed, and those that found no znode (with those of earlier syncs that failed, and their late
  // replies: their exists-watches stay armed too), which are settled below.
  const std::vector<std::string> unread = sync_reads_.TakeUnvisited();
  const std::vector<std::string> not_found = sync_reads_.TakeNotFound();
  PruneAwaited();
  for (const std::string& path : not_found) AwaitIfLagging(path);
  // Any other failure left a watch on a znode the mirror does not hold: an unreadable znode's WatchExists
  // (exists checks no ACL) armed its data watch while its listing answered kPermissionDenied. Outside the
  // budget and of no use, it goes now.
  const std::set<std::string> settled(not_found.begin(), not_found.end());
  std::vector<std::string> unmirrored;
  for (const std::string& path : unread) {
    if (!settled.contains(path) && !mirror_.Contains(path)) unmirrored.push_back(path);
  }
  RemoveWatchesOf(unmirrored);
  truncated_depth_ = s.truncated_depth;
  // ACL changes fire no watch: the audit is as fresh as the last full sync.
  acl_ = acl_audit.Run(*reader_);
  ++state_.resyncs_total;
  need_sync_ = false;
  if (!CheckBudget()) return SyncResult::kFallBack;
  next_resync_ = std::chrono::steady_clock::now() + spec_.resync_interval;
  last_sync_duration_ = std::chrono::steady_clock::now() - started;
  Rebuild(/*full_walk=*/true, last_sync_duration_);
  spdlog::debug("subtree {}: synced {} znodes with watches ({} bytes of watched paths)", root, mirror_.size(),
                ShareTotal(held_));
  RelistAwaitedParents();
  return SyncResult::kOk;
}

void WatchRefresher::Apply(Item& item) {
  if (item.kind == Item::Kind::kEvent) {
    OnEvent(item.event);
    return;
  }
  if (auto it = reading_.find(item.path); it != reading_.end() && --it->second <= 0) reading_.erase(it);
  // kNotFound: the znode went; its deletion event (or the parent's) tells the mirror. Or, over several watch
  // sessions, its own session's member has not applied its creation yet. Either way the read may have left
  // an exists-watch on that session, whichever generation it belongs to.
  if (item.status.code() == StatusCode::kNotFound) AwaitIfLagging(item.path);
  // An unreadable new znode: ReadNew's WatchExists (exists checks no ACL) armed a data watch that nothing
  // mirrors. Removed, unless another read of it is still in flight (its own reply decides then).
  if (item.kind == Item::Kind::kChildren && item.status.code() == StatusCode::kPermissionDenied &&
      !mirror_.Contains(item.path) && reading_.count(item.path) == 0) {
    RemoveWatchesOf({item.path});
  }
  if (item.generation != generation_) return;  // a reply from before the last full sync
  if (!item.status.ok()) {
    if (LostConnection(item.status)) need_sync_ = true;  // the watch it would have set may be missing
    return;
  }
  const std::string& path = item.path;
  if (item.kind == Item::Kind::kStat) {
    if (path == spec_.root && mirror_.empty()) {
      need_sync_ = true;  // the root exists again
    } else if (mirror_.Contains(path)) {
      mirror_.Put(path, item.stat);
      MarkDirty();
    }
    return;
  }
  // kChildren: a re-listing of a mirrored znode, or the first read of a new one.
  const int depth = mirror_.Depth(path);
  if (depth < 0) return;
  if (!mirror_.Contains(path)) {
    if (path == spec_.root) {
      if (mirror_.empty()) need_sync_ = true;
      return;
    }
    if (!mirror_.Contains(ZnodeParent(path))) return;  // its parent went meanwhile
    if (depth > spec_.limits.max_depth) return;
    mirror_.Put(path, item.stat);
    ++state_.created_total;
    if (!awaited_.empty()) awaited_.Remove(path);  // found: its exists-watch is its data watch now
    // A re-listing of a znode that was deleted (its data watch fired) and re-created before the listing was
    // answered: nothing armed its data watch again.
    if (!item.after_exists) ReadStat(path);
  } else if (depth < spec_.limits.max_depth) {
    const TreeMirror::ChildrenDiff diff = mirror_.ApplyChildren(path, item.stat, item.children);
    state_.deleted_total += diff.removed;
    if (!awaited_.empty()) {
      RemoveWatchesOf(awaited_.RemoveUnlisted(path, item.children));  // the listing that named them was stale
      PruneAwaited();
    }
    for (const std::string& name : diff.added) ReadNew(JoinZnodePath(path, name));
    MarkDirty();
    return;
  } else {
    mirror_.Put(path, item.stat);
  }
  if (depth >= spec_.limits.max_depth) {
    if (!item.children.empty()) truncated_depth_ = true;
  } else {
    for (const std::string& name : item.children) ReadNew(JoinZnodePath(path, name));
  }
  MarkDirty();
}

void WatchRefresher::OnEvent(const zk::WatchEvent& event) {
  const std::string& path = event.path;
  switch (event.type) {
    case zk::WatchEventType::kResync:
      if (event.epoch > synced_epoch_) need_sync_ = true;
      return;
    case zk::WatchEventType::kDataChanged:
      if (!mirror_.Contains(path)) return;
      ++state_.data_changed_total;
      ReadStat(path);
      return;
    case zk::WatchEventType::kChildrenChanged:
      if (!mirror_.Contains(path)) return;
      ++state_.children_changed_total;
      ReadChildren(path);
      return;
    case zk::WatchEventType::kDeleted: {
      if (!mirror_.Contains(path)) return;
      state_.deleted_total += mirror_.RemoveSubtree(path);
      MarkDirty();
      if (!awaited_.empty()) PruneAwaited();
      if (path == spec_.root) {
        ReadStat(path);  // watch for its re-creation
        return;
      }
      // Over several watch sessions the event may come from a session that lags behind its parent's: the
      // deletion of an older znode of that name, which the parent's session has already listed re-created
      // (and nothing on the lagging session fires again when it catches up). A listing of the parent on its
      // own session tells; one in flight there is answered after the listing that showed the znode.
      const std::string parent = ZnodeParent(path);
      if (mirror_.shards() > 1 && mirror_.ShardOf(path) != mirror_.ShardOf(parent) &&
          mirror_.Contains(parent) && reading_.count(parent) == 0) {
        ReadChildren(parent);
      }
      return;
    }
    case zk::WatchEventType::kCreated:
      if (path == spec_.root && mirror_.empty()) need_sync_ = true;
      if (awaited_.Contains(path)) {
        ReadNew(path);  // its session's member caught up
      } else if (mirror_.Contains(path) || reading_.count(path) != 0) {
        // A read's exists-watch found the znode missing (deleted and re-created between its parent's listing
        // and the read): the creation used that watch up. Arm the data watch again.
        ReadStat(path);
      }
      return;
    case zk::WatchEventType::kNotWatching:
      if (mirror_.Contains(path)) need_sync_ = true;
      if (awaited_.Contains(path)) ReadNew(path);  // its exists-watch went: arm it again
      return;
  }
}

void WatchRefresher::ReadStat(const std::string& path) {
  ++reading_[path];
  reader_->WatchExists(path, [inbox = inbox_, gen = generation_, path](Status s, zk::ZnodeStat stat) {
    Item item;
    item.kind = Item::Kind::kStat;
    item.generation = gen;
    item.path = path;
    item.status = std::move(s);
    item.stat = stat;
    inbox->Push(std::move(item));
  });
}

void WatchRefresher::ReadChildren(const std::string& path, bool after_exists) {
  ++reading_[path];
  reader_->WatchChildren2(
      path, [inbox = inbox_, gen = generation_, path, after_exists](Status s, zk::ChildrenResult r) {
        Item item;
        item.kind = Item::Kind::kChildren;
        item.after_exists = after_exists;
        item.generation = gen;
        item.path = path;
        item.status = std::move(s);
        item.stat = r.stat;
        item.children = std::move(r.children);
        inbox->Push(std::move(item));
      });
}

void WatchRefresher::ReadNew(const std::string& path) {
  // The data watch first (its reply is ignored while the znode is not mirrored), then the listing that adds
  // it: a data change between the two fires the data watch after the listing is applied... or is already in
  // the listing's Stat. Either way the mirror converges.
  reader_->WatchExists(path, [](const Status&, zk::ZnodeStat) {});
  ReadChildren(path, /*after_exists=*/true);
}

void WatchRefresher::MarkDirty() {
  if (dirty_) return;
  dirty_ = true;
  build_due_ = std::max(std::chrono::steady_clock::now() + kGatherDelay, last_build_ + kRebuildInterval);
}

bool WatchRefresher::CheckBudget() {
  if (mirror_.size() > spec_.limits.max_znodes) {
    FallBack("it grew past max_znodes (" + std::to_string(spec_.limits.max_znodes) + ")");
    return false;
  }
  const WatchShare want = Want(mirror_, /*with_awaited=*/true);
  if (want != held_ && !budget_->TryResize(&held_, want)) {
    FallBack("it grew: " + OverBudget(want));
    return false;
  }
  state_.watched_bytes = ShareTotal(held_);
  return true;
}

WatchShare WatchRefresher::Want(const TreeMirror& mirror, bool with_awaited) const {
  WatchShare want = budget_->EmptyShare();
  const std::vector<TreeMirror::ShardWatches>& shards = mirror.ShardWatchBytes();
  for (std::size_t i = 0; i < shards.size() && i < want.size(); ++i) {
    want[i] = budget_->ForMirror(shards[i].watch_bytes, shards[i].znodes);
  }
  if (with_awaited) awaited_.AddTo(&want, budget_->chroot_length());
  return want;
}

std::string WatchRefresher::OverBudget(const WatchShare& want) const {
  // Names the first session `want` overflows (or, if none does now, the one it needs most of).
  auto others = [&](std::size_t i) {
    const std::size_t used = budget_->used(i);
    return used - std::min(used, i < held_.size() ? held_[i] : 0);
  };
  std::size_t worst = 0;
  for (std::size_t i = 0; i < want.size(); ++i) {
    if (others(i) + want[i] > budget_->limit()) {
      worst = i;
      break;
    }
    if (want[i] > want[worst]) worst = i;
  }
  const std::string where = want.size() > 1 ? " on watch session " + std::to_string(worst) : "";
  return "watching its " + std::to_string(worst < want.size() ? want[worst] : 0) + " bytes of paths" + where +
         " would exceed the session's watch budget (" + std::to_string(others(worst)) + " of " +
         std::to_string(budget_->limit()) + " bytes used by other subtrees)";
}

void WatchRefresher::AwaitIfLagging(const std::string& path) {
  if (mirror_.shards() <= 1 || path == spec_.root || mirror_.Contains(path)) return;
  if (mirror_.Depth(path) <= 0 || mirror_.Depth(path) > spec_.limits.max_depth) return;
  const std::string parent = ZnodeParent(path);
  const std::size_t shard = mirror_.ShardOf(path);
  // On the parent's own session a kNotFound is a deletion, which the parent's child watch reports (and
  // zk::Session removes the exists-watch it left).
  if (shard == mirror_.ShardOf(parent)) return;
  if (!mirror_.Contains(parent)) {
    reader_->RemoveWatches(path, [](const Status&) {});  // nothing will list it again: drop its exists-watch
    return;
  }
  if (!awaited_.Add(path, shard)) return;
  spdlog::debug("subtree {}: {} not found on its watch session {}: waiting for it", spec_.root, path, shard);
  // A listing of the parent tells a lagging member (still listed) from a deletion (no longer listed; its
  // exists-watch is then removed). One listing in flight per parent.
  if (reading_.count(parent) == 0) ReadChildren(parent);
}

void WatchRefresher::PruneAwaited() {
  if (awaited_.empty()) return;
  awaited_.RemoveIf([&](const std::string& path) { return mirror_.Contains(path); });
  RemoveWatchesOf(
      awaited_.RemoveIf([&](const std::string& path) { return !mirror_.Contains(ZnodeParent(path)); }));
}

void WatchRefresher::RemoveWatchesOf(const std::vector<std::string>& paths) {
  for (const std::string& path : paths) reader_->RemoveWatches(path, [](const Status&) {});
}

void WatchRefresher::RelistAwaitedParents() {
  std::set<std::string> parents;
  for (const std::string& path : awaited_.Paths()) parents.insert(ZnodeParent(path));
  for (const std::string& parent : parents) {
    if (reading_.count(parent) == 0) ReadChildren(parent);
  }
}

void WatchRefresher::FallBack(const std::string& why, const TreeMirror* also_armed) {
  fell_back_ = true;
  first_poll_due_ = std::chrono::steady_clock::now();
  budget_->Release(&held_);
  state_.mode = RefreshMode::kPoll;
  state_.watched_bytes = 0;
  spdlog::warn("subtree {}: falling back from watch to poll mode (every {}ms): {}", spec_.root,
               spec_.refresh_interval.count(), why);
  RemoveArmedWatches(also_armed);
}

void WatchRefresher::RemoveArmedWatches(const TreeMirror* also_armed) {
  // Remove what this subtree armed: the mirror's watches, those of an interrupted sync, those of reads still
  // in flight (a session handles its requests in order, so the removal follows the read that set the watch),
  // the exists-watches of children a lagging member lacked (awaited, or found missing by a sync's walk that
  // no successful sync has looked at yet), and those of syncs that failed since the last one that succeeded.
  // Without this they stay in the session's SetWatches, outside the budget, until each fires.
  std::set<std::string> others = std::move(armed_by_failed_syncs_);
  armed_by_failed_syncs_.clear();
  for (const auto& [path, count] : reading_) others.insert(path);
  for (std::string& path : awaited_.Paths()) others.insert(std::move(path));
  for (std::string& path : sync_reads_.TakeNotFound()) others.insert(std::move(path));
  for (std::string& path : sync_reads_.TakeUnvisited()) others.insert(std::move(path));
  if (measured_ && mirror_.empty()) others.insert(spec_.root);  // the exists-watch on a missing root
  std::size_t removals = 0;
  auto remove = [&](const std::string& path) {
    reader_->RemoveWatches(path, [](const Status&) {});
    ++removals;
  };
  for (const auto& [path, stat] : mirror_.nodes()) remove(path);
  if (also_armed != nullptr) {
    for (const auto& [path, stat] : also_armed->nodes()) {
      if (!mirror_.Contains(path)) remove(path);
    }
  }
  for (const std::string& path : others) {
    if (!mirror_.Contains(path) && (also_armed == nullptr || !also_armed->Contains(path))) remove(path);
  }
  awaited_.Clear();
  mirror_.Clear();
  reading_.clear();
  spdlog::debug("subtree {}: removing the watches of {} znodes", spec_.root, removals);
}

void WatchRefresher::Rebuild(bool full_walk, std::chrono::nanoseconds duration) {
  const auto now = std::chrono::steady_clock::now();
  SubtreeSnapshot built = mirror_.BuildSnapshot(spec_, patterns_, std::chrono::system_clock::now(), duration,
                                                TreeMirror::Caps{truncated_depth_, false});
  built.acl = acl_;
  if (values_) built.values = values_->FromNodes(mirror_.nodes(), *reader_);
  auto snapshot = std::make_shared<const SubtreeSnapshot>(std::move(built));
  state_.watched_bytes = ShareTotal(held_);
  publish_(std::move(snapshot), Status::Ok(), full_walk, state_);
  dirty_ = false;
  last_build_ = now;
}

void WatchRefresher::PublishFailure(Status status) {
  spdlog::warn("subtree {}: watch-mode sync failed: {}", spec_.root, status.ToString());
  publish_(nullptr, std::move(status), /*full_walk=*/true, state_);
}

}  // namespace zkx::collectors
