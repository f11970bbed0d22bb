#pragma once
// Server probes: the exporter's own short TCP / HTTP exchanges with one ZooKeeper server, for the server and
// watches collectors.
//   FourLetterWord: connect to host:client-port, send the 4 bytes, read until the server closes.
//   AdminGet:       HTTP/1.1 GET http://host:admin-port/commands/<command> ("Connection: close").
// Only read-only commands are ever sent by the collectors (mntr, srvr, wchs, wchp, monitor, watch_summary,
// watches_by_path): never `srst` or any other state-changing command.
//
// Deadlines: connect, send and read are bounded by `deadline` with poll(); name resolution (getaddrinfo) is
// the one step that cannot be interrupted, so callers run probes on threads they can abandon (see
// collectors/probe_runner.h). Replies larger than `max_bytes` are refused (kResponseTooLarge).
// Thread-safety: free functions without shared state; call from any thread. Never throw.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "base/status.h"
#include "server/connect_string.h"

namespace zkx::server {

// Why a probe got no usable answer. Names (ProbeReasonName) are the `reason` label values.
enum class ProbeReason {
  kOk,
  kConnectionRefused,    // "connection_refused": nothing listens on the port (server down)
  kTimeout,              // "timeout": no complete answer before the deadline (hung or slow server)
  kResolveFailed,        // "resolve_failed": the host name does not resolve
  kIoError,              // "io_error": reset or another socket error
  kNotWhitelisted,       // "not_whitelisted": the 4lw is not in 4lw.commands.whitelist
  kAdminServerDisabled,  // "admin_server_disabled": nothing answers on the admin port though the server does
  kNotServing,           // "not_serving": "This ZooKeeper instance is not currently serving requests"
  kHttpError,            // "http_error": the AdminServer answered with a non-200 status
  kResponseTooLarge,     // "response_too_large": the reply exceeded max_bytes
  kParseError,           // "parse_error": the reply could not be parsed
};
std::string_view ProbeReasonName(ProbeReason reason);

struct ProbeReply {
  ProbeReason reason = ProbeReason::kOk;
  std::string body;    // the 4lw reply, or the HTTP body; empty unless reason == kOk
  std::string detail;  // human-readable cause for logs ("" when kOk)
  [[nodiscard]] bool ok() const { return reason == ProbeReason::kOk; }
};

inline constexpr std::size_t kDefaultMaxReplyBytes = 16u << 20;

// `command` is a four-letter word. A reply that is the whitelist refusal or "not currently serving" is
// reported as kNotWhitelisted / kNotServing.
ProbeReply FourLetterWord(const HostPort& server, std::string_view command,
                          std::chrono::steady_clock::time_point deadline,
                          std::size_t max_bytes = kDefaultMaxReplyBytes);

// GET /commands/<command> from server.host:admin_port. A refused connection is kConnectionRefused (the
// caller decides whether that means the AdminServer is off), a non-200 status kHttpError.
ProbeReply AdminGet(const HostPort& server, uint16_t admin_port, std::string_view command,
                    std::chrono::steady_clock::time_point deadline,
                    std::size_t max_bytes = kDefaultMaxReplyBytes);

// The reason a four-letter word's text stands for: kNotWhitelisted, kNotServing or kOk.
ProbeReason ClassifyFourLetterReply(std::string_view reply);

struct HttpReply {
  int status = 0;
  std::string body;  // de-chunked
};
// Parses a complete HTTP/1.x response (status line, headers, Content-Length / chunked / until-close body).
Result<HttpReply> ParseHttpReply(std::string_view raw);

}  // namespace zkx::server
