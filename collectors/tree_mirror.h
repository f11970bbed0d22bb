#pragma once
// TreeMirror: the compact in-memory copy of a watch-mode subtree: path -> Stat, in one sorted map (children
// are found by prefix, so no per-node child lists). Applying a fresh child listing yields what was added
// and removes what vanished. BuildSnapshot turns the mirror into the same immutable SubtreeSnapshot a walk
// produces, so tree_metrics and the landing page need not know which mode made it.
//
// Cost: one map node per znode (path + 88-byte Stat); WatchBytes() is kept up to date incrementally, also per
// watch shard when the mirror is given a ShardFn (the watches of a path live on the shard it names:
// zk::ZnodeReader::WatchShardOf).
// Thread-safety: none; owned by one refresher thread.

#include <chrono>
#include <cstddef>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "collectors/subtree_spec.h"
#include "collectors/tree_snapshot.h"
#include "collectors/znode_pattern.h"
#include "zk/znode_stat.h"

namespace zkx::collectors {

class TreeMirror {
 public:
  // Which of `shards` watch sessions holds a path's watches.
  using ShardFn = std::function<std::size_t(const std::string& path)>;
  // What the mirrored znodes of one shard cost: WatchBytesForPath summed, and how many they are.
  struct ShardWatches {
    std::size_t watch_bytes = 0;
    std::size_t znodes = 0;
    friend bool operator==(const ShardWatches&, const ShardWatches&) = default;
  };

  // One shard (every path on shard 0) unless `shard_of` and `shards` > 1 are given.
  explicit TreeMirror(std::string root, ShardFn shard_of = nullptr, std::size_t shards = 1);

  [[nodiscard]] const std::string& root() const { return root_; }
  [[nodiscard]] std::size_t size() const { return nodes_.size(); }
  [[nodiscard]] bool empty() const { return nodes_.empty(); }
  [[nodiscard]] bool Contains(const std::string& path) const { return nodes_.count(path) != 0; }
  [[nodiscard]] const zk::ZnodeStat* Find(const std::string& path) const;
  // 0 for the root; -1 for a path outside the subtree.
  [[nodiscard]] int Depth(const std::string& path) const;
  // True if `path` is the root or below it.
  [[nodiscard]] bool InSubtree(const std::string& path) const;
  // Bytes the data + child watches of every mirrored znode add to SetWatches (WatchBytesForPath).
  [[nodiscard]] std::size_t WatchBytes() const { return watch_bytes_; }
  // The same, per shard (shards() entries).
  [[nodiscard]] const std::vector<ShardWatches>& ShardWatchBytes() const { return shard_watches_; }
  [[nodiscard]] std::size_t shards() const { return shard_watches_.size(); }
  [[nodiscard]] std::size_t ShardOf(const std::string& path) const {
    return shard_of_ ? shard_of_(path) % shard_watches_.size() : 0;
  }
  [[nodiscard]] const std::map<std::string, zk::ZnodeStat>& nodes() const { return nodes_; }

  void Clear();
  // Inserts or updates. Returns true when `path` was not mirrored before.
  bool Put(const std::string& path, const zk::ZnodeStat& stat);
  // Removes `path` and everything mirrored below it; returns how many znodes went.
  std::size_t RemoveSubtree(const std::string& path);
  // Names of the mirrored children of `path`, sorted.
  [[nodiscard]] std::vector<std::string> Children(const std::string& path) const;

  struct ChildrenDiff {
    std::vector<std::string> added;  // child names (not paths) the mirror does not have yet
    std::size_t removed = 0;         // znodes removed (vanished children and their subtrees)
  };
  // A fresh listing of `path` (which must be mirrored): stores its Stat, removes mirrored children missing
  // from `children`, returns the new ones (the caller reads them and Put()s them).
  ChildrenDiff ApplyChildren(const std::string& path, const zk::ZnodeStat& stat,
                             const std::vector<std::string>& children);

  // Znodes whose presence or Stat differ between two mirrors (for resync diagnostics).
  [[nodiscard]] std::size_t CountDifferences(const TreeMirror& other) const;

  struct Caps {
    bool truncated_depth = false;
    bool truncated_znodes = false;
  };
  // The snapshot a walk of the mirrored tree would produce (`patterns` as in SnapshotBuilder).
  [[nodiscard]] SubtreeSnapshot BuildSnapshot(const SubtreeSpec& spec,
                                              const std::vector<ZnodePattern>* patterns,
                                              std::chrono::system_clock::time_point completed_at,
                                              std::chrono::nanoseconds duration, Caps caps) const;

 private:
  void Count(const std::string& path, bool added);

  std::string root_;
  ShardFn shard_of_;
  std::map<std::string, zk::ZnodeStat> nodes_;
  std::size_t watch_bytes_ = 0;
  std::vector<ShardWatches> shard_watches_;
};

}  // namespace zkx::collectors
