#pragma once
// CollectorSet: the enabled collectors, run concurrently at every scrape (node_exporter style).
//
// Gather() runs each collector as a task on the set's WorkerPool (created at the first Gather(): two workers
// per collector, so two concurrent scrapes run every collector at once) and waits until all have finished
// or the deadline passes. Given a shared pool (the /probe targets share one), the set runs its collectors
// on a lane of it instead: no thread of its own, at most 32 scrapes' tasks of this set in flight.
// It returns their families followed by
//   zookeeper_exporter_collector_duration_seconds{collector}
//   zookeeper_exporter_collector_success{collector}
// A collector that fails or misses the deadline is `success 0` and its families (if any) are dropped or kept
// as it returned them; it never fails the scrape. A straggler keeps running on its worker and its result is
// discarded; a collector whose task has not started by the deadline is not run.
//
// Thread-safety: Add() before the first Gather(); Gather() and LastResults() may be called concurrently.
// Stop() (also the destructor) joins the workers: it waits for stragglers, which collectors bound by the
// deadline they were given; the owner calls it before destroying what collectors point at (the session).

#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <prometheus/metric_family.h>

#include "base/mutex.h"
#include "base/thread_annotations.h"
#include "base/worker_pool.h"
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
  // What one collector (or the set itself, last) added: families or their text, as the caller asked.
  struct Piece {
    std::vector<prometheus::MetricFamily> families;
    std::vector<std::string> text;
    // A sink over `text` or over `families`.
    FamilySink Sink(bool as_text) { return as_text ? FamilySink(&text) : FamilySink(&families); }
  };
  // `shared`: run on a lane of this pool; null: the set's own workers.
  explicit CollectorSet(std::shared_ptr<WorkerPool> shared = nullptr);
  ~CollectorSet();
  CollectorSet(const CollectorSet&) = delete;
  CollectorSet& operator=(const CollectorSet&) = delete;

  void Add(std::string name, std::shared_ptr<Collector> collector);
  [[nodiscard]] std::vector<std::string> Names() const;

  std::vector<prometheus::MetricFamily> Gather(std::chrono::steady_clock::time_point deadline);
  // The same as text (format 0.0.4), one piece per family, in the same order. Each collector serialises a
  // family the moment it adds it (family_sink.h), so a scrape never holds all its samples at once: what
  // /metrics and /probe serve.
  std::vector<std::string> GatherText(std::chrono::steady_clock::time_point deadline);
  // The outcome of each collector's latest run, in Add() order (empty before the first Gather()).
  [[nodiscard]] std::vector<CollectorResult> LastResults() const;
  // Joins the workers; Gather() afterwards reports every collector as failed. Idempotent.
  void Stop();

 private:
  std::vector<Piece> Run(std::chrono::steady_clock::time_point deadline, bool as_text);

  struct Entry {
    std::string name;
    std::shared_ptr<Collector> collector;
  };
  std::vector<Entry> entries_;  // written only before the first Gather()
  mutable Mutex mu_;
  std::vector<CollectorResult> last_results_ GUARDED_BY(mu_);
  const std::shared_ptr<WorkerPool> shared_;
  std::once_flag pool_once_;
  std::unique_ptr<WorkerPool> pool_;  // created once (pool_once_) at the first Gather(); joined by Stop()
};

}  // namespace zkx::collectors
