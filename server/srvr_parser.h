#pragma once
// ParseSrvr: the `srvr` four-letter word's text -> ServerReport, the fallback when `mntr` is not on the
// server's 4lw whitelist (srvr is the one command whitelisted by default since 3.5.3). It carries fewer
// facts: version, mode, latency min/avg/max, packets received/sent, connections, outstanding requests and
// the znode count; the samples use mntr's names ("min_latency", "packets_received", "znode_count", ...).
// Pure; never throws. InvalidArgument when there is no "Mode:" line (e.g. "not currently serving requests").

#include <string_view>

#include "base/status.h"
#include "server/server_report.h"

namespace zkx::server {

Result<ServerReport> ParseSrvr(std::string_view text);

}  // namespace zkx::server
