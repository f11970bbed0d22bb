#pragma once
// GzipStream: gzip compression fed piece by piece (zlib deflate with a gzip wrapper, level 1 as
// GzipCompress), so that a response body can be compressed while it is produced and the uncompressed text
// never exists whole. Not thread-safe: one stream per response, on one thread. Owns its zlib state (RAII).

#include <string>
#include <string_view>

#include <zlib.h>

#include "base/status.h"

namespace zkx::exporter {

class GzipStream {
 public:
  GzipStream();
  ~GzipStream();
  GzipStream(const GzipStream&) = delete;
  GzipStream& operator=(const GzipStream&) = delete;

  // Compresses `piece` and appends what deflate produced to the output. Errors are sticky.
  Status Add(std::string_view piece);
  // Ends the stream (gzip trailer) and returns the whole compressed body; the stream is spent afterwards.
  Result<std::string> Finish();

 private:
  Status Deflate(std::string_view piece, int flush);

  z_stream zs_{};
  bool ready_ = false;
  Status status_;
  std::string out_;
};

}  // namespace zkx::exporter
