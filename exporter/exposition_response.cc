#include "exporter/exposition_response.h"

#include <functional>
#include <optional>
#include <sstream>
#include <string>
#include <utility>

#include <prometheus/text_serializer.h>

#include "exporter/gzip.h"
#include "exporter/gzip_stream.h"

namespace zkx::exporter {
namespace {

using Families = std::vector<prometheus::MetricFamily>;
// Writes family i's text to the stream.
using WriteFamily = std::function<void(std::size_t, std::ostream&)>;

HttpResponse Finished(std::string body, bool gzipped) {
  HttpResponse response;
  response.content_type = "text/plain; version=0.0.4; charset=utf-8";
  response.body = std::move(body);
  if (gzipped) response.headers.emplace_back("Content-Encoding", "gzip");
  response.headers.emplace_back("Vary", "Accept-Encoding");
  return response;
}

std::string Plain(std::size_t count, const WriteFamily& write) {
  std::ostringstream out;
  for (std::size_t i = 0; i < count; ++i) write(i, out);
  return std::move(out).str();
}

// Family by family into a gzip stream: only one family's text exists uncompressed at a time. nullopt when
// compression failed.
std::optional<std::string> Gzipped(std::size_t count, const WriteFamily& write) {
  GzipStream gzip;
  std::ostringstream chunk;
  for (std::size_t i = 0; i < count; ++i) {
    chunk.str(std::string());
    write(i, chunk);
    if (!gzip.Add(chunk.view()).ok()) return std::nullopt;
  }
  Result<std::string> body = gzip.Finish();
  if (!body.ok()) return std::nullopt;
  return std::move(body).value();
}

}  // namespace

HttpResponse ExpositionResponse(const Families& families, std::string_view accept_encoding) {
  const prometheus::TextSerializer serializer;
  const WriteFamily copy_one = [&](std::size_t i, std::ostream& out) {
    serializer.Serialize(out, Families{families[i]});
  };
  if (AcceptsGzip(accept_encoding)) {
    if (std::optional<std::string> gz = Gzipped(families.size(), copy_one))
      return Finished(std::move(*gz), true);
  }
  return Finished(Plain(families.size(), copy_one), false);
}

HttpResponse ExpositionResponse(Families&& families, std::string_view accept_encoding) {
  const prometheus::TextSerializer serializer;
  Families one(1);
  if (AcceptsGzip(accept_encoding)) {
    // Each family is lent to the one-element vector the serializer takes and given back (no copy), so that
    // the families survive a failed compression; they go after the body is done.
    const WriteFamily lend = [&](std::size_t i, std::ostream& out) {
      std::swap(one[0], families[i]);
      serializer.Serialize(out, one);
      std::swap(one[0], families[i]);
    };
    if (std::optional<std::string> gz = Gzipped(families.size(), lend)) {
      Families().swap(families);
      return Finished(std::move(*gz), true);
    }
  }
  // Uncompressed: each family is freed as soon as its text is written.
  const WriteFamily consume = [&](std::size_t i, std::ostream& out) {
    one[0] = std::move(families[i]);
    families[i] = prometheus::MetricFamily();
    serializer.Serialize(out, one);
    one[0] = prometheus::MetricFamily();
  };
  HttpResponse r = Finished(Plain(families.size(), consume), false);
  Families().swap(families);
  return r;
}

}  // namespace zkx::exporter
