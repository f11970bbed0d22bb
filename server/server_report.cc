#include "server/server_report.h"

#include <string_view>

namespace zkx::server {

void FillTypedFields(ServerReport* r) {
  struct Field {
    std::string_view name;
    std::optional<double> ServerReport::*field;
  };
  static constexpr Field kFields[] = {
      {"znode_count", &ServerReport::znode_count},
      {"watch_count", &ServerReport::watch_count},
      {"ephemerals_count", &ServerReport::ephemerals_count},
      {"approximate_data_size", &ServerReport::approximate_data_size},
      {"num_alive_connections", &ServerReport::alive_connections},
      {"outstanding_requests", &ServerReport::outstanding_requests},
      {"min_latency", &ServerReport::min_latency_ms},
      {"avg_latency", &ServerReport::avg_latency_ms},
      {"max_latency", &ServerReport::max_latency_ms},
      {"packets_received", &ServerReport::packets_received},
      {"packets_sent", &ServerReport::packets_sent},
      {"open_file_descriptor_count", &ServerReport::open_file_descriptors},
      {"max_file_descriptor_count", &ServerReport::max_file_descriptors},
      {"followers", &ServerReport::followers},
      {"synced_followers", &ServerReport::synced_followers},
      {"pending_syncs", &ServerReport::pending_syncs},
      {"uptime", &ServerReport::uptime_ms},
  };
  std::optional<double> learners;
  for (const ServerSample& s : r->samples) {
    if (!s.labels.empty()) continue;
    if (s.name == "learners") learners = s.value;
    for (const Field& f : kFields) {
      if (s.name == f.name) {
        r->*f.field = s.value;
        break;
      }
    }
  }
  // 3.5+ leaders report "learners" (followers + observers) instead of 3.4's "followers".
  if (!r->followers && learners) r->followers = learners;
}

std::string ShortVersion(const std::string& version) {
  const std::size_t end = version.find_first_of("-, ");
  return version.substr(0, end);
}

}  // namespace zkx::server
