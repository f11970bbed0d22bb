#include "collectors/build_info_collector.h"

#include <utility>

#include "collectors/family_builder.h"

#ifndef ZKX_ZOOKEEPER_HAS_SSL
#error "ZKX_ZOOKEEPER_HAS_SSL must be defined by the build (cmake/FindZooKeeperC.cmake)"
#endif

namespace zkx::collectors {

const char* ExporterVersion() {
  return ZKX_VERSION;
}
const char* ExporterRevision() {
  return ZKX_GIT_REVISION;
}

BuildInfoCollector::BuildInfoCollector(std::string zookeeper_client)
    : zookeeper_client_(std::move(zookeeper_client)) {}

Status BuildInfoCollector::Collect(std::chrono::steady_clock::time_point /*deadline*/, FamilySink out) {
  auto f =
      MakeFamily("zookeeper_exporter_build_info",
                 "A metric with a constant '1' value labelled by the exporter's version, git revision and "
                 "the ZooKeeper C client version it links.",
                 prometheus::MetricType::Gauge);
  // zookeeper_client_tls: whether the linked C client has zookeeper_init_ssl (false on Debian 12).
  AddSample(&f, 1,
            {{"revision", ExporterRevision()},
             {"version", ExporterVersion()},
             {"zookeeper_client", zookeeper_client_},
             {"zookeeper_client_tls", ZKX_ZOOKEEPER_HAS_SSL ? "true" : "false"}});
  out.Add(std::move(f));
  return Status::Ok();
}

}  // namespace zkx::collectors
