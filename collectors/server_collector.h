#pragma once
// ServerCollector ("server"): what each ZooKeeper server named in --zookeeper.hosts says about itself. In
// sidecar mode --zookeeper.hosts names the local server only, so each sidecar reports its own server.
//
// Sources, tried in this order for each server, concurrently across servers:
//   admin  GET http://<host>:<admin_port>/commands/monitor (skipped when admin_port is 0)
//   mntr   the `mntr` four-letter word on the client port
//   srvr   the `srvr` four-letter word (whitelisted by default since 3.5.3; fewer facts) when mntr is refused
// Only read-only commands are sent (never `srst`: counters are never reset by a scrape).
//
// Metrics (all with a `server` label, "host:port" of the client port):
//   zookeeper_server_up                          gauge  1 if one source answered, else 0
//   zookeeper_server_source{source}              gauge  1 for the source used (admin|mntr|srvr)
//   zookeeper_server_probe_error{source,reason}  gauge  1 per failed source this scrape; reasons are
//       server::ProbeReasonName (connection_refused, timeout, not_whitelisted, admin_server_disabled, ...).
//       A server that is up can still have errors, e.g. admin_server_disabled when it fell back to mntr.
//   zookeeper_server_probe_duration_seconds      gauge
//   zookeeper_server_state{state}                gauge  1 for the server's state, 0 for the other four of
//       leader, follower, observer, standalone, read-only
//   zookeeper_server_info{version,build}         gauge  1 ("3.8.0", the full version string)
//   zookeeper_server_skipped_lines               gauge  lines/keys of the answer neither numeric nor known
//   zookeeper_server_znodes, _watches, _ephemerals, _approximate_data_bytes, _alive_connections,
//   _outstanding_requests, _min_latency_seconds, _avg_latency_seconds, _max_latency_seconds,
//   _open_file_descriptors, _max_file_descriptors, _uptime_seconds                          gauges
//   zookeeper_server_packets_received_total, zookeeper_server_packets_sent_total             counters
//   zookeeper_server_followers, _synced_followers, _pending_syncs                gauges, leader only
//   zookeeper_server_snapshot_dir_bytes, zookeeper_server_txn_log_dir_bytes      gauges, from the `dirs`
//       command (server/dirs_parser.h), asked after the monitor answer: on the AdminServer when that
//       answered, as the `dirs` word when mntr did (never after srvr: a restricted whitelist). The two sizes
//       are un-swapped by the server's version (ZOOKEEPER-4703); a failure is a probe_error with source
//       "admin_dirs" or "dirs", and the server stays up.
// Facts a source does not carry (srvr has no watches, ephemerals, fds...) are simply absent.
//
// Deadlines: each server gets min(now + timeout, scrape deadline); Collect returns by the scrape deadline
// even if a probe thread is stuck (see probe_runner.h). Failures are logged once per (server, source,
// reason) transition.
// Thread-safety: Collect may run concurrently from several threads.

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/worker_pool.h"
#include "collectors/collector.h"
#include "collectors/probe_warnings.h"
#include "server/connect_string.h"
#include "server/dirs_parser.h"
#include "server/server_report.h"

namespace zkx::collectors {

struct ServerProbeOptions {
  uint16_t admin_port = 8080;               // 0: do not use the AdminServer
  std::chrono::milliseconds timeout{2000};  // per server and scrape
  // The /probe targets' shared probe threads (a lane of them: probe_runner.h); null: the collector's own.
  std::shared_ptr<WorkerPool> shared_probes = nullptr;
};

// What one probe of one server found.
struct ServerObservation {
  std::string server;                          // label value
  std::optional<server::ServerReport> report;  // set when a source answered
  std::string source;                          // "admin", "mntr" or "srvr" when report is set
  std::vector<ProbeFailure> failures;
  double duration_seconds = 0;
  std::optional<server::DirSizes> dirs;  // set when `dirs` answered and the version is known
};

// Probes one server (blocking, bounded by `deadline` except name resolution).
ServerObservation ProbeServer(const server::HostPort& server, const ServerProbeOptions& options,
                              std::chrono::steady_clock::time_point deadline);

// The families for a set of observations (pure; unit-tested).
std::vector<prometheus::MetricFamily> BuildServerFamilies(const std::vector<ServerObservation>& observations);

class ServerCollector final : public Collector {
 public:
  ServerCollector(std::vector<server::HostPort> servers, const ServerProbeOptions& options);

  Status Collect(std::chrono::steady_clock::time_point deadline, FamilySink out) override;

 private:
  const std::vector<server::HostPort> servers_;
  // The probe workers (one per server, at most 16): joined when the collector is destroyed.
  const std::unique_ptr<WorkerPool> probes_;
  const ServerProbeOptions options_;
  ProbeWarnings warnings_{"server"};
};

}  // namespace zkx::collectors
