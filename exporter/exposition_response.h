#pragma once
// ExpositionResponse: a scrape's text (format 0.0.4, in pieces: CollectorSet::GatherText) as the HTTP answer
// of /metrics and /probe: gzip when the client's Accept-Encoding admits it (and compression succeeds), and
// `Vary: Accept-Encoding`. Pure function; any thread.
//
// Memory: the families were serialised as their collectors built them (collectors/family_sink.h), so a
// scrape holds text, not samples. With gzip the pieces are compressed one after the other (no joined copy;
// they stay until the end, the plain answer if compression fails); without, they are joined, each freed
// once copied (tests/bench/scrape_memory_bench measures it).

#include <string>
#include <string_view>
#include <vector>

#include "exporter/http_server.h"

namespace zkx::exporter {

// Consumes `pieces`, freeing each as it is written.
[[nodiscard]] HttpResponse ExpositionResponse(std::vector<std::string>&& pieces,
                                              std::string_view accept_encoding);

}  // namespace zkx::exporter
