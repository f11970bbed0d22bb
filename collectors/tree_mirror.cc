#include "collectors/tree_mirror.h"

#include <algorithm>
#include <iterator>
#include <utility>

#include "base/znode_path.h"
#include "collectors/watch_budget.h"

namespace zkx::collectors {
namespace {

std::string PrefixOf(const std::string& path) {
  return path == "/" ? path : path + "/";
}

}  // namespace

TreeMirror::TreeMirror(std::string root, ShardFn shard_of, std::size_t shards)
    : root_(std::move(root)),
      shard_of_(shards > 1 ? std::move(shard_of) : nullptr),
      shard_watches_(shard_of_ ? shards : 1) {}

void TreeMirror::Count(const std::string& path, bool added) {
  const std::size_t bytes = WatchBytesForPath(path.size());
  ShardWatches& shard = shard_watches_[ShardOf(path)];
  if (added) {
    watch_bytes_ += bytes;
    shard.watch_bytes += bytes;
    ++shard.znodes;
  } else {
    watch_bytes_ -= bytes;
    shard.watch_bytes -= bytes;
    --shard.znodes;
  }
}

const zk::ZnodeStat* TreeMirror::Find(const std::string& path) const {
  auto it = nodes_.find(path);
  return it == nodes_.end() ? nullptr : &it->second;
}

bool TreeMirror::InSubtree(const std::string& path) const {
  return ZnodePathInside(path, root_);
}

int TreeMirror::Depth(const std::string& path) const {
  if (!InSubtree(path)) return -1;
  if (path == root_) return 0;
  const auto slashes = [](const std::string& p) { return std::count(p.begin(), p.end(), '/'); };
  return static_cast<int>(slashes(path) - (root_ == "/" ? 0 : slashes(root_)));
}

void TreeMirror::Clear() {
  nodes_.clear();
  watch_bytes_ = 0;
  shard_watches_.assign(shard_watches_.size(), ShardWatches{});
}

bool TreeMirror::Put(const std::string& path, const zk::ZnodeStat& stat) {
  auto [it, inserted] = nodes_.insert_or_assign(path, stat);
  if (inserted) Count(path, true);
  return inserted;
}

std::size_t TreeMirror::RemoveSubtree(const std::string& path) {
  std::size_t removed = 0;
  auto erase = [&](std::map<std::string, zk::ZnodeStat>::iterator first,
                   std::map<std::string, zk::ZnodeStat>::iterator last) {
    for (auto it = first; it != last; ++it) Count(it->first, false);
    removed += static_cast<std::size_t>(std::distance(first, last));
    nodes_.erase(first, last);
  };
  if (auto self = nodes_.find(path); self != nodes_.end()) erase(self, std::next(self));
  if (path == "/") {
    erase(nodes_.begin(), nodes_.end());
  } else {
    // Descendants are exactly the keys in [path + "/", path + "0"): '0' follows '/' in ASCII.
    erase(nodes_.lower_bound(path + "/"), nodes_.lower_bound(path + "0"));
  }
  return removed;
}

std::vector<std::string> TreeMirror::Children(const std::string& path) const {
  std::vector<std::string> out;
  const std::string prefix = PrefixOf(path);
  auto it = nodes_.lower_bound(prefix);
  if (it != nodes_.end() && it->first == path) ++it;  // "/" is its own prefix
  while (it != nodes_.end() && ZnodePathBelow(it->first, path)) {
    const std::size_t slash = it->first.find('/', prefix.size());
    if (slash == std::string::npos) {
      out.push_back(it->first.substr(prefix.size()));
      ++it;
    } else {
      // A grandchild: skip the rest of that child's subtree.
      it = nodes_.lower_bound(it->first.substr(0, slash) + "0");
    }
  }
  return out;  // map order is path order, so names are sorted
}

TreeMirror::ChildrenDiff TreeMirror::ApplyChildren(const std::string& path, const zk::ZnodeStat& stat,
                                                   const std::vector<std::string>& children) {
  ChildrenDiff diff;
  Put(path, stat);
  std::vector<std::string> fresh = children;
  std::sort(fresh.begin(), fresh.end());
  const std::vector<std::string> have = Children(path);
  std::vector<std::string> gone;
  std::set_difference(have.begin(), have.end(), fresh.begin(), fresh.end(), std::back_inserter(gone));
  std::set_difference(fresh.begin(), fresh.end(), have.begin(), have.end(), std::back_inserter(diff.added));
  for (const std::string& name : gone) diff.removed += RemoveSubtree(JoinZnodePath(path, name));
  return diff;
}

std::size_t TreeMirror::CountDifferences(const TreeMirror& other) const {
  std::size_t diff = 0;
  auto a = nodes_.begin();
  auto b = other.nodes_.begin();
  while (a != nodes_.end() || b != other.nodes_.end()) {
    if (b == other.nodes_.end() || (a != nodes_.end() && a->first < b->first)) {
      ++diff;
      ++a;
    } else if (a == nodes_.end() || b->first < a->first) {
      ++diff;
      ++b;
    } else {
      if (!(a->second == b->second)) ++diff;
      ++a;
      ++b;
    }
  }
  return diff;
}

SubtreeSnapshot TreeMirror::BuildSnapshot(const SubtreeSpec& spec, const std::vector<ZnodePattern>* patterns,
                                          std::chrono::system_clock::time_point completed_at,
                                          std::chrono::nanoseconds duration, Caps caps) const {
  SnapshotBuilder builder(spec, patterns);
  for (const auto& [path, stat] : nodes_) {
    builder.Visit(zk::WalkedZnode{path, Depth(path), &stat});
  }
  SnapshotOrigin origin;
  origin.truncated_depth = caps.truncated_depth;
  origin.truncated_znodes = caps.truncated_znodes;
  origin.duration = duration;
  return std::move(builder).Finish(origin, completed_at);
}

}  // namespace zkx::collectors
