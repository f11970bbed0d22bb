#pragma once
// Collector: one source of metric families (node_exporter style). Collectors turn ZooKeeper facts into
// prometheus::MetricFamily values built fresh at every scrape; they never touch HTTP or <zookeeper.h>.

#include <chrono>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "collectors/family_sink.h"

namespace zkx::collectors {

class Collector {
 public:
  virtual ~Collector() = default;

  // Adds this collector's families to `out` (a collector with many samples adds one family at a time: see
  // family_sink.h). A non-OK status marks the collector failed for this scrape
  // (zookeeper_exporter_collector_success 0); families appended before the failure are still served.
  // Called from HTTP worker threads, possibly concurrently: implementations are thread-safe, never throw,
  // and return by `deadline` (never wait on ZooKeeper past it).
  virtual Status Collect(std::chrono::steady_clock::time_point deadline, FamilySink out) = 0;
};

}  // namespace zkx::collectors
