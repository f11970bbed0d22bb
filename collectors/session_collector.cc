#include "collectors/session_collector.h"

#include <string>
#include <utility>
#include <vector>

#include "collectors/family_builder.h"
#include "collectors/registry.h"
#include "collectors/security_failures_family.h"
#include "zk/session.h"

namespace zkx::collectors {

SessionCollector::SessionCollector(Source source) : source_(std::move(source)) {}

Status SessionCollector::Collect(std::chrono::steady_clock::time_point /*deadline*/, FamilySink out) {
  std::vector<zk::SessionStats> watch_sessions;
  if (source_.watch_sessions) watch_sessions = source_.watch_sessions();
  for (auto& f : BuildSessionFamilies(source_.stats(), source_.in_flight(), watch_sessions)) {
    out.Add(std::move(f));
  }
  if (source_.walk_sessions) {
    for (auto& f : BuildWalkSessionFamilies(source_.walk_sessions())) out.Add(std::move(f));
  }
  for (auto& f : BuildSecurityFailureFamilies(zk::GetSecurityFailureCounts())) out.Add(std::move(f));
  return Status::Ok();
}

std::vector<prometheus::MetricFamily> BuildWalkSessionFamilies(const zk::WalkSessionFigures& figures) {
  std::vector<prometheus::MetricFamily> out;
  auto gauge = [&](const char* name, const char* help, std::size_t value) {
    auto f = MakeFamily(name, help, prometheus::MetricType::Gauge);
    AddSample(&f, static_cast<double>(value));
    out.push_back(std::move(f));
  };
  gauge("zookeeper_walk_sessions_max",
        "The most sessions walks may spread their plain reads over (--zookeeper.walk-sessions), the main "
        "session included.",
        figures.max);
  gauge("zookeeper_walk_sessions_open",
        "Sessions opened for walks so far, the main session included: each is a connection and a session on "
        "the ensemble. Extra ones are opened only when busy walks measure that they pay.",
        figures.open);
  gauge("zookeeper_walk_sessions_in_use", "Sessions the walks' plain reads are spread over now.",
        figures.in_use);
  return out;
}

std::vector<prometheus::MetricFamily> BuildSessionFamilies(
    const zk::SessionStats& main_stats, std::size_t in_flight,
    const std::vector<zk::SessionStats>& watch_sessions) {
  using prometheus::MetricType;
  std::vector<prometheus::MetricFamily> out;
  // The watch figures summed over every watch session; the rest is the main session's.
  zk::SessionStats stats = main_stats;
  for (const zk::SessionStats& w : watch_sessions) {
    stats.watches += w.watches;
    stats.watched_path_bytes += w.watched_path_bytes;
    stats.watch_events_total += w.watch_events_total;
    stats.orphan_watches_removed_total += w.orphan_watches_removed_total;
  }

  auto state =
      MakeFamily("zookeeper_session_state",
                 "The exporter's ZooKeeper session state: 1 for the current state, 0 for the others.",
                 MetricType::Gauge);
  for (zk::SessionState s : zk::kAllSessionStates) {
    AddSample(&state, s == stats.state ? 1 : 0, {{"state", std::string(zk::SessionStateName(s))}});
  }
  out.push_back(std::move(state));

  auto gauge = [&](const char* name, const char* help, double value) {
    auto f = MakeFamily(name, help, MetricType::Gauge);
    AddSample(&f, value);
    out.push_back(std::move(f));
  };
  auto counter = [&](const char* name, const char* help, uint64_t value) {
    auto f = MakeFamily(name, help, MetricType::Counter);
    AddSample(&f, static_cast<double>(value));
    out.push_back(std::move(f));
  };
  gauge("zookeeper_session_timeout_seconds",
        "Session timeout negotiated with the ensemble (0 until a session is established).",
        std::chrono::duration<double>(stats.negotiated_timeout).count());
  counter("zookeeper_session_connects_total", "Times the session became connected.", stats.connects_total);
  counter("zookeeper_session_disconnects_total",
          "Times a connected session lost its connection, for any reason.", stats.disconnects_total);
  counter("zookeeper_session_expirations_total", "Times the ensemble expired the exporter's session.",
          stats.expirations_total);
  counter("zookeeper_session_auth_failures_total", "Times authentication to the ensemble failed.",
          stats.auth_failures_total);
  counter(
      "zookeeper_session_handles_created_total",
      "ZooKeeper client handles created: 1 at start plus one per replacement after expiry or auth failure.",
      stats.handles_created_total);
  gauge("zookeeper_session_last_state_change_timestamp_seconds",
        "When the session state last changed, in seconds since the Unix epoch.",
        ToUnixSeconds(stats.last_state_change));
  gauge("zookeeper_session_in_flight_requests", "Requests the exporter has outstanding on its session.",
        static_cast<double>(in_flight));
  // edgecore: one series while the session cannot create a client handle (e.g. a name that does not resolve).
  auto last_error =
      MakeFamily("zookeeper_session_last_error_info",
                 "1 with the reason the last attempt to create a ZooKeeper client handle failed; "
                 "no series once a handle was created.",
                 MetricType::Gauge);
  if (!stats.last_error.empty()) AddSample(&last_error, 1, {{"reason", stats.last_error}});
  out.push_back(std::move(last_error));
  gauge("zookeeper_session_watches",
        "Znode watches the session holds (data/exists and child watches), summed over the watch sessions.",
        static_cast<double>(stats.watches));
  gauge("zookeeper_session_watched_path_bytes",
        "Bytes the session's watches take in the SetWatches packet the client re-sends on every reconnect "
        "(4 + chroot + path per watch), summed over the watch sessions; the server refuses one session's "
        "packet above jute.maxbuffer (1 MiB by default).",
        static_cast<double>(stats.watched_path_bytes));
  counter("zookeeper_session_watch_events_total",
          "Znode watch events the session received, summed over the watch sessions.",
          stats.watch_events_total);
  if (!watch_sessions.empty()) {
    auto bytes = MakeFamily("zookeeper_watch_session_watched_path_bytes",
                            "Bytes one watch session's watches take in its SetWatches packet (4 + chroot + "
                            "path per watch); the server refuses it above jute.maxbuffer (1 MiB by default).",
                            MetricType::Gauge);
    auto watches = MakeFamily("zookeeper_watch_session_watches",
                              "Znode watches one watch session holds (data/exists and child watches).",
                              MetricType::Gauge);
    auto connected =
        MakeFamily("zookeeper_watch_session_connected",
                   "1 when the watch session is connected to the ensemble, else 0.", MetricType::Gauge);
    for (std::size_t i = 0; i <= watch_sessions.size(); ++i) {
      const zk::SessionStats& s = i == 0 ? main_stats : watch_sessions[i - 1];
      const std::vector<Label> label{{"session", std::to_string(i)}};
      AddSample(&bytes, static_cast<double>(s.watched_path_bytes), label);
      AddSample(&watches, static_cast<double>(s.watches), label);
      const bool up = s.state == zk::SessionState::kConnected || s.state == zk::SessionState::kReadOnly;
      AddSample(&connected, up ? 1 : 0, label);
    }
    out.push_back(std::move(bytes));
    out.push_back(std::move(watches));
    out.push_back(std::move(connected));
  }
  counter("zookeeper_session_orphan_watches_removed_total",
          "Exists-watches the client left on znodes that were already gone, removed by the exporter.",
          stats.orphan_watches_removed_total);
  counter("zookeeper_session_auth_accepted_total", "Digest authentications the ensemble confirmed.",
          stats.auth_accepted_total);
  counter("zookeeper_client_requests_total",
          "Requests this process issued through the ZooKeeper C client (all sessions): each takes one value "
          "of the client's process-wide 32-bit xid (ZOOKEEPER-3286).",
          stats.requests_issued_total);
  gauge("zookeeper_client_xid_requests_remaining",
        "Requests left before the C client's xid reaches the values its reply parser treats as special; "
        "within 268435456 of them the exporter stops sending and must be restarted.",
        static_cast<double>(stats.xid_requests_remaining));
  return out;
}

}  // namespace zkx::collectors

namespace zkx::collectors {
namespace {

CollectorInfo SessionCollectorInfo() {
  CollectorInfo info;
  info.name = "session";
  info.per_target = true;
  info.factory = [](const CollectorContext& c) -> Result<BuiltCollector> {
    zk::Session* s = c.session;
    SessionCollector::Source source{[s] { return s->Stats(); }, [s] { return s->InFlight(); }, nullptr,
                                    c.walk_sessions};
    if (!c.watch_sessions.empty()) {
      source.watch_sessions = [extra = c.watch_sessions] {
        std::vector<zk::SessionStats> stats;
        stats.reserve(extra.size());
        for (const zk::Session* w : extra) stats.push_back(w->Stats());
        return stats;
      };
    }
    return BuiltCollector{std::make_shared<SessionCollector>(std::move(source)), nullptr};
  };
  return info;
}

}  // namespace
}  // namespace zkx::collectors

ZKX_REGISTER_COLLECTOR(session, zkx::collectors::SessionCollectorInfo)
