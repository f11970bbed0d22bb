#include "collectors/watches_collector.h"

#include <algorithm>
#include <utility>

#include "base/znode_path.h"
#include "collectors/family_builder.h"
#include "collectors/per_server.h"
#include "collectors/registry.h"
#include "server/admin_json_parser.h"
#include "server/ask_server.h"
#include "server/server_probe.h"
#include "server/watch_parser.h"

namespace zkx::collectors {
namespace {

using Clock = std::chrono::steady_clock;
using prometheus::MetricType;

}  // namespace

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

WatchesObservation ProbeWatches(const server::HostPort& server, const WatchesOptions& options,
                                Clock::time_point deadline) {
  WatchesObservation obs;
  obs.server = server.ToString();
  const server::PathFilter filter = [roots = options.roots](std::string_view path) {
    return std::any_of(roots.begin(), roots.end(),
                       [&](const std::string& r) { return ZnodePathInside(path, r); });
  };
  const server::Question<server::WatchSummary> totals{
      "watch_summary", server::ParseAdminWatchSummary, {{"wchs", server::ParseWchs}}};
  server::Answer<server::WatchSummary> summary =
      server::AskServer(server, options.admin_port, totals, deadline);
  obs.summary = summary.value;
  obs.failures = std::move(summary.failures);
  if (options.per_path && obs.summary) {
    // Per path from the source that gave the totals: the AdminServer's watches_by_path, else wchp.
    auto parse = [&](auto parser) {
      return [&filter, &options, parser](std::string_view body) {
        return parser(body, filter, options.max_paths);
      };
    };
    server::Question<server::WatchesByPath> per_path;
    if (summary.source == "admin") {
      per_path.admin_command = "watches_by_path";
      per_path.parse_admin = parse(server::ParseAdminWatchesByPath);
    } else {
      per_path.words.emplace_back("wchp", parse(server::ParseWchp));
    }
    server::Answer<server::WatchesByPath> by_path =
        server::AskServer(server, options.admin_port, per_path, deadline);
    obs.by_path = std::move(by_path.value);
    for (server::Failure& f : by_path.failures) obs.failures.push_back(std::move(f));
  }
  return obs;
}

std::vector<prometheus::MetricFamily> BuildWatchesFamilies(
    const std::vector<WatchesObservation>& observations, bool per_path) {
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
  for (const WatchesObservation& o : observations) {
    const Label server{"server", o.server};
    AddSample(&up, o.summary ? 1 : 0, {server});
    for (const ProbeFailure& f : o.failures) {
      AddSample(&error, 1,
                {server, {"source", f.source}, {"reason", std::string(server::ProbeReasonName(f.reason))}});
    }
    if (o.summary) {
      AddSample(&connections, o.summary->connections, {server});
      AddSample(&paths, o.summary->paths, {server});
      AddSample(&total, o.summary->total_watches, {server});
    }
    if (per_path && o.by_path) {
      for (const auto& [path, sessions] : o.by_path->paths) {
        AddSample(&path_sessions, sessions, {server, {"path", path}});
      }
      AddSample(&matched, static_cast<double>(o.by_path->matched), {server});
      AddSample(&truncated, o.by_path->truncated ? 1 : 0, {server});
    }
  }
  std::vector<prometheus::MetricFamily> out;
  for (auto* f : {&up, &error, &connections, &paths, &total, &path_sessions, &matched, &truncated}) {
    if (!f->metric.empty()) out.push_back(std::move(*f));
  }
  return out;
}

WatchesCollector::WatchesCollector(std::vector<server::HostPort> servers, WatchesOptions options)
    : servers_(std::move(servers)),
      probes_(MakeProbePool("watch-probe", servers_.size(), options.shared_probes)),
      options_(std::move(options)) {}

Status WatchesCollector::Collect(Clock::time_point deadline, FamilySink out) {
  std::vector<WatchesObservation> observations = ProbeEachServer<WatchesObservation>(
      *probes_, servers_, options_.timeout, deadline, options_.admin_port != 0 ? "admin" : "wchs",
      [options = options_](const server::HostPort& s, Clock::time_point d) {
        return ProbeWatches(s, options, d);
      },
      warnings_);
  for (auto& f : BuildWatchesFamilies(observations, options_.per_path)) out.Add(std::move(f));
  return Status::Ok();
}

}  // namespace zkx::collectors

namespace zkx::collectors {
namespace {

CollectorInfo WatchesCollectorInfo() {
  CollectorInfo info;
  info.name = "watches";
  info.per_target = true;
  info.flags.push_back(Flag({"--watches.per-path"}, "", false,
                            "Report per-path watch counts (wchp / watches_by_path) inside the configured "
                            "subtrees; can be expensive on big servers"));
  info.flags.push_back(Flag({"--watches.max-paths"}, "N", WatchesOptions{}.max_paths,
                            "Cap on per-path watch series per server"));
  info.factory = [](const CollectorContext& c) -> Result<BuiltCollector> {
    WatchesOptions w;
    w.admin_port = c.flags->Port("--server.admin-port");  // the server collector's flags
    w.timeout = c.flags->Duration("--server.timeout");
    w.per_path = c.flags->Bool("--watches.per-path");
    w.max_paths = c.flags->Size("--watches.max-paths");
    w.shared_probes = c.probe_threads;
    std::vector<std::string> roots;
    for (const SubtreeSpec& spec : c.subtrees) roots.push_back(spec.root);
    w.roots = ServerSideRoots(roots, c.hosts.chroot);
    return BuiltCollector{std::make_shared<WatchesCollector>(c.hosts.servers, std::move(w)), nullptr};
  };
  return info;
}

}  // namespace
}  // namespace zkx::collectors

ZKX_REGISTER_COLLECTOR(watches, zkx::collectors::WatchesCollectorInfo)
