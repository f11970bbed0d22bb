#pragma once
// Collector: one source of metric families (node_exporter style). Collectors turn ZooKeeper facts into
// prometheus::MetricFamily values built fresh at every scrape; they never touch HTTP or <zookeeper.h>.

#include <chrono>
#include <string_view>
#include <vector>

#include <prometheus/metric_family.h>

#include "base/status.h"

namespace zkx::collectors {

class Collector {
 public:
  virtual ~Collector() = default;

  // Appends this collector's families to *out. A non-OK status marks the collector failed for this scrape
  // (zookeeper_exporter_collector_success 0); families appended before the failure are still served.
  // Called from HTTP worker threads, possibly concurrently: implementations are thread-safe, never throw,
  // and return by `deadline` (never wait on ZooKeeper past it).
  virtual Status Collect(std::chrono::steady_clock::time_point deadline,
                         std::vector<prometheus::MetricFamily>* out) = 0;
};

}  // namespace zkx::collectors
