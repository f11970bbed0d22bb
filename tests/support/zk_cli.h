#pragma once
// RunZkCli: ZooKeeper's own command-line client (Debian's /usr/share/zookeeper/bin/zkCli.sh) against a test
// server, for fixtures that must be made exactly as an operator makes them (setquota, delquota, ...).
//
// The commands go to zkCli's standard input, one per line: it runs them in one JVM, in order, and exits at
// the end of input (about 2 s of JVM start per call, whatever the number of commands). zkCli reports a failed
// command on its output and carries on, so callers check the output. The process (and the JVM the script
// starts) runs in its own process group, dies with the caller (PR_SET_PDEATHSIG on the shell) and is killed
// as a group when `timeout` passes. Only ever connects to `server`, which must be a loopback address.
// Thread-safety: no shared state; any thread may call it.

#include <chrono>
#include <string>
#include <vector>

#include "base/status.h"

namespace zkx::test {

inline constexpr const char* kZkCliPath = "/usr/share/zookeeper/bin/zkCli.sh";

// zkCli.sh -server `server` < commands. Its stdout and stderr interleaved, or kUnavailable (could not run),
// kDeadlineExceeded (killed after `timeout`), kInternal (exited non-zero or by a signal; the output in the
// message's tail).
Result<std::string> RunZkCli(const std::string& server, const std::vector<std::string>& commands,
                             std::chrono::milliseconds timeout = std::chrono::milliseconds(60000));

}  // namespace zkx::test
