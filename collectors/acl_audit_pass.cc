// AclAuditPass (see acl_audit_pass.h).
#include "collectors/acl_audit_pass.h"

#include <algorithm>
#include <chrono>

#include <spdlog/spdlog.h>

#include "zk/acl_audit.h"

namespace zkx::collectors {

void AclAuditPass::Add(std::string_view path) {
  if (!spec_.acl_audit) return;
  if (paths_.size() >= spec_.acl_audit_max_znodes) {
    over_cap_ = true;
    return;
  }
  paths_.emplace_back(path);
}

std::optional<AclAuditResult> AclAuditPass::Run(zk::ZnodeReader& reader) {
  if (!spec_.acl_audit) return std::nullopt;
  AclAuditResult result;
  // As a walk: at most half the session's cap, so that the session's other requests always find a slot.
  const std::size_t in_flight =
      std::max<std::size_t>(std::min(spec_.limits.max_in_flight, reader.InFlightCap() / 2), 1);
  result.tally =
      zk::AuditAcls(reader, paths_, in_flight, std::chrono::steady_clock::now() + spec_.limits.timeout);
  result.truncated = over_cap_ || result.tally.timed_out || !result.tally.status.ok();
  if (!result.tally.status.ok()) {
    spdlog::warn("subtree {}: ACL audit stopped after {} znodes: {}", spec_.root, result.tally.audited,
                 result.tally.status.ToString());
  } else if (result.tally.timed_out) {
    spdlog::warn("subtree {}: ACL audit hit walk_timeout after {} znodes", spec_.root, result.tally.audited);
  } else if (over_cap_) {
    // A configured cap, reported by zookeeper_subtree_acl_audit_truncated: not worth a warning every walk.
    spdlog::debug("subtree {}: ACL audit stopped at acl_audit_max_znodes ({})", spec_.root,
                  spec_.acl_audit_max_znodes);
  }
  paths_.clear();
  return result;
}

}  // namespace zkx::collectors
