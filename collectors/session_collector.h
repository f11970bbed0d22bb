#pragma once
// SessionCollector ("session"): the exporter's own ZooKeeper session — state, negotiated timeout,
// counters of connects, disconnects, expirations and authentication failures, and the exporter's own
// watches (count, watched path bytes, events received).
// Watch sessions (--zookeeper.watch-sessions > 1, zk/watch_shards.h): the watch families
// (zookeeper_session_watches, _watched_path_bytes, _watch_events_total, _orphan_watches_removed_total) are
// summed over the session and the extra watch sessions, and zookeeper_watch_session_watched_path_bytes,
// _watches and _connected give each watch session's own figures (session="0" is the main session): the
// bound that matters (jute.maxbuffer) is per session. Without extra watch sessions those per-session families
// are not exported and the rest is the one session's, as before.
// Walk sessions (--zookeeper.walk-sessions, zk/walk_session_count.h): zookeeper_walk_sessions_max, _open and
// _in_use say how many sessions the walks may use, how many the exporter has opened (each a connection and a
// session on the ensemble) and how many take reads now; not exported for /probe targets.
// Thread-safety: Collect is thread-safe as long as `stats` is (zk::Session::Stats is).

#include <functional>
#include <vector>

#include "collectors/collector.h"
#include "zk/session_state.h"
#include "zk/walk_session_count.h"

namespace zkx::collectors {

class SessionCollector final : public Collector {
 public:
  struct Source {
    std::function<zk::SessionStats()> stats;
    std::function<std::size_t()> in_flight;  // requests outstanding on the session
    // The extra watch sessions' stats, in shard order (shard 1 first); null or empty: none.
    std::function<std::vector<zk::SessionStats>()> watch_sessions;
    // The walk sessions of the target's reader pool; null: the target walks on its one session (/probe).
    std::function<zk::WalkSessionFigures()> walk_sessions;
  };
  explicit SessionCollector(Source source);

  Status Collect(std::chrono::steady_clock::time_point deadline, FamilySink out) override;

 private:
  const Source source_;
};

// The families for one stats value (pure; unit-tested). `watch_sessions`: the extra watch sessions' stats.
std::vector<prometheus::MetricFamily> BuildSessionFamilies(
    const zk::SessionStats& stats, std::size_t in_flight,
    const std::vector<zk::SessionStats>& watch_sessions = {});

// zookeeper_walk_sessions_max, _open and _in_use (pure; unit-tested).
std::vector<prometheus::MetricFamily> BuildWalkSessionFamilies(const zk::WalkSessionFigures& figures);

}  // namespace zkx::collectors
