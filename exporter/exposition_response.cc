#include "exporter/exposition_response.h"

#include <optional>
#include <string>
#include <utility>

#include "exporter/gzip.h"
#include "exporter/gzip_stream.h"

namespace zkx::exporter {
namespace {

HttpResponse Finished(std::string body, bool gzipped) {
  HttpResponse response;
  response.content_type = "text/plain; version=0.0.4; charset=utf-8";
  response.body = std::move(body);
  if (gzipped) response.headers.emplace_back("Content-Encoding", "gzip");
  response.headers.emplace_back("Vary", "Accept-Encoding");
  return response;
}

// Piece by piece into a gzip stream; nullopt when compression failed (the pieces are then untouched).
std::optional<std::string> Gzipped(const std::vector<std::string>& pieces) {
  GzipStream gzip;
  for (const std::string& piece : pieces) {
    if (!gzip.Add(piece).ok()) return std::nullopt;
  }
  Result<std::string> body = gzip.Finish();
  if (!body.ok()) return std::nullopt;
  return std::move(body).value();
}

}  // namespace

HttpResponse ExpositionResponse(std::vector<std::string>&& pieces, std::string_view accept_encoding) {
  if (AcceptsGzip(accept_encoding)) {
    if (std::optional<std::string> gz = Gzipped(pieces)) {
      std::vector<std::string>().swap(pieces);
      return Finished(std::move(*gz), true);
    }
  }
  if (pieces.size() == 1) return Finished(std::move(pieces[0]), false);
  std::size_t total = 0;
  for (const std::string& piece : pieces) total += piece.size();
  std::string body;
  body.reserve(total);
  for (std::string& piece : pieces) {
    body += piece;
    std::string().swap(piece);
  }
  std::vector<std::string>().swap(pieces);
  return Finished(std::move(body), false);
}

}  // namespace zkx::exporter
