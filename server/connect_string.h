#pragma once
// ParseConnectString: a ZooKeeper connect string ("host:port[,host:port...][/chroot]") parsed once, with
// one-line errors, into its servers and chroot. Used by the session (ClientConnectString: what the C client
// is handed), by the exporter's startup and --config.check, and by its own TCP/HTTP probes of each server.
//
// Accepted host forms: "zk-0.zk:2181", "10.0.0.1:2181", the bracketed IPv6 "[::1]:2181" and the C client's
// own IPv6 form "::1:2181" (the last ':' separates the port; the rest must then be an IPv6 literal). A host
// without a port gets 2181 (as the Java client does). Spaces around hosts are ignored; one trailing comma is
// tolerated.
// Rejected, with an InvalidArgument naming the part: an empty string or host, a port that is not a decimal
// number in 1-65535 (no wrap-around: "110561" is an error, not 45025), a host with characters no host name
// or IP literal has, an unbracketed IPv6 literal without a port, a chroot that is not a valid znode path
// (empty segments as in "//", a trailing '/', "." or ".." segments, control characters). A chroot of "/"
// alone means no chroot.
// Name resolution is not checked here: a name that does not resolve (yet) is the session's business.
// Pure functions; no I/O, no DNS; thread-safe.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace zkx::server {

inline constexpr uint16_t kDefaultClientPort = 2181;

struct HostPort {
  std::string host;  // without brackets ("::1", "zk-0.zk", "127.0.0.1")
  uint16_t port = 0;
  // "host:port", with brackets for IPv6 literals ("[::1]:2181"): the `server` label of the server metrics.
  [[nodiscard]] std::string ToString() const;
  friend bool operator==(const HostPort&, const HostPort&) = default;
};

struct ConnectString {
  std::vector<HostPort> servers;  // in the order given; duplicates removed
  std::string chroot;             // "" or "/a/b" (no trailing '/')
};

// Errors are one line: `connect string "<text>": <problem>`, control characters escaped.
Result<ConnectString> ParseConnectString(std::string_view text);

// The connect string as the C client (libzookeeper_mt 3.8) wants it: "h1:p1,h2:p2/chroot", IPv6 literals
// WITHOUT brackets ("::1:2181": the client splits at the last ':' and does not understand "[::1]:2181").
std::string ClientConnectString(const ConnectString& parsed);

}  // namespace zkx::server
