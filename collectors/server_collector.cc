#include "collectors/server_collector.h"

#include <algorithm>
#include <array>
#include <functional>
#include <utility>

#include "collectors/family_builder.h"
#include "collectors/probe_runner.h"
#include "zk/admin_json_parser.h"
#include "zk/mntr_parser.h"
#include "zk/server_probe.h"
#include "zk/srvr_parser.h"

namespace zkx::collectors {
namespace {

using Clock = std::chrono::steady_clock;
using prometheus::MetricType;
using zk::ProbeReason;

constexpr std::array<const char*, 5> kStates = {"leader", "follower", "observer", "standalone", "read-only"};

// True when the failure shows that something answered on the client port.
bool ClientPortAnswered(ProbeReason reason) {
  return reason == ProbeReason::kOk || reason == ProbeReason::kNotWhitelisted ||
         reason == ProbeReason::kNotServing || reason == ProbeReason::kParseError;
}

}  // namespace

ServerObservation ProbeServer(const zk::HostPort& server, const ServerProbeOptions& options,
                              Clock::time_point deadline) {
  const auto start = Clock::now();
  ServerObservation obs;
  obs.server = server.ToString();
  std::optional<ProbeFailure> admin_refused;

  if (options.admin_port != 0) {
    // Leave half of the budget to the fallback: a firewalled admin port must not eat the whole deadline.
    const auto admin_deadline = start + (deadline - start) / 2;
    zk::ProbeReply reply = zk::AdminGet(server, options.admin_port, "monitor", admin_deadline);
    if (reply.ok()) {
      Result<zk::ServerReport> report = zk::ParseAdminMonitor(reply.body);
      if (report.ok()) {
        obs.report = std::move(report).value();
        obs.source = "admin";
      } else {
        obs.failures.push_back({"admin", ProbeReason::kParseError, report.status().message()});
      }
    } else if (reply.reason == ProbeReason::kConnectionRefused) {
      admin_refused = ProbeFailure{"admin", reply.reason, reply.detail};  // decided below
    } else {
      obs.failures.push_back({"admin", reply.reason, reply.detail});
    }
  }

  ProbeReason mntr_reason = ProbeReason::kOk;
  if (!obs.report) {
    zk::ProbeReply reply = zk::FourLetterWord(server, "mntr", deadline);
    mntr_reason = reply.reason;
    if (reply.ok()) {
      Result<zk::ServerReport> report = zk::ParseMntr(reply.body);
      if (report.ok()) {
        obs.report = std::move(report).value();
        obs.source = "mntr";
      } else {
        mntr_reason = ProbeReason::kParseError;
        obs.failures.push_back({"mntr", ProbeReason::kParseError, report.status().message()});
      }
    } else {
      obs.failures.push_back({"mntr", reply.reason, reply.detail});
    }
    if (reply.reason == ProbeReason::kNotWhitelisted) {
      zk::ProbeReply srvr = zk::FourLetterWord(server, "srvr", deadline);
      if (srvr.ok()) {
        Result<zk::ServerReport> report = zk::ParseSrvr(srvr.body);
        if (report.ok()) {
          obs.report = std::move(report).value();
          obs.source = "srvr";
        } else {
          obs.failures.push_back({"srvr", ProbeReason::kParseError, report.status().message()});
        }
      } else {
        obs.failures.push_back({"srvr", srvr.reason, srvr.detail});
      }
    }
  }
  if (admin_refused) {
    // Refused on the admin port while the client port answers: the AdminServer is off (or elsewhere).
    if (ClientPortAnswered(mntr_reason)) {
      admin_refused->reason = ProbeReason::kAdminServerDisabled;
      admin_refused->detail +=
          "; the client port answers: AdminServer disabled or on another port "
          "(--server.admin-port, 0 to skip it)";
    }
    obs.failures.insert(obs.failures.begin(), *admin_refused);
  }
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

  struct Simple {
    const char* name;
    const char* help;
    std::optional<double> zk::ServerReport::*field;
    double scale;
    MetricType type;
  };
  static const Simple kSimple[] = {
      {"zookeeper_server_znodes", "Znodes in the server's data tree.", &zk::ServerReport::znode_count, 1,
       MetricType::Gauge},
      {"zookeeper_server_watches", "Watches registered on the server.", &zk::ServerReport::watch_count, 1,
       MetricType::Gauge},
      {"zookeeper_server_ephemerals", "Ephemeral znodes on the server.", &zk::ServerReport::ephemerals_count,
       1, MetricType::Gauge},
      {"zookeeper_server_approximate_data_bytes", "Approximate size of the data tree, in bytes.",
       &zk::ServerReport::approximate_data_size, 1, MetricType::Gauge},
      {"zookeeper_server_alive_connections", "Client connections open on the server.",
       &zk::ServerReport::alive_connections, 1, MetricType::Gauge},
      {"zookeeper_server_outstanding_requests", "Requests queued on the server.",
       &zk::ServerReport::outstanding_requests, 1, MetricType::Gauge},
      {"zookeeper_server_min_latency_seconds",
       "Minimum request latency since the server's counters were reset.", &zk::ServerReport::min_latency_ms,
       1e-3, MetricType::Gauge},
      {"zookeeper_server_avg_latency_seconds",
       "Average request latency since the server's counters were reset.", &zk::ServerReport::avg_latency_ms,
       1e-3, MetricType::Gauge},
      {"zookeeper_server_max_latency_seconds",
       "Maximum request latency since the server's counters were reset.", &zk::ServerReport::max_latency_ms,
       1e-3, MetricType::Gauge},
      {"zookeeper_server_packets_received_total", "Packets received by the server.",
       &zk::ServerReport::packets_received, 1, MetricType::Counter},
      {"zookeeper_server_packets_sent_total", "Packets sent by the server.", &zk::ServerReport::packets_sent,
       1, MetricType::Counter},
      {"zookeeper_server_open_file_descriptors", "File descriptors the server has open.",
       &zk::ServerReport::open_file_descriptors, 1, MetricType::Gauge},
      {"zookeeper_server_max_file_descriptors", "The server's file descriptor limit.",
       &zk::ServerReport::max_file_descriptors, 1, MetricType::Gauge},
      {"zookeeper_server_uptime_seconds", "Time since the server started serving.",
       &zk::ServerReport::uptime_ms, 1e-3, MetricType::Gauge},
      {"zookeeper_server_followers", "Learners (followers and observers) connected to this leader.",
       &zk::ServerReport::followers, 1, MetricType::Gauge},
      {"zookeeper_server_synced_followers", "Followers in sync with this leader.",
       &zk::ServerReport::synced_followers, 1, MetricType::Gauge},
      {"zookeeper_server_pending_syncs", "Syncs pending on this leader.", &zk::ServerReport::pending_syncs, 1,
       MetricType::Gauge},
  };
  std::vector<prometheus::MetricFamily> simple;
  for (const Simple& s : kSimple) simple.push_back(family(s.name, s.help, s.type));

  for (const ServerObservation& o : observations) {
    const Label server{"server", o.server};
    AddSample(&up, o.report ? 1 : 0, {server});
    AddSample(&duration, o.duration_seconds, {server});
    for (const ProbeFailure& f : o.failures) {
      AddSample(&error, 1,
                {server, {"source", f.source}, {"reason", std::string(zk::ProbeReasonName(f.reason))}});
    }
    if (!o.report) continue;
    const zk::ServerReport& r = *o.report;
    AddSample(&source, 1, {server, {"source", o.source}});
    for (const char* s : kStates) AddSample(&state, r.server_state == s ? 1 : 0, {server, {"state", s}});
    if (!r.version.empty()) {
      AddSample(&info, 1, {server, {"version", zk::ShortVersion(r.version)}, {"build", r.version}});
    }
    for (std::size_t i = 0; i < std::size(kSimple); ++i) {
      const std::optional<double>& v = r.*kSimple[i].field;
      if (v) AddSample(&simple[i], *v * kSimple[i].scale, {server});
    }
  }
  for (auto* f : {&up, &source, &error, &duration, &state, &info}) {
    if (!f->metric.empty()) out.push_back(std::move(*f));
  }
  for (auto& f : simple) {
    if (!f.metric.empty()) out.push_back(std::move(f));
  }
  return out;
}

ServerCollector::ServerCollector(std::vector<zk::HostPort> servers, ServerProbeOptions options)
    : servers_(std::move(servers)), probes_(MakeProbePool("server-probe", servers_.size())), options_(options) {}

Status ServerCollector::Collect(Clock::time_point deadline, std::vector<prometheus::MetricFamily>* out) {
  const auto start = Clock::now();
  const auto probe_deadline = std::min(deadline, start + options_.timeout);
  std::vector<std::function<ServerObservation()>> tasks;
  for (const zk::HostPort& s : servers_) {
    tasks.emplace_back(
        [s, options = options_, probe_deadline] { return ProbeServer(s, options, probe_deadline); });
  }
  // Wait a little past the probes' own deadline for their answers, never past the scrape's.
  auto results =
      RunConcurrently(*probes_, std::move(tasks), std::min(deadline, probe_deadline + std::chrono::milliseconds(50)));
  std::vector<ServerObservation> observations;
  for (std::size_t i = 0; i < servers_.size(); ++i) {
    if (results[i]) {
      observations.push_back(std::move(*results[i]));
      continue;
    }
    ServerObservation o;  // the probe thread is still running (e.g. stuck resolving the name)
    o.server = servers_[i].ToString();
    o.failures.push_back({options_.admin_port != 0 ? "admin" : "mntr", ProbeReason::kTimeout,
                          "no answer before the deadline"});
    o.duration_seconds = std::chrono::duration<double>(Clock::now() - start).count();
    observations.push_back(std::move(o));
  }
  for (const ServerObservation& o : observations) warnings_.Update(o.server, o.failures);
  for (auto& f : BuildServerFamilies(observations)) out->push_back(std::move(f));
  return Status::Ok();
}

}  // namespace zkx::collectors
