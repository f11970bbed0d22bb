#include "exporter/gzip.h"

#include <algorithm>
#include <cctype>
#include <cstdlib>

#include <zlib.h>

namespace zkx::exporter {

Result<std::string> GzipCompress(std::string_view input) {
  z_stream zs{};
  // 15 window bits + 16: write a gzip header and trailer. Level 1: /metrics is served often; speed matters
  // more than the last few percent of size.
  if (deflateInit2(&zs, 1, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
    return Status::Internal("deflateInit2 failed");
  }
  std::string out;
  out.resize(deflateBound(&zs, static_cast<uLong>(input.size())));
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(input.data()));
  zs.avail_in = static_cast<uInt>(input.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  const int rc = deflate(&zs, Z_FINISH);
  const auto written = zs.total_out;
  deflateEnd(&zs);
  if (rc != Z_STREAM_END) return Status::Internal("deflate did not finish");
  out.resize(written);
  return out;
}

bool AcceptsGzip(std::string_view header) {
  std::size_t pos = 0;
  while (pos <= header.size()) {
    std::size_t end = header.find(',', pos);
    if (end == std::string_view::npos) end = header.size();
    std::string_view item = header.substr(pos, end - pos);
    pos = end + 1;
    auto trim = [](std::string_view s) {
      while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
      while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
      return s;
    };
    std::string_view coding = item;
    std::string_view params;
    if (auto semi = item.find(';'); semi != std::string_view::npos) {
      coding = item.substr(0, semi);
      params = item.substr(semi + 1);
    }
    coding = trim(coding);
    // Content codings are case-insensitive (RFC 9110 section 8.4.1): "GZIP" and "Gzip" are gzip.
    const auto lower_equals = [](std::string_view a, std::string_view b) {
      return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
               return std::tolower(static_cast<unsigned char>(x)) == y;
             });
    };
    if (!lower_equals(coding, "gzip") && coding != "*") continue;
    params = trim(params);
    if (params.size() >= 2 && lower_equals(params.substr(0, 2), "q=")) {
      const std::string q(params.substr(2));
      if (std::strtod(q.c_str(), nullptr) <= 0.0) continue;
    }
    return true;
  }
  return false;
}

}  // namespace zkx::exporter
