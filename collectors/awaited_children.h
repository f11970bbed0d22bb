#pragma once
// AwaitedChildren: znodes a watch-mode mirror was told exist, but that their own watch session could not find
// yet. With watches spread over several sessions (zk/watch_shards.h) a parent and its child may live on
// sessions connected to different ensemble members: the parent's listing (read on its session's member)
// names a child that the child's session's member has not applied yet, so the child's watched reads answer
// kNotFound. The exists-watch that read left on the child's session fires kCreated when that member catches
// up; if the listing was the stale one (the child was deleted), the parent's child watch fires and the next
// listing no longer names it. Until one of the two happens, the path waits here.
//
// Each waiting path holds one exists-watch on its session: 4 + chroot + path bytes of that session's
// SetWatches, which AddTo() adds to a subtree's watch share.
// Thread-safety: none; owned by one WatchRefresher (its Run() thread).

#include <cstddef>
#include <map>
#include <string>
#include <vector>

#include "collectors/watch_budget.h"

namespace zkx::collectors {

class AwaitedChildren {
 public:
  // Adds `path`, whose watches live on watch session `shard`. False if it was already waiting.
  bool Add(const std::string& path, std::size_t shard);
  // Removes `path`; false if it was not waiting.
  bool Remove(const std::string& path);
  [[nodiscard]] bool Contains(const std::string& path) const { return waiting_.count(path) != 0; }
  [[nodiscard]] bool empty() const { return waiting_.empty(); }
  [[nodiscard]] std::size_t size() const { return waiting_.size(); }

  // Removes and returns the waiting children of `parent` that `children` (a fresh listing of it: names) no
  // longer names.
  std::vector<std::string> RemoveUnlisted(const std::string& parent,
                                          const std::vector<std::string>& children);
  // Removes and returns every waiting path at or below `path`.
  std::vector<std::string> RemoveSubtree(const std::string& path);
  // Removes and returns every waiting path for which `drop(path)` is true.
  template <typename Pred>
  std::vector<std::string> RemoveIf(Pred drop) {
    std::vector<std::string> out;
    for (auto it = waiting_.begin(); it != waiting_.end();) {
      if (drop(it->first)) {
        out.push_back(it->first);
        it = waiting_.erase(it);
      } else {
        ++it;
      }
    }
    return out;
  }
  // Every waiting path.
  [[nodiscard]] std::vector<std::string> Paths() const;
  void Clear() { waiting_.clear(); }

  // Adds each waiting path's exists-watch (4 + chroot_length + path bytes) to its session's entry of *share.
  void AddTo(WatchShare* share, std::size_t chroot_length) const;

 private:
  std::map<std::string, std::size_t> waiting_;  // path -> its watch session
};

}  // namespace zkx::collectors
