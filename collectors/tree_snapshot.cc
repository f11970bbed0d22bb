#include "collectors/tree_snapshot.h"

#include <algorithm>

namespace zkx::collectors {

SnapshotBuilder::SnapshotBuilder(const SubtreeSpec& spec, const std::vector<ZnodePattern>* patterns)
    : spec_(spec), patterns_(patterns) {
  snapshot_.root = spec.root;
}

void SnapshotBuilder::Visit(const zk::WalkedZnode& znode) {
  const zk::ZnodeStat& stat = *znode.stat;
  SubtreeSnapshot& s = snapshot_;
  ++s.znodes;
  s.data_bytes += static_cast<uint64_t>(std::max(stat.data_length, 0));
  if (stat.ephemeral()) ++s.ephemeral_znodes;
  s.max_depth = std::max(s.max_depth, znode.depth);
  // Ties go to the smaller path, so the answer does not depend on the walk's order.
  if (s.largest_znode_path.empty() || stat.data_length > s.largest_znode_bytes ||
      (stat.data_length == s.largest_znode_bytes && znode.path < s.largest_znode_path)) {
    s.largest_znode_bytes = stat.data_length;
    s.largest_znode_path = std::string(znode.path);
  }

  const bool is_root = znode.depth == 0;
  if (is_root) {
    s.root_exists = true;
    root_sample_ = ZnodeSample{std::string(znode.path), stat};
    return;
  }
  if (patterns_ == nullptr || spec_.max_znode_series <= 1) {
    if (patterns_ != nullptr && AnyMatch(znode.path)) s.znode_series_truncated = true;
    return;
  }
  if (!AnyMatch(znode.path)) return;
  matches_.push_back(ZnodeSample{std::string(znode.path), stat});
  // Keep memory bounded by twice the cap; which matches survive is decided by path order, not walk order.
  if (matches_.size() >= 2 * MatchCap()) KeepSmallestMatches();
}

bool SnapshotBuilder::AnyMatch(std::string_view path) const {
  return std::any_of(patterns_->begin(), patterns_->end(),
                     [&](const ZnodePattern& p) { return p.Matches(path); });
}

std::size_t SnapshotBuilder::MatchCap() const {
  return spec_.max_znode_series - 1;
}  // the root takes one

void SnapshotBuilder::KeepSmallestMatches() {
  const std::size_t cap = MatchCap();
  if (matches_.size() <= cap) return;
  std::nth_element(matches_.begin(), matches_.begin() + static_cast<std::ptrdiff_t>(cap), matches_.end(),
                   [](const ZnodeSample& a, const ZnodeSample& b) { return a.path < b.path; });
  matches_.resize(cap);
  snapshot_.znode_series_truncated = true;
}

SnapshotOrigin SnapshotOrigin::FromWalk(const zk::WalkSummary& summary) {
  SnapshotOrigin o;
  o.truncated_depth = summary.truncated_depth;
  o.truncated_znodes = summary.truncated_znodes;
  o.truncated_timeout = summary.truncated_timeout;
  o.skipped_no_node = summary.no_node;
  o.skipped_no_auth = summary.no_auth;
  o.skipped_errors = summary.errors;
  o.duration = summary.duration;
  return o;
}

SubtreeSnapshot SnapshotBuilder::Finish(const SnapshotOrigin& origin,
                                        std::chrono::system_clock::time_point completed_at) && {
  SubtreeSnapshot& s = snapshot_;
  s.truncated_depth = origin.truncated_depth;
  s.truncated_znodes = origin.truncated_znodes;
  s.truncated_timeout = origin.truncated_timeout;
  s.skipped_no_node = origin.skipped_no_node;
  s.skipped_no_auth = origin.skipped_no_auth;
  s.skipped_errors = origin.skipped_errors;
  s.completed_at = completed_at;
  s.duration = origin.duration;
  // Root first, then the matches in path order: a stable exposition, easy to diff.
  if (!matches_.empty()) KeepSmallestMatches();
  std::sort(matches_.begin(), matches_.end(),
            [](const ZnodeSample& a, const ZnodeSample& b) { return a.path < b.path; });
  if (root_sample_) s.znode_samples.push_back(std::move(*root_sample_));
  for (ZnodeSample& m : matches_) s.znode_samples.push_back(std::move(m));
  matches_.clear();
  return std::move(snapshot_);
}

}  // namespace zkx::collectors
