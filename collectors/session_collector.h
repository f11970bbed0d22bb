#pragma once
// SessionCollector ("session"): the exporter's own ZooKeeper session — state, negotiated timeout,
// counters of connects, disconnects, expirations and authentication failures, and the exporter's own
// watches (count, watched path bytes, events received).
// Thread-safety: Collect is thread-safe as long as `stats` is (zk::Session::Stats is).

#include <functional>

#include "collectors/collector.h"
#include "zk/session_state.h"

namespace zkx::collectors {

class SessionCollector final : public Collector {
 public:
  struct Source {
    std::function<zk::SessionStats()> stats;
    std::function<std::size_t()> in_flight;  // requests outstanding on the session
  };
  explicit SessionCollector(Source source);

  Status Collect(std::chrono::steady_clock::time_point deadline,
                 std::vector<prometheus::MetricFamily>* out) override;

 private:
  const Source source_;
};

// The families for one stats value (pure; unit-tested).
std::vector<prometheus::MetricFamily> BuildSessionFamilies(const zk::SessionStats& stats,
                                                           std::size_t in_flight);

}  // namespace zkx::collectors
