#pragma once
// AuditAcls: reads the ACL of each of a list of znodes (pipelined zoo_aget_acl through a ZnodeReader) and
// tallies what an operator needs to spot an accidentally open subtree: znodes that world:anyone may read,
// may write, and how many znodes carry an entry of each ACL scheme. Identities (digest user:hash, IPs) are
// never kept: only scheme names and permission bits leave this function.
//
// Cost: one request per path, at most `max_in_flight` outstanding; the caller bounds the list. A znode that
// vanished (kNotFound) or whose ACL we may not read (kPermissionDenied: since ZooKeeper 3.5 getACL needs READ
// or ADMIN) is counted and skipped. A lost connection or the deadline ends the audit early (status non-OK,
// or timed_out); what was tallied until then is still returned.
// Thread-safety: a pure function of its arguments; blocks the calling thread until done. Callbacks that land
// after it returned (deadline) are harmless.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "base/status.h"
#include "zk/znode_reader.h"

namespace zkx::zk {

struct AclTally {
  Status status;                // OK unless the connection was lost or the session closed
  bool timed_out = false;       // the deadline stopped the audit with paths left
  uint64_t audited = 0;         // znodes whose ACL was read
  uint64_t world_readable = 0;  // ACL has world:anyone with READ
  uint64_t world_writable = 0;  // ACL has world:anyone with WRITE
  uint64_t no_node = 0;         // vanished before their ACL was read
  uint64_t no_auth = 0;         // ACL not readable by us
  uint64_t errors = 0;          // other per-znode failures
  std::map<std::string, uint64_t> znodes_by_scheme;  // scheme -> znodes with at least one entry of it
};

// Folds one znode's ACL into `tally` (exposed for unit tests).
void TallyAcl(const std::vector<AclEntry>& acl, AclTally* tally);

AclTally AuditAcls(ZnodeReader& reader, const std::vector<std::string>& paths, std::size_t max_in_flight,
                   std::chrono::steady_clock::time_point deadline);

}  // namespace zkx::zk
