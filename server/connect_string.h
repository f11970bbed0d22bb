#pragma once
// ParseConnectString: a ZooKeeper connect string ("host:port[,host:port...][/chroot]") split into its servers
// and chroot, for the exporter's own TCP/HTTP probes (four-letter words, AdminServer) of each server.
//
// Accepted host forms: "zk-0.zk:2181", "10.0.0.1:2181", the C client's IPv6 form "::1:2181" (the last ':'
// separates the port) and the bracketed "[::1]:2181". A host without a port gets 2181 (as the Java client
// does). Spaces around hosts are ignored. Pure functions; no I/O, no DNS.

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

// InvalidArgument naming the offending part when a host is empty, a port is not 1-65535, the chroot is not a
// valid absolute path, or there is no host at all.
Result<ConnectString> ParseConnectString(std::string_view text);

}  // namespace zkx::server
