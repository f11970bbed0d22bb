#pragma once
// AclAuditPass: the ACL audit of one full walk (SubtreeSpec::acl_audit). The walk's visitor calls Add for
// each znode; after the walk, Run reads the ACLs of the first acl_audit_max_znodes of them (zk::AuditAcls)
// within the walk's time budget. Shared by the poll and the watch refreshers.
// Not thread-safe: one pass per walk, on the walking thread.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "collectors/subtree_spec.h"
#include "collectors/tree_snapshot.h"
#include "zk/znode_reader.h"

namespace zkx::collectors {

class AclAuditPass {
 public:
  explicit AclAuditPass(const SubtreeSpec& spec) : spec_(spec) {}

  // Records a walked znode's path (kept only when the subtree audits ACLs, up to the cap).
  void Add(std::string_view path);
  // Reads the recorded znodes' ACLs. nullopt when the subtree does not audit ACLs.
  std::optional<AclAuditResult> Run(zk::ZnodeReader& reader);

 private:
  const SubtreeSpec& spec_;
  std::vector<std::string> paths_;
  bool over_cap_ = false;
};

}  // namespace zkx::collectors
