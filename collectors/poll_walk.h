#pragma once
// PollWalk: one plain walk of a subtree (no watches) folded into the snapshot poll mode publishes:
// aggregates and per-znode samples (SnapshotBuilder), the ACL audit (acl_audit subtrees) and the value-rule
// reads (value_rules subtrees). Poll mode runs one every refresh interval. A watch-mode subtree runs one
// first, to size its watches against the budget before arming any; when the subtree is over budget it
// finishes it and hands the snapshot over as poll mode's first result, so that falling back never walks
// twice; otherwise it abandons it (no ACL or data reads).
//
// Memory: the builder's compact aggregates and capped samples, plus whatever `also` keeps (the caller's
// business); never a copy of the tree. Not thread-safe: one PollWalk per walk, on the walking thread, which
// Walk() and Finish() block (bounded by spec.limits.timeout each). `spec`, `patterns`, `reader` and `values`
// must outlive it.

#include <functional>
#include <memory>
#include <vector>

#include "collectors/acl_audit_pass.h"
#include "collectors/subtree_spec.h"
#include "collectors/tree_snapshot.h"
#include "collectors/value_tracker.h"
#include "collectors/znode_pattern.h"
#include "zk/subtree_walk.h"
#include "zk/znode_reader.h"

namespace zkx::collectors {

class PollWalk {
 public:
  // `patterns`: the spec's, parsed. `values`: the subtree's value tracker, or null.
  PollWalk(const SubtreeSpec& spec, const std::vector<ZnodePattern>* patterns, zk::ZnodeReader& reader,
           ValueTracker* values);

  // Walks once; `also` (may be empty) is called for every znode walked.
  const zk::WalkSummary& Walk(const std::function<void(const zk::WalkedZnode&)>& also = {});
  // The same walk as a job of a round (zk::WalkSubtrees, which runs it with others on one thread); the
  // round hands its summary to Walked(), and then Finish() goes on as after Walk().
  zk::WalkJob Job();
  void Walked(zk::WalkSummary summary);
  // True when the walk produced a snapshot: it succeeded, or the root does not exist (an empty snapshot,
  // root_exists = false: a fact about the tree, not a failure).
  [[nodiscard]] bool ok() const;
  [[nodiscard]] const zk::WalkSummary& summary() const { return summary_; }
  // After a walk that is ok(): runs the ACL audit and the value reads and returns the snapshot to publish.
  // After a failed walk: abandons the value reads and returns null.
  std::shared_ptr<const SubtreeSnapshot> Finish();
  // The walk's result is not wanted (a watch-mode subtree within budget): value reads abandoned.
  void Abandon();

 private:
  void Visit(const zk::WalkedZnode& z);

  const SubtreeSpec& spec_;
  zk::ZnodeReader& reader_;
  ValueTracker* const values_;
  SnapshotBuilder builder_;
  AclAuditPass acl_audit_;
  zk::WalkSummary summary_;
  bool finished_ = false;
};

}  // namespace zkx::collectors
