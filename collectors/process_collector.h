#pragma once
// ProcessCollector ("process"): the standard process_* metrics of Prometheus client libraries, read from
// /proc/self: resident and virtual memory, CPU seconds, open and max file descriptors, start time, threads.
// They make the exporter's own cost visible (memory, descriptors) next to what it reports. Thread-safe.

#include "collectors/collector.h"

namespace zkx::collectors {

class ProcessCollector final : public Collector {
 public:
  Status Collect(std::chrono::steady_clock::time_point deadline, FamilySink out) override;
};

}  // namespace zkx::collectors
