#include "collectors/session_collector.h"

#include <utility>

#include "collectors/family_builder.h"

namespace zkx::collectors {

SessionCollector::SessionCollector(Source source) : source_(std::move(source)) {}

Status SessionCollector::Collect(std::chrono::steady_clock::time_point /*deadline*/,
                                 std::vector<prometheus::MetricFamily>* out) {
  for (auto& f : BuildSessionFamilies(source_.stats(), source_.in_flight())) out->push_back(std::move(f));
  return Status::Ok();
}

std::vector<prometheus::MetricFamily> BuildSessionFamilies(const zk::SessionStats& stats,
                                                           std::size_t in_flight) {
  using prometheus::MetricType;
  std::vector<prometheus::MetricFamily> out;

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
  // The exporter's own watches: here, not in the watches collector, so that they show without it.
  gauge("zookeeper_exporter_watches", "Watches the exporter itself has registered.",
        static_cast<double>(stats.watches));
  gauge("zookeeper_exporter_watched_path_bytes",
        "Size of the exporter's watch list as the client re-sends it on reconnect (SetWatches), in bytes.",
        static_cast<double>(stats.watched_path_bytes));
  counter("zookeeper_exporter_watch_events_total", "Znode watch events the exporter's session received.",
          stats.watch_events_total);
  return out;
}

}  // namespace zkx::collectors
