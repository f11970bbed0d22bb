#include "collectors/build_info_collector.h"

#include <utility>

#include "collectors/family_builder.h"

namespace zkx::collectors {

const char* ExporterVersion() { return ZKX_VERSION; }
const char* ExporterRevision() { return ZKX_GIT_REVISION; }

BuildInfoCollector::BuildInfoCollector(std::string zookeeper_client)
    : zookeeper_client_(std::move(zookeeper_client)) {}

Status BuildInfoCollector::Collect(std::chrono::steady_clock::time_point /*deadline*/,
                                   std::vector<prometheus::MetricFamily>* out) {
  auto f = MakeFamily("zookeeper_exporter_build_info",
                      "A metric with a constant '1' value labelled by the exporter's version, git revision and "
                      "the ZooKeeper C client version it links.",
                      prometheus::MetricType::Gauge);
  AddSample(&f, 1,
            {{"revision", ExporterRevision()}, {"version", ExporterVersion()}, {"zookeeper_client", zookeeper_client_}});
  out->push_back(std::move(f));
  return Status::Ok();
}

}  // namespace zkx::collectors
