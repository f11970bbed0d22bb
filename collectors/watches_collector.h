#pragma once
// WatchesCollector ("watches"): the watch tables of each server in --zookeeper.hosts, so clients piling up
// watches show. (The exporter's own watches are the session collector's zookeeper_session_watches.)
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
//   zookeeper_watches_paths_truncated             gauge  1 if more than max_paths matched (per-path only)
// Thread-safety: Collect may run concurrently.

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
#include "server/connect_string.h"
#include "server/server_report.h"

namespace zkx::collectors {

struct WatchesOptions {
  uint16_t admin_port = 8080;
  std::chrono::milliseconds timeout{2000};
  bool per_path = false;
  std::size_t max_paths = 1000;
  std::vector<std::string> roots;  // server-side subtree roots ("/" = everything); used when per_path
  // The /probe targets' shared probe threads (a lane of them: probe_runner.h); null: the collector's own.
  std::shared_ptr<WorkerPool> shared_probes = nullptr;
};

struct WatchesObservation {
  std::string server;
  std::optional<server::WatchSummary> summary;
  std::optional<server::WatchesByPath> by_path;
  std::vector<ProbeFailure> failures;
};

// Prefixes each root with `chroot` ("" = none): the paths the server sees.
std::vector<std::string> ServerSideRoots(const std::vector<std::string>& roots, const std::string& chroot);

WatchesObservation ProbeWatches(const server::HostPort& server, const WatchesOptions& options,
                                std::chrono::steady_clock::time_point deadline);

// Pure; unit-tested. `per_path` decides whether the per-path families appear.
std::vector<prometheus::MetricFamily> BuildWatchesFamilies(
    const std::vector<WatchesObservation>& observations, bool per_path);

class WatchesCollector final : public Collector {
 public:
  WatchesCollector(std::vector<server::HostPort> servers, WatchesOptions options);

  Status Collect(std::chrono::steady_clock::time_point deadline, FamilySink out) override;

 private:
  const std::vector<server::HostPort> servers_;
  // The probe workers (one per server, at most 16): joined when the collector is destroyed.
  const std::unique_ptr<WorkerPool> probes_;
  const WatchesOptions options_;
  ProbeWarnings warnings_{"watches"};
};

}  // namespace zkx::collectors
