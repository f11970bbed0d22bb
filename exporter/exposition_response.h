#pragma once
// ExpositionResponse: metric families as the HTTP answer of /metrics and /probe: text format 0.0.4, gzip when
// the client's Accept-Encoding admits it (and compression succeeds), and `Vary: Accept-Encoding`. Pure
// function; any thread.
//
// Memory: families are serialised one at a time (prometheus-cpp's TextSerializer takes a vector of families,
// so it is given one at a time), and with gzip each family's text is compressed as soon as it is written, so
// that the whole uncompressed text never exists at once. The rvalue overload also frees each family (its
// samples) as soon as it is written: a scrape's peak is then about its samples, not samples plus text plus
// compressed text (tests/bench/scrape_memory_bench measures both ways).

#include <string_view>
#include <vector>

#include <prometheus/metric_family.h>

#include "exporter/http_server.h"

namespace zkx::exporter {

[[nodiscard]] HttpResponse ExpositionResponse(const std::vector<prometheus::MetricFamily>& families,
                                              std::string_view accept_encoding);
// Consumes `families`, freeing each as it is serialised.
[[nodiscard]] HttpResponse ExpositionResponse(std::vector<prometheus::MetricFamily>&& families,
                                              std::string_view accept_encoding);

}  // namespace zkx::exporter
