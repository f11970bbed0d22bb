#include "exporter/exposition_response.h"

#include <string>
#include <utility>

#include <prometheus/text_serializer.h>

#include "exporter/gzip.h"

namespace zkx::exporter {

HttpResponse ExpositionResponse(const std::vector<prometheus::MetricFamily>& families,
                                std::string_view accept_encoding) {
  HttpResponse response;
  response.content_type = "text/plain; version=0.0.4; charset=utf-8";
  response.body = prometheus::TextSerializer().Serialize(families);
  if (AcceptsGzip(accept_encoding)) {
    Result<std::string> gz = GzipCompress(response.body);
    if (gz.ok()) {
      response.body = std::move(gz).value();
      response.headers.emplace_back("Content-Encoding", "gzip");
    }
  }
  response.headers.emplace_back("Vary", "Accept-Encoding");
  return response;
}

}  // namespace zkx::exporter
