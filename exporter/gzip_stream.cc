#include "exporter/gzip_stream.h"

#include <algorithm>
#include <utility>

namespace zkx::exporter {

GzipStream::GzipStream() {
  // 15 window bits + 16: a gzip header and trailer; level 1 as GzipCompress.
  ready_ = deflateInit2(&zs_, 1, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) == Z_OK;
  if (!ready_) status_ = Status::Internal("deflateInit2 failed");
}

GzipStream::~GzipStream() {
  if (ready_) deflateEnd(&zs_);
}

Status GzipStream::Deflate(std::string_view piece, int flush) {
  if (!status_.ok()) return status_;
  zs_.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(piece.data()));
  zs_.avail_in = static_cast<uInt>(piece.size());
  for (;;) {
    // Room for what this piece can become, at least 16 KiB: deflate writes into the string's tail.
    const std::size_t room = std::max<std::size_t>(deflateBound(&zs_, zs_.avail_in), 16384);
    const std::size_t used = out_.size();
    out_.resize(used + room);
    zs_.next_out = reinterpret_cast<Bytef*>(out_.data() + used);
    zs_.avail_out = static_cast<uInt>(room);
    const int rc = deflate(&zs_, flush);
    out_.resize(used + (room - zs_.avail_out));
    if (rc == Z_STREAM_END) return Status::Ok();
    if (rc != Z_OK && rc != Z_BUF_ERROR) {
      status_ = Status::Internal("deflate failed");
      return status_;
    }
    if (flush == Z_NO_FLUSH && zs_.avail_in == 0) return Status::Ok();
    if (flush == Z_FINISH && rc == Z_BUF_ERROR && zs_.avail_out != 0) {
      status_ = Status::Internal("deflate made no progress");
      return status_;
    }
  }
}

Status GzipStream::Add(std::string_view piece) {
  // zlib counts input in uInt: feed very large pieces in parts.
  constexpr std::size_t kMaxPiece = 1u << 30;
  while (piece.size() > kMaxPiece) {
    if (Status s = Deflate(piece.substr(0, kMaxPiece), Z_NO_FLUSH); !s.ok()) return s;
    piece.remove_prefix(kMaxPiece);
  }
  return Deflate(piece, Z_NO_FLUSH);
}

Result<std::string> GzipStream::Finish() {
  if (Status s = Deflate({}, Z_FINISH); !s.ok()) return s;
  status_ = Status::Internal("gzip stream already finished");
  return std::move(out_);
}

}  // namespace zkx::exporter
