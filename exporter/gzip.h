#pragma once
// Gzip compression of HTTP response bodies (zlib, gzip wrapper). Pure function: thread-safe.

#include <string>
#include <string_view>

#include "base/status.h"

namespace zkx::exporter {

Result<std::string> GzipCompress(std::string_view input);
// True if an Accept-Encoding header value allows gzip ("gzip", "gzip;q=0.5", "deflate, gzip"), not
// "gzip;q=0".
bool AcceptsGzip(std::string_view accept_encoding);

}  // namespace zkx::exporter
