// AwaitedChildren (see awaited_children.h).
#include "collectors/awaited_children.h"

#include <algorithm>

#include "base/znode_path.h"

namespace zkx::collectors {

bool AwaitedChildren::Add(const std::string& path, std::size_t shard) {
  return waiting_.emplace(path, shard).second;
}

bool AwaitedChildren::Remove(const std::string& path) {
  return waiting_.erase(path) != 0;
}

std::vector<std::string> AwaitedChildren::RemoveUnlisted(const std::string& parent,
                                                         const std::vector<std::string>& children) {
  return RemoveIf([&](const std::string& path) {
    if (ZnodeParent(path) != parent || path == parent) return false;
    const std::string name = path.substr(path.rfind('/') + 1);
    return std::find(children.begin(), children.end(), name) == children.end();
  });
}

std::vector<std::string> AwaitedChildren::RemoveSubtree(const std::string& path) {
  return RemoveIf([&](const std::string& p) { return ZnodePathInside(p, path); });
}

std::vector<std::string> AwaitedChildren::Paths() const {
  std::vector<std::string> out;
  out.reserve(waiting_.size());
  for (const auto& [path, shard] : waiting_) out.push_back(path);
  return out;
}

void AwaitedChildren::AddTo(WatchShare* share, std::size_t chroot_length) const {
  for (const auto& [path, shard] : waiting_) {
    if (shard < share->size()) (*share)[shard] += 4 + chroot_length + path.size();
  }
}

}  // namespace zkx::collectors
