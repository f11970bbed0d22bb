#include "collectors/server_collector.h"

#include <algorithm>
#include <array>
#include <functional>
#include <utility>

#include "collectors/family_builder.h"
#include "collectors/per_server.h"
#include "collectors/registry.h"
#include "server/admin_json_parser.h"
#include "server/ask_server.h"
#include "server/dirs_parser.h"
#include "server/mntr_parser.h"
#include "server/srvr_parser.h"

namespace zkx::collectors {
namespace {

using Clock = std::chrono::steady_clock;
using prometheus::MetricType;

constexpr std::array<const char*, 5> kStates = {"leader", "follower", "observer", "standalone", "read-only"};

// The `dirs` sizes, from the source that answered the monitor question (see server_collector.h).
void AskDirs(const server::HostPort& server, const ServerProbeOptions& options, Clock::time_point deadline,
             ServerObservation* obs) {
  const bool admin = obs->source == "admin";
  server::Question<server::DirsReply> question;
  if (admin) {
    question.admin_command = "dirs";
    question.parse_admin = server::ParseAdminDirs;
  } else {
    question.words = {{"dirs", server::ParseDirsWord}};
  }
  server::Answer<server::DirsReply> answer =
      server::AskServer(server, admin ? options.admin_port : 0, question, deadline);
  for (server::Failure& f : answer.failures) {
    if (f.source == "admin") f.source = "admin_dirs";
    obs->failures.push_back(std::move(f));
  }
  if (answer.value) obs->dirs = server::DirSizesFor(*answer.value, obs->report->version);
}

}  // namespace

ServerObservation ProbeServer(const server::HostPort& server, const ServerProbeOptions& options,
                              Clock::time_point deadline) {
  static const server::Question<server::ServerReport> kMonitor{
      "monitor", server::ParseAdminMonitor, {{"mntr", server::ParseMntr}, {"srvr", server::ParseSrvr}}};
  const auto start = Clock::now();
  server::Answer<server::ServerReport> answer =
      server::AskServer(server, options.admin_port, kMonitor, deadline);
  ServerObservation obs;
  obs.server = server.ToString();
  obs.report = std::move(answer.value);
  obs.source = std::move(answer.source);
  obs.failures = std::move(answer.failures);
  if (obs.report && (obs.source == "admin" || obs.source == "mntr")) AskDirs(server, options, deadline, &obs);
  obs.duration_seconds = std::chrono::duration<double>(Clock::now() - start).count();
  return obs;
}

std::vector<prometheus::MetricFamily> BuildServerFamilies(
    const std::vector<ServerObservation>& observations) {
  std::vector<prometheus::MetricFamily> out;
  auto family = [](const char* name, const char* help, MetricType type = MetricType::Gauge) {
    return MakeFamily(name, help, type);
  };
  auto up = family("zookeeper_server_up", "1 if the server answered one of admin, mntr or srvr, else 0.");
  auto source =
      family("zookeeper_server_source",
             "The source the server's figures came from this scrape: admin (AdminServer /commands/monitor), "
             "mntr or srvr (four-letter words).");
  auto error =
      family("zookeeper_server_probe_error",
             "1 for each source that failed this scrape, with the reason (e.g. connection_refused, timeout, "
             "not_whitelisted, admin_server_disabled, parse_error).");
  auto duration =
      family("zookeeper_server_probe_duration_seconds", "Time taken to probe the server this scrape.");
  auto state =
      family("zookeeper_server_state", "The server's state: 1 for the current one, 0 for the others.");
  auto info = family("zookeeper_server_info", "The server's version: 1, labelled with version and build.");
  auto skipped =
      family("zookeeper_server_skipped_lines",
             "Lines or keys of the server's answer that were neither numeric nor known (a format change "
             "or a newer server shows here first).");

  struct Simple {
    const char* name;
    const char* help;
    std::optional<double> server::ServerReport::*field;
    double scale;
    MetricType type;
  };
  static const Simple kSimple[] = {
      {"zookeeper_server_znodes", "Znodes in the server's data tree.", &server::ServerReport::znode_count, 1,
       MetricType::Gauge},
      {"zookeeper_server_watches", "Watches registered on the server.", &server::ServerReport::watch_count, 1,
       MetricType::Gauge},
      {"zookeeper_server_ephemerals", "Ephemeral znodes on the server.",
       &server::ServerReport::ephemerals_count, 1, MetricType::Gauge},
      {"zookeeper_server_approximate_data_bytes", "Approximate size of the data tree, in bytes.",
       &server::ServerReport::approximate_data_size, 1, MetricType::Gauge},
      {"zookeeper_server_alive_connections", "Client connections open on the server.",
       &server::ServerReport::alive_connections, 1, MetricType::Gauge},
      {"zookeeper_server_outstanding_requests", "Requests queued on the server.",
       &server::ServerReport::outstanding_requests, 1, MetricType::Gauge},
      {"zookeeper_server_min_latency_seconds",
       "Minimum request latency since the server's counters were reset.",
       &server::ServerReport::min_latency_ms, 1e-3, MetricType::Gauge},
      {"zookeeper_server_avg_latency_seconds",
       "Average request latency since the server's counters were reset.",
       &server::ServerReport::avg_latency_ms, 1e-3, MetricType::Gauge},
      {"zookeeper_server_max_latency_seconds",
       "Maximum request latency since the server's counters were reset.",
       &server::ServerReport::max_latency_ms, 1e-3, MetricType::Gauge},
      {"zookeeper_server_packets_received_total", "Packets received by the server.",
       &server::ServerReport::packets_received, 1, MetricType::Counter},
      {"zookeeper_server_packets_sent_total", "Packets sent by the server.",
       &server::ServerReport::packets_sent, 1, MetricType::Counter},
      {"zookeeper_server_open_file_descriptors", "File descriptors the server has open.",
       &server::ServerReport::open_file_descriptors, 1, MetricType::Gauge},
      {"zookeeper_server_max_file_descriptors", "The server's file descriptor limit.",
       &server::ServerReport::max_file_descriptors, 1, MetricType::Gauge},
      {"zookeeper_server_uptime_seconds", "Time since the server started serving.",
       &server::ServerReport::uptime_ms, 1e-3, MetricType::Gauge},
      {"zookeeper_server_followers", "Learners (followers and observers) connected to this leader.",
       &server::ServerReport::followers, 1, MetricType::Gauge},
      {"zookeeper_server_synced_followers", "Followers in sync with this leader.",
       &server::ServerReport::synced_followers, 1, MetricType::Gauge},
      {"zookeeper_server_pending_syncs", "Syncs pending on this leader.",
       &server::ServerReport::pending_syncs, 1, MetricType::Gauge},
  };
  auto snapshot_dir = family("zookeeper_server_snapshot_dir_bytes",
                             "Bytes in the server's snapshot directory (dataDir), from the dirs command "
                             "(corrected for ZOOKEEPER-4703 by the server's version).");
  auto txn_log_dir =
      family("zookeeper_server_txn_log_dir_bytes",
             "Bytes in the server's transaction-log directory (dataLogDir, else dataDir), from "
             "the dirs command (corrected for ZOOKEEPER-4703 by the server's version).");
  std::vector<prometheus::MetricFamily> simple;
  for (const Simple& s : kSimple) simple.push_back(family(s.name, s.help, s.type));

  for (const ServerObservation& o : observations) {
    const Label server{"server", o.server};
    AddSample(&up, o.report ? 1 : 0, {server});
    AddSample(&duration, o.duration_seconds, {server});
    for (const ProbeFailure& f : o.failures) {
      AddSample(&error, 1,
                {server, {"source", f.source}, {"reason", std::string(server::ProbeReasonName(f.reason))}});
    }
    if (!o.report) continue;
    const server::ServerReport& r = *o.report;
    AddSample(&source, 1, {server, {"source", o.source}});
    AddSample(&skipped, static_cast<double>(r.skipped_lines), {server});
    for (const char* s : kStates) AddSample(&state, r.server_state == s ? 1 : 0, {server, {"state", s}});
    if (!r.version.empty()) {
      AddSample(&info, 1, {server, {"version", server::ShortVersion(r.version)}, {"build", r.version}});
    }
    if (o.dirs) {
      AddSample(&snapshot_dir, o.dirs->snapshot_bytes, {server});
      AddSample(&txn_log_dir, o.dirs->txn_log_bytes, {server});
    }
    for (std::size_t i = 0; i < std::size(kSimple); ++i) {
      const std::optional<double>& v = r.*kSimple[i].field;
      if (v) AddSample(&simple[i], *v * kSimple[i].scale, {server});
    }
  }
  for (auto* f : {&up, &source, &error, &duration, &state, &info, &skipped, &snapshot_dir, &txn_log_dir}) {
    if (!f->metric.empty()) out.push_back(std::move(*f));
  }
  for (auto& f : simple) {
    if (!f.metric.empty()) out.push_back(std::move(f));
  }
  return out;
}

ServerCollector::ServerCollector(std::vector<server::HostPort> servers, const ServerProbeOptions& options)
    : servers_(std::move(servers)),
      probes_(MakeProbePool("server-probe", servers_.size(), options.shared_probes)),
      options_(options) {}

Status ServerCollector::Collect(Clock::time_point deadline, FamilySink out) {
  std::vector<ServerObservation> observations = ProbeEachServer<ServerObservation>(
      *probes_, servers_, options_.timeout, deadline, options_.admin_port != 0 ? "admin" : "mntr",
      [options = options_](const server::HostPort& s, Clock::time_point d) {
        return ProbeServer(s, options, d);
      },
      warnings_);
  for (auto& f : BuildServerFamilies(observations)) out.Add(std::move(f));
  return Status::Ok();
}

}  // namespace zkx::collectors

namespace zkx::collectors {
namespace {

// --server.admin-port and --server.timeout are read by the watches collector too.
CollectorInfo ServerCollectorInfo() {
  CollectorInfo info;
  info.name = "server";
  info.per_target = true;
  info.flags.push_back(Flag({"--server.admin-port"}, "PORT", ServerProbeOptions{}.admin_port,
                            "AdminServer port of each ZooKeeper server, for /commands/monitor (0: use "
                            "four-letter words only)"));
  info.flags.push_back(Flag({"--server.timeout"}, "DURATION", ServerProbeOptions{}.timeout,
                            "Time limit for probing each ZooKeeper server (server and watches collectors)"));
  info.factory = [](const CollectorContext& c) -> Result<BuiltCollector> {
    ServerProbeOptions options{c.flags->Port("--server.admin-port"), c.flags->Duration("--server.timeout"),
                               c.probe_threads};
    return BuiltCollector{std::make_shared<ServerCollector>(c.hosts.servers, options), nullptr};
  };
  return info;
}

}  // namespace
}  // namespace zkx::collectors

ZKX_REGISTER_COLLECTOR(server, zkx::collectors::ServerCollectorInfo)
