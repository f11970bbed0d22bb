#pragma once
// ExpositionResponse: metric families as the HTTP answer of /metrics and /probe: text format 0.0.4, gzip when
// the client's Accept-Encoding admits it (and compression succeeds), and `Vary: Accept-Encoding`. Pure
// function; any thread.

#include <string_view>
#include <vector>

#include <prometheus/metric_family.h>

#include "exporter/http_server.h"

namespace zkx::exporter {

[[nodiscard]] HttpResponse ExpositionResponse(const std::vector<prometheus::MetricFamily>& families,
                                              std::string_view accept_encoding);

}  // namespace zkx::exporter
