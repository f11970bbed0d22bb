#pragma once
// The result of one subtree walk, kept compactly: aggregates for the whole subtree plus the Stat of the few
// znodes that get per-znode series (the root and those matching the subtree's patterns, capped).
// SnapshotBuilder folds walked znodes into a snapshot; the finished SubtreeSnapshot is immutable and
// shared across threads as std::shared_ptr<const SubtreeSnapshot>.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "collectors/subtree_spec.h"
#include "collectors/value_tracker.h"
#include "collectors/znode_pattern.h"
#include "zk/acl_audit.h"
#include "zk/subtree_walk.h"
#include "zk/znode_stat.h"

namespace zkx::collectors {

struct ZnodeSample {
  std::string path;
  zk::ZnodeStat stat;
};

// The ACL audit of a subtree's last full walk (SubtreeSpec::acl_audit).
struct AclAuditResult {
  zk::AclTally tally;
  bool truncated = false;  // znodes left unaudited: more than acl_audit_max_znodes, the deadline, or a lost
                           // connection
};

struct SubtreeSnapshot {
  std::string root;
  bool root_exists = false;  // false when the walk found no znode at `root` (not an error)
  uint64_t znodes = 0;       // znodes visited, the root included
  uint64_t data_bytes = 0;   // sum of data lengths
  uint64_t ephemeral_znodes = 0;
  int max_depth = 0;  // deepest znode visited, relative to the root (root = 0)
  int64_t largest_znode_bytes = 0;
  std::string largest_znode_path;
  // Walk outcome.
  bool truncated_depth = false;
  bool truncated_znodes = false;
  bool truncated_timeout = false;
  uint64_t skipped_no_node = 0;
  uint64_t skipped_no_auth = 0;
  uint64_t skipped_errors = 0;
  std::chrono::system_clock::time_point completed_at{};
  std::chrono::nanoseconds duration{0};
  // Per-znode series: the root first, then matches in path order, at most spec.max_znode_series in all.
  std::vector<ZnodeSample> znode_samples;
  bool znode_series_truncated = false;          // more znodes matched than the cap allowed
  std::optional<AclAuditResult> acl;            // subtrees with acl_audit only
  std::shared_ptr<const ValueSnapshot> values;  // subtrees with value_rules only

  [[nodiscard]] bool truncated() const { return truncated_depth || truncated_znodes || truncated_timeout; }
};

// How a snapshot was made, as far as it shows in the snapshot: the caps that bit and what was skipped. A
// walk's WalkSummary gives one (FromWalk); a watch-mode mirror states its own (it skips nothing).
struct SnapshotOrigin {
  bool truncated_depth = false;
  bool truncated_znodes = false;
  bool truncated_timeout = false;
  uint64_t skipped_no_node = 0;
  uint64_t skipped_no_auth = 0;
  uint64_t skipped_errors = 0;
  std::chrono::nanoseconds duration{0};  // of the walk, or of the last full sync for a mirror

  static SnapshotOrigin FromWalk(const zk::WalkSummary& summary);
};

// Not thread-safe: one builder per walk, used on the walking thread.
class SnapshotBuilder {
 public:
  // `patterns` are the spec's patterns, already parsed.
  SnapshotBuilder(const SubtreeSpec& spec, const std::vector<ZnodePattern>* patterns);

  void Visit(const zk::WalkedZnode& znode);
  // Completes the snapshot with the walk's summary. A walk whose root was NotFound yields an empty snapshot
  // with root_exists = false.
  SubtreeSnapshot Finish(const SnapshotOrigin& origin, std::chrono::system_clock::time_point completed_at) &&;
  SubtreeSnapshot Finish(const zk::WalkSummary& summary,
                         std::chrono::system_clock::time_point completed_at) && {
    return std::move(*this).Finish(SnapshotOrigin::FromWalk(summary), completed_at);
  }

 private:
  [[nodiscard]] bool AnyMatch(std::string_view path) const;
  [[nodiscard]] std::size_t MatchCap() const;
  void KeepSmallestMatches();

  const SubtreeSpec& spec_;
  const std::vector<ZnodePattern>* patterns_;
  SubtreeSnapshot snapshot_;
  std::optional<ZnodeSample> root_sample_;
  std::vector<ZnodeSample> matches_;  // at most 2 x cap between prunings
};

}  // namespace zkx::collectors
