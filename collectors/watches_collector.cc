#include "collectors/watches_collector.h"

#include <algorithm>
#include <utility>

#include "collectors/family_builder.h"
#include "collectors/probe_runner.h"
#include "zk/admin_json_parser.h"
#include "zk/server_probe.h"
#include "zk/watch_parser.h"

namespace zkx::collectors {
namespace {

using Clock = std::chrono::steady_clock;
using prometheus::MetricType;
using zk::ProbeReason;

}  // namespace

bool PathInside(std::string_view path, std::string_view root) {
  if (root.empty() || root == "/") return true;
  if (!path.starts_with(root)) return false;
  return path.size() == root.size() || path[root.size()] == '/';
}

std::vector<std::string> ServerSideRoots(const std::vector<std::string>& roots, const std::string& chroot) {
  std::vector<std::string> out;
  for (const std::string& r : roots) {
    if (chroot.empty()) {
      out.push_back(r);
    } else {
      out.push_back(r == "/" || r.empty() ? chroot : chroot + r);
    }
  }
  return out;
}

WatchesObservation ProbeWatches(const zk::HostPort& server, const WatchesOptions& options,
                                Clock::time_point deadline) {
  WatchesObservation obs;
  obs.server = server.ToString();
  const auto start = Clock::now();
  const zk::PathFilter filter = [roots = options.roots](std::string_view path) {
    return std::any_of(roots.begin(), roots.end(), [&](const std::string& r) { return PathInside(path, r); });
  };
  bool via_admin = false;
  std::optional<ProbeFailure> admin_refused;
  if (options.admin_port != 0) {
    const auto admin_deadline = start + (deadline - start) / 2;
    zk::ProbeReply reply = zk::AdminGet(server, options.admin_port, "watch_summary", admin_deadline);
    if (reply.ok()) {
      Result<zk::WatchSummary> s = zk::ParseAdminWatchSummary(reply.body);
      if (s.ok()) {
        obs.summary = *s;
        via_admin = true;
      } else {
        obs.failures.push_back({"admin", ProbeReason::kParseError, s.status().message()});
      }
    } else if (reply.reason == ProbeReason::kConnectionRefused) {
      admin_refused = ProbeFailure{"admin", reply.reason, reply.detail};
    } else {
      obs.failures.push_back({"admin", reply.reason, reply.detail});
    }
  }
  ProbeReason wchs_reason = ProbeReason::kOk;
  if (!obs.summary) {
    zk::ProbeReply reply = zk::FourLetterWord(server, "wchs", deadline);
    wchs_reason = reply.reason;
    if (reply.ok()) {
      Result<zk::WatchSummary> s = zk::ParseWchs(reply.body);
      if (s.ok()) {
        obs.summary = *s;
      } else {
        wchs_reason = ProbeReason::kParseError;
        obs.failures.push_back({"wchs", ProbeReason::kParseError, s.status().message()});
      }
    } else {
      obs.failures.push_back({"wchs", reply.reason, reply.detail});
    }
  }
  if (admin_refused) {
    if (wchs_reason == ProbeReason::kOk || wchs_reason == ProbeReason::kNotWhitelisted ||
        wchs_reason == ProbeReason::kNotServing || wchs_reason == ProbeReason::kParseError) {
      admin_refused->reason = ProbeReason::kAdminServerDisabled;
    }
    obs.failures.insert(obs.failures.begin(), *admin_refused);
  }
  if (options.per_path && obs.summary) {
    if (via_admin) {
      zk::ProbeReply reply = zk::AdminGet(server, options.admin_port, "watches_by_path", deadline);
      if (reply.ok()) {
        Result<zk::WatchesByPath> p = zk::ParseAdminWatchesByPath(reply.body, filter, options.max_paths);
        if (p.ok()) {
          obs.by_path = std::move(p).value();
        } else {
          obs.failures.push_back({"admin", ProbeReason::kParseError, p.status().message()});
        }
      } else {
        obs.failures.push_back({"admin", reply.reason, reply.detail});
      }
    } else {
      zk::ProbeReply reply = zk::FourLetterWord(server, "wchp", deadline);
      if (reply.ok()) {
        Result<zk::WatchesByPath> p = zk::ParseWchp(reply.body, filter, options.max_paths);
        if (p.ok()) {
          obs.by_path = std::move(p).value();
        } else {
          obs.failures.push_back({"wchp", ProbeReason::kParseError, p.status().message()});
        }
      } else {
        obs.failures.push_back({"wchp", reply.reason, reply.detail});
      }
    }
  }
  return obs;
}

std::vector<prometheus::MetricFamily> BuildWatchesFamilies(
    const std::vector<WatchesObservation>& observations, bool per_path, std::size_t own_watches) {
  auto up = MakeFamily("zookeeper_watches_up", "1 if the server's watch totals were read, else 0.",
                       MetricType::Gauge);
  auto error = MakeFamily("zookeeper_watches_probe_error",
                          "1 for each source of watch figures that failed this scrape, with the reason.",
                          MetricType::Gauge);
  auto connections = MakeFamily("zookeeper_watches_connections",
                                "Connections with at least one watch on the server.", MetricType::Gauge);
  auto paths =
      MakeFamily("zookeeper_watches_paths", "Distinct paths watched on the server.", MetricType::Gauge);
  auto total = MakeFamily("zookeeper_watches", "Watches registered on the server.", MetricType::Gauge);
  auto path_sessions = MakeFamily(
      "zookeeper_watches_path_sessions",
      "Sessions watching the path (paths inside the configured subtrees, capped).", MetricType::Gauge);
  auto matched =
      MakeFamily("zookeeper_watches_paths_matched",
                 "Watched paths inside the configured subtrees, before the cap.", MetricType::Gauge);
  auto truncated =
      MakeFamily("zookeeper_watches_paths_truncated",
                 "1 if more watched paths matched than --watches.max-paths allows.", MetricType::Gauge);
  auto own = MakeFamily("zookeeper_exporter_watches", "Watches the exporter itself has registered.",
                        MetricType::Gauge);
  for (const WatchesObservation& o : observations) {
    const Label server{"server", o.server};
    AddSample(&up, o.summary ? 1 : 0, {server});
    for (const ProbeFailure& f : o.failures) {
      AddSample(&error, 1,
                {server, {"source", f.source}, {"reason", std::string(zk::ProbeReasonName(f.reason))}});
    }
    if (o.summary) {
      AddSample(&connections, o.summary->connections, {server});
      AddSample(&paths, o.summary->paths, {server});
      AddSample(&total, o.summary->total_watches, {server});
    }
    if (per_path && o.by_path) {
      for (const auto& [path, sessions] : o.by_path->paths)
        AddSample(&path_sessions, sessions, {server, {"path", path}});
      AddSample(&matched, static_cast<double>(o.by_path->matched), {server});
      AddSample(&truncated, o.by_path->truncated ? 1 : 0, {server});
    }
  }
  AddSample(&own, static_cast<double>(own_watches));
  std::vector<prometheus::MetricFamily> out;
  for (auto* f : {&up, &error, &connections, &paths, &total, &path_sessions, &matched, &truncated, &own}) {
    if (!f->metric.empty()) out.push_back(std::move(*f));
  }
  return out;
}

WatchesCollector::WatchesCollector(std::vector<zk::HostPort> servers, WatchesOptions options)
    : servers_(std::move(servers)), probes_(MakeProbePool("watch-probe", servers_.size())),
      options_(std::move(options)) {}

Status WatchesCollector::Collect(Clock::time_point deadline, std::vector<prometheus::MetricFamily>* out) {
  const auto probe_deadline = std::min(deadline, Clock::now() + options_.timeout);
  // Probe threads may outlive this call (see probe_runner.h): they get a copy of the options without the
  // caller's own_watches callback, which may reference objects with a shorter life.
  WatchesOptions probe_options = options_;
  probe_options.own_watches = nullptr;
  std::vector<std::function<WatchesObservation()>> tasks;
  for (const zk::HostPort& s : servers_) {
    tasks.emplace_back(
        [s, probe_options, probe_deadline] { return ProbeWatches(s, probe_options, probe_deadline); });
  }
  auto results =
      RunConcurrently(*probes_, std::move(tasks), std::min(deadline, probe_deadline + std::chrono::milliseconds(50)));
  std::vector<WatchesObservation> observations;
  for (std::size_t i = 0; i < servers_.size(); ++i) {
    if (results[i]) {
      observations.push_back(std::move(*results[i]));
      continue;
    }
    WatchesObservation o;
    o.server = servers_[i].ToString();
    o.failures.push_back({options_.admin_port != 0 ? "admin" : "wchs", ProbeReason::kTimeout,
                          "no answer before the deadline"});
    observations.push_back(std::move(o));
  }
  for (const WatchesObservation& o : observations) warnings_.Update(o.server, o.failures);
  const std::size_t own = options_.own_watches ? options_.own_watches() : 0;
  for (auto& f : BuildWatchesFamilies(observations, options_.per_path, own)) out->push_back(std::move(f));
  return Status::Ok();
}

}  // namespace zkx::collectors
