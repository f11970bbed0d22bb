#pragma once
// Reference walks the walk benchmark compares the exporter's pipelined walk against: the one-at-a-time
// get + get_children walk of the kazoo tutorial, done with the C client's synchronous calls. Both block the
// calling thread for the whole walk. Thread-safety: no shared state beyond the C client's process-wide log
// settings; one walk per call.

#include <chrono>
#include <cstddef>
#include <string>

#include "base/status.h"

namespace zkx::bench {

struct BaselineResult {
  std::size_t nodes = 0;  // znodes visited (the root included) / paths listed
  double seconds = 0;     // wall time of the walk itself (see each function for what is included)
};

// The kazoo tutorial's zk_walk with the C client's synchronous API: for each znode, one at a time, zoo_get
// (its data) then zoo_get_children, depth first from `root`. Connecting is not timed. A znode that vanishes
// mid-walk (ZNONODE) is skipped; any other error fails the walk.
Result<BaselineResult> SequentialGetChildrenWalk(const std::string& hosts, const std::string& root);

// The C client's pipelined walk: for each znode zoo_aget (its data) and zoo_aget_children2 (Stat + children),
// with up to `in_flight` znodes outstanding, depth first. Connecting is not timed. ZNONODE is skipped.
// `with_get` false: zoo_aget_children2 only (one request per znode, as the exporter's walk): the bare client
// doing exactly the exporter's work. `sessions` > 1: that many handles, the requests sent to them in turn
// (`in_flight` is over all of them).
Result<BaselineResult> PipelinedGetChildren2Walk(const std::string& hosts, const std::string& root,
                                                 std::size_t in_flight = 1024, bool with_get = true,
                                                 std::size_t sessions = 1);

// Runs `/usr/share/zookeeper/bin/zkCli.sh -server <hosts> ls -R <root>` (fork/exec, stdout piped, stderr to
// /dev/null) and counts the output lines that are paths (start with '/'). Timed from fork to exit, so the
// JVM's start-up is included, as it is for a user of zkCli. Killed (kDeadlineExceeded) after `timeout`.
Result<BaselineResult> ZkCliLsR(const std::string& hosts, const std::string& root,
                                std::chrono::seconds timeout = std::chrono::seconds(600));

}  // namespace zkx::bench
