#pragma once
// CollectorSet: the enabled collectors, run concurrently at every scrape (node_exporter style).
//
// Gather() runs each collector on its own thread and waits until all have finished or the deadline passes.
// It returns their families followed by
//   zookeeper_exporter_collector_duration_seconds{collector}
//   zookeeper_exporter_collector_success{collector}
// A collector that fails or misses the deadline is `success 0` and its families (if any) are dropped or kept
// as it returned them; it never fails the scrape. A straggler keeps running on its own thread and its result
// is discarded.
//
// Thread-safety: Add() before the first Gather(); Gather() and LastResults() may be called concurrently.
// Lifetime: the destructor waits (bounded) for stragglers; collectors are shared with their running threads.

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <prometheus/metric_family.h>

#include "collectors/collector.h"

namespace zkx::collectors {

struct CollectorResult {
  std::string name;
  bool success = false;
  double duration_seconds = 0;
  std::string error;  // empty on success
  std::chrono::system_clock::time_point at{};
};

class CollectorSet {
 public:
  CollectorSet();
  ~CollectorSet();
  CollectorSet(const CollectorSet&) = delete;
  CollectorSet& operator=(const CollectorSet&) = delete;

  void Add(std::string name, std::shared_ptr<Collector> collector);
  [[nodiscard]] std::vector<std::string> Names() const;

  std::vector<prometheus::MetricFamily> Gather(std::chrono::steady_clock::time_point deadline);
  // The outcome of each collector's latest run, in Add() order (empty before the first Gather()).
  [[nodiscard]] std::vector<CollectorResult> LastResults() const;

 private:
  struct Entry {
    std::string name;
    std::shared_ptr<Collector> collector;
  };
  std::vector<Entry> entries_;  // written only before the first Gather()
  mutable std::mutex mu_;
  std::vector<CollectorResult> last_results_;  // guarded by mu_
  std::shared_ptr<std::atomic<int>> running_;  // collector threads still running, shared with them
};

}  // namespace zkx::collectors
