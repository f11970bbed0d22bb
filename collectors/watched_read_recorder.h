#pragma once
// WatchedReadRecorder: a ZnodeReader that forwards everything to another and records what a watch-mode full
// sync's watched reads (WatchExists, WatchChildren2) may have left armed beyond what the sync's walk visited:
//  - the paths whose watched reads answered kNotFound. Over several watch sessions such a read may have left
//    an exists-watch on a session that does not watch the znode's parent (zk::Session removes it only when
//    it does), for a child that a lagging member has not applied yet or that was deleted; the refresher
//    keeps those paths as AwaitedChildren until a listing of the parent tells which.
//  - the paths with watched reads sent but not marked Visited: when the sync fails, these are the reads
//    still in flight, answered after the walk gave up, or failed, each of which may have armed a watch that
//    the refresher must remove if it falls back before a sync succeeds.
// The refresher walks through it and marks each znode its walk visits.
//
// Thread-safety: all methods are thread-safe; callbacks record under a lock and may outlive the recorder
// (late completions of a walk that gave up): the record is shared with them.

#include <cstddef>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "base/mutex.h"
#include "base/thread_annotations.h"
#include "zk/znode_reader.h"

namespace zkx::collectors {

class WatchedReadRecorder final : public zk::ZnodeReader {
 public:
  // `inner` must outlive the recorder.
  explicit WatchedReadRecorder(zk::ZnodeReader* inner);

  // The paths recorded kNotFound so far (each once, in no particular order), and forgets them.
  std::vector<std::string> TakeNotFound();
  // The walk has `path`'s listing: what its reads armed is the walk's to account for.
  void Visited(const std::string& path);
  // The paths with a watched read sent and not marked Visited since the last call (sorted), and forgets them.
  std::vector<std::string> TakeUnvisited();

  void GetChildren2(const std::string& path, zk::ChildrenCallback done) override;
  void WatchChildren2(const std::string& path, zk::ChildrenCallback done) override;
  void WatchExists(const std::string& path, zk::StatCallback done) override;
  void GetAcl(const std::string& path, zk::AclCallback done) override;
  void GetData(const std::string& path,
               std::function<void(Status, std::string, zk::ZnodeStat)> done) override;
  void RemoveWatches(const std::string& path, std::function<void(Status)> done) override;
  zk::WatchSubscription SubscribeWatches(zk::WatchListener listener) override;
  [[nodiscard]] uint64_t SessionEpoch() const override;
  // The inner reader's: the sync's walk keeps to half of it.
  [[nodiscard]] std::size_t InFlightCap() const override;
  // NoteBusyWalk and WalkSessionsInUse keep ZnodeReader's defaults: a sync's watched reads go to the watch
  // sessions, never to the walk sessions a zk::ReaderPool measures, so its busy time says nothing about
  // how many of those pay.
  [[nodiscard]] std::size_t WatchShardCount() const override;
  [[nodiscard]] std::size_t WatchShardOf(const std::string& path) const override;

 private:
  struct Record {
    Mutex mu;
    std::vector<std::string> not_found GUARDED_BY(mu);
    void AddNotFound(const std::string& path) noexcept;
  };
  void Sent(const std::string& path) EXCLUDES(mu_);

  zk::ZnodeReader* const inner_;
  const std::shared_ptr<Record> record_;
  Mutex mu_;
  std::set<std::string> unvisited_ GUARDED_BY(mu_);
};

}  // namespace zkx::collectors
