#pragma once
// Small helpers every integration / e2e test uses: free loopback ports, waiting on a condition with a
// deadline (never bare sleeps), and the four-letter-word client. Thread-safety: all functions are free
// functions without shared state; call them from any thread.

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace zkx::test {

// Binds 127.0.0.1:0, reads the port the kernel chose, closes the socket. The port is free at that instant;
// another process may take it before the caller binds it (acceptable for tests; retry on EADDRINUSE).
Result<uint16_t> FreeLoopbackPort();

// `count` distinct free loopback ports: every socket is held open until all are chosen, so no port repeats.
Result<std::vector<uint16_t>> FreeLoopbackPorts(std::size_t count);

// Calls `predicate` every `poll_interval` until it returns true (-> true) or `timeout` has passed (-> false).
// The predicate is evaluated at least once, and once more at the deadline. Runs on the calling thread.
bool WaitFor(const std::function<bool()>& predicate, std::chrono::milliseconds timeout,
             std::chrono::milliseconds poll_interval = std::chrono::milliseconds(50));

// Like WaitFor, but `predicate` must then keep returning true for `hold` (checked every `poll_interval`)
// before this returns true: for a settled state that events still in flight can briefly leave and re-enter
// (a watch that fires and is re-armed). A false reading starts the hold again. False at `timeout`.
bool WaitForSteady(const std::function<bool()>& predicate, std::chrono::milliseconds hold,
                   std::chrono::milliseconds timeout,
                   std::chrono::milliseconds poll_interval = std::chrono::milliseconds(10));

// Connects to `host` (an IPv4 literal; "localhost" means 127.0.0.1):`port`, sends `request` and returns
// every byte received until the peer closes. `timeout` bounds the whole exchange
// (kDeadlineExceeded); refused / reset -> kUnavailable.
Result<std::string> TcpExchange(const std::string& host, uint16_t port, std::string_view request,
                                std::chrono::milliseconds timeout);

// Sends a four-letter word (e.g. "ruok", "srvr", "mntr") to 127.0.0.1:`port` and returns everything the
// server writes before closing. Fails with kUnavailable (connect refused/reset) or kDeadlineExceeded
// (`timeout` for the whole exchange). Only ever connects to loopback.
Result<std::string> FourLetterWordTo(uint16_t port, std::string_view command,
                                     std::chrono::milliseconds timeout = std::chrono::milliseconds(5000));

// Parses the "Mode: <mode>" line of `srvr` / `stat` output: "leader", "follower", "standalone", "observer",
// "read-only". Empty if there is none (e.g. "This ZooKeeper instance is not currently serving requests").
std::string ParseServerMode(std::string_view srvr_output);

}  // namespace zkx::test
