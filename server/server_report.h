#pragma once
// ServerReport: what one ZooKeeper server says about itself (mntr, the AdminServer's /commands/monitor, or
// the always-whitelisted srvr), as typed fields plus every numeric key it sent. WatchSummary / WatchesByPath:
// the server's watch tables (wchs / watch_summary, wchp / watches_by_path). Plain values; no I/O.

#include <cstddef>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace zkx::server {

// One numeric key. `name` has no "zk_" prefix (mntr's "zk_znode_count" and monitor's "znode_count" are both
// "znode_count"); labels come from 3.6+ labelled keys such as `zk_x{key="v"}` (empty otherwise).
struct ServerSample {
  std::string name;
  std::vector<std::pair<std::string, std::string>> labels;
  double value = 0;
  friend bool operator==(const ServerSample&, const ServerSample&) = default;
};

struct ServerReport {
  std::string version;       // "3.8.0-<commit>, built on ..." ("" if not sent)
  std::string server_state;  // "leader", "follower", "observer", "standalone", "read-only" or as sent
  // Typed fields, as sent (latencies in milliseconds, sizes in bytes); absent when the server did not send
  // them.
  std::optional<double> znode_count, watch_count, ephemerals_count, approximate_data_size;
  std::optional<double> alive_connections, outstanding_requests;
  std::optional<double> min_latency_ms, avg_latency_ms, max_latency_ms;
  std::optional<double> packets_received, packets_sent;
  std::optional<double> open_file_descriptors, max_file_descriptors;
  std::optional<double> followers, synced_followers,
      pending_syncs;                  // leader only (followers: 3.4 zk_followers, else learners)
  std::optional<double> uptime_ms;    // 3.6+
  std::vector<ServerSample> samples;  // every numeric key, in the order sent (capped, see kMaxServerSamples)
  std::size_t skipped_lines = 0;      // lines / keys that were neither numeric nor a known string key
};

inline constexpr std::size_t kMaxServerSamples = 20000;

// Fills the typed fields from `report->samples` (unlabelled samples only). Called by every parser.
void FillTypedFields(ServerReport* report);

// The short version: "3.8.0" from "3.8.0-${mvngit.commit.id}, built on ...", "3.4.14" from "3.4.14-4c25...".
std::string ShortVersion(const std::string& version);

struct WatchSummary {
  double connections = 0;    // connections (sessions) with at least one watch
  double paths = 0;          // distinct watched paths
  double total_watches = 0;  // watches
};

struct WatchesByPath {
  // (path, number of sessions watching it), only paths accepted by the caller's filter, at most the cap.
  std::vector<std::pair<std::string, double>> paths;
  std::size_t matched = 0;  // paths accepted by the filter (may exceed paths.size() when truncated)
  std::size_t total = 0;    // paths the server listed
  bool truncated = false;   // matched > cap
};

}  // namespace zkx::server
