#pragma once
// WatchShards: a ZnodeReader that spreads a watch-mode subtree's watches over several sessions ("watch
// sessions", --zookeeper.watch-sessions), so that each session's SetWatches stays under jute.maxbuffer.
//
// Why: the C client re-sends every watch of a handle in ONE unchunked SetWatches packet on reconnect; above
// ~1 MB the server refuses it and the client reconnects forever (zk/README.md), so one session can watch
// ~10,000 znodes of ~20-byte paths at the default budget. N sessions hold N times that.
//
// Routing: a path's watches (data/exists and child) live on one shard, ShardOf(path): FNV-1a of the path,
// modulo the number of shards, the same for the life of the process. Every watched read of the path
// (WatchExists, WatchChildren2), its RemoveWatches and its data reads (GetData: a re-read after a data watch
// fired is answered by the member that delivered the event) go to that shard. Plain walk reads (GetChildren2,
// GetAcl) go to `plain` (the reader pool). Shard 0 is the primary session.
//
// Events: SubscribeWatches subscribes the listener to every shard. Each event carries the combined epoch,
// SessionEpoch(): the sum of the shards' epochs, which grows whenever any shard (re)connects, so that a
// kResync from any shard (a reconnect, or a new session after expiry, which lost that shard's watches) is
// newer than a sync that started before it. Listeners may run concurrently on the shards' event threads.
//
// Cross-member lag: shards may be connected to different ensemble members. A child listed on its parent's
// shard may not exist yet on the member of its own shard (kNotFound there); the watch refresher handles it
// (collectors/watch_refresher.h): it needs WatchShardOf to tell a lagging member from a deletion.
//
// Thread-safety: all methods are thread-safe (as the readers are). Lifetime: `plain` and the shards must
// outlive this reader, and every WatchSubscription it returned must be reset before they go.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "zk/znode_reader.h"

namespace zkx::zk {

class WatchShards final : public ZnodeReader {
 public:
  // `plain`: where plain reads go. `shards`: the watch sessions, primary first; none null, at least one.
  WatchShards(ZnodeReader* plain, std::vector<ZnodeReader*> shards);

  // The shard of `path` among `shards` (> 0): FNV-1a (64-bit) of the path's bytes, modulo `shards`.
  static std::size_t ShardOf(std::string_view path, std::size_t shards);

  void GetChildren2(const std::string& path, ChildrenCallback done) override;
  void GetAcl(const std::string& path, AclCallback done) override;
  void GetData(const std::string& path, std::function<void(Status, std::string, ZnodeStat)> done) override;
  void WatchChildren2(const std::string& path, ChildrenCallback done) override;
  void WatchExists(const std::string& path, StatCallback done) override;
  void RemoveWatches(const std::string& path, std::function<void(Status)> done) override;
  WatchSubscription SubscribeWatches(WatchListener listener) override;
  // The sum of the shards' epochs.
  [[nodiscard]] uint64_t SessionEpoch() const override;
  // The plain reader's: a full sync's walk keeps to half of it (each shard session has a cap of its own).
  [[nodiscard]] std::size_t InFlightCap() const override { return plain_->InFlightCap(); }
  // Plain reads go to `plain`: so does what walks measure of them.
  void NoteBusyWalk(std::size_t replies, std::chrono::nanoseconds busy) override {
    plain_->NoteBusyWalk(replies, busy);
  }
  [[nodiscard]] std::size_t WalkSessionsInUse() const override { return plain_->WalkSessionsInUse(); }
  [[nodiscard]] std::size_t WatchShardCount() const override { return shards_.size(); }
  [[nodiscard]] std::size_t WatchShardOf(const std::string& path) const override {
    return ShardOf(path, shards_.size());
  }

 private:
  ZnodeReader& ShardFor(const std::string& path) const { return *shards_[WatchShardOf(path)]; }

  ZnodeReader* const plain_;
  const std::vector<ZnodeReader*> shards_;
};

}  // namespace zkx::zk
