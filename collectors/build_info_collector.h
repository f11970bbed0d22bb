#pragma once
// BuildInfoCollector ("build_info"): zookeeper_exporter_build_info{version,revision,zookeeper_client} 1.
// Stateless; thread-safe.

#include <string>

#include "collectors/collector.h"

namespace zkx::collectors {

class BuildInfoCollector final : public Collector {
 public:
  // `zookeeper_client` is the linked C client's version (zk::ClientVersion()).
  explicit BuildInfoCollector(std::string zookeeper_client);

  Status Collect(std::chrono::steady_clock::time_point deadline, FamilySink out) override;

 private:
  const std::string zookeeper_client_;
};

// The exporter's version and git revision, as compiled in.
const char* ExporterVersion();
const char* ExporterRevision();

}  // namespace zkx::collectors
