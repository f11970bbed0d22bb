#pragma once
// WatchesCollector ("watches"): the watch tables of each server in --zookeeper.hosts, so clients piling up
// watches show, plus the exporter's own share.
//
// Sources per server (concurrently across servers, same deadline rules as ServerCollector):
//   totals:   admin GET /commands/watch_summary (unless admin_port is 0), else the `wchs` four-letter word
//   per path: admin GET /commands/watches_by_path, else `wchp` -- only when options.per_path is set: the
//             ZooKeeper docs warn these can be expensive on big servers. Only paths inside `roots` are kept
//             (server-side paths: the connect string's chroot is prepended to each root), at most
//             `max_paths` per server; the rest are counted and flagged as truncated.
//
// Metrics (`server` label = "host:port"):
//   zookeeper_watches_up                          gauge  1 if the totals were read
//   zookeeper_watches_probe_error{source,reason}  gauge  1 per failed source (admin, wchs, wchp)
//   zookeeper_watches_connections                 gauge  connections with at least one watch
//   zookeeper_watches_paths                       gauge  distinct watched paths
//   zookeeper_watches                             gauge  watches in total
//   zookeeper_watches_path_sessions{path}         gauge  sessions watching `path` (per-path mode only)
//   zookeeper_watches_paths_matched               gauge  watched paths inside the roots (per-path mode only)
//   zookeeper_watches_paths_truncated             gauge  1 if more than max_paths matched (per-path mode
//   only) zookeeper_exporter_watches (no label)         gauge  watches the exporter itself holds
//   (own_watches())
// Thread-safety: Collect may run concurrently; own_watches is called from the scrape thread.

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/worker_pool.h"
#include "collectors/collector.h"
#include "collectors/probe_warnings.h"
#include "zk/connect_string.h"
#include "zk/server_report.h"

namespace zkx::collectors {

struct WatchesOptions {
  uint16_t admin_port = 8080;
  std::chrono::milliseconds timeout{2000};
  bool per_path = false;
  std::size_t max_paths = 1000;
  std::vector<std::string> roots;  // server-side subtree roots ("/" = everything); used when per_path
  std::function<std::size_t()> own_watches;  // may be empty (reported as 0)
};

struct WatchesObservation {
  std::string server;
  std::optional<zk::WatchSummary> summary;
  std::optional<zk::WatchesByPath> by_path;
  std::vector<ProbeFailure> failures;
};

// True if `path` is `root` or below it.
bool PathInside(std::string_view path, std::string_view root);

// Prefixes each root with `chroot` ("" = none): the paths the server sees.
std::vector<std::string> ServerSideRoots(const std::vector<std::string>& roots, const std::string& chroot);

WatchesObservation ProbeWatches(const zk::HostPort& server, const WatchesOptions& options,
                                std::chrono::steady_clock::time_point deadline);

// Pure; unit-tested. `per_path` decides whether the per-path families appear.
std::vector<prometheus::MetricFamily> BuildWatchesFamilies(
    const std::vector<WatchesObservation>& observations, bool per_path, std::size_t own_watches);

class WatchesCollector final : public Collector {
 public:
  WatchesCollector(std::vector<zk::HostPort> servers, WatchesOptions options);

  Status Collect(std::chrono::steady_clock::time_point deadline,
                 std::vector<prometheus::MetricFamily>* out) override;

 private:
  const std::vector<zk::HostPort> servers_;
  // The probe workers (one per server, at most 16): joined when the collector is destroyed.
  const std::unique_ptr<WorkerPool> probes_;
  const WatchesOptions options_;
  ProbeWarnings warnings_{"watches"};
};

}  // namespace zkx::collectors
