#pragma once
// WatchBudget: the session-wide bound on the bytes of watched paths. The C client re-sends every watch in one
// unchunked SetWatches packet on reconnect, 2 x (4 + chroot length + path length) bytes per watched znode
// (data + child watch; the client stores and sends paths with the chroot prefixed: zk/README.md); above
// jute.maxbuffer (~1 MB) the server refuses it and the client reconnects forever (measured with the 3.8 C
// client: a 1.6 MB SetWatches was refused by every server). Every watch-mode subtree holds a share of one
// budget; a subtree whose share would push the total over the limit falls back to poll mode. The session's
// own count of what it really watches (zk::SessionStats::watched_path_bytes, exported as
// zookeeper_session_watched_path_bytes) counts the same bytes, so the two agree once orphaned exists-watches
// are removed (zk::Session does).
//
// Thread-safety: all methods are thread-safe.

#include <cstddef>

#include "base/mutex.h"
#include "base/thread_annotations.h"

namespace zkx::collectors {

// Bytes a SetWatches packet spends on one znode watched for data and children.
inline std::size_t WatchBytesForPath(std::size_t path_length) {
  return 2 * (4 + path_length);
}

class WatchBudget {
 public:
  static constexpr std::size_t kDefaultLimit = 512 * 1024;
  // The server's default jute.maxbuffer (0xfffff) less SetWatches' fixed part (length, xid, type, relative
  // zxid, three vector counts: 32 bytes): a larger budget can build a packet no default server accepts.
  static constexpr std::size_t kServerDefaultMaxBuffer = 0xfffff;
  static constexpr std::size_t kSetWatchesFixedBytes = 32;
  static constexpr std::size_t kMaxLimit = kServerDefaultMaxBuffer - kSetWatchesFixedBytes;

  // `chroot_length`: the length of the session's chroot ("/prod/kafka" -> 11; 0 for none).
  explicit WatchBudget(std::size_t limit = kDefaultLimit, std::size_t chroot_length = 0)
      : limit_(limit), chroot_length_(chroot_length) {}

  // Bytes a mirror's watches take on the wire: its WatchBytes() (computed without the chroot) plus the chroot
  // on each of the 2 watches of each of its `znodes`.
  [[nodiscard]] std::size_t ForMirror(std::size_t mirror_watch_bytes, std::size_t znodes) const {
    return mirror_watch_bytes + 2 * chroot_length_ * znodes;
  }

  // Changes a holder's share from *held to `want`. False (and *held unchanged) if the total would exceed
  // the limit; shrinking always succeeds.
  bool TryResize(std::size_t* held, std::size_t want) {
    MutexLock lock(mu_);
    const std::size_t others = used_ - *held;
    if (want > *held && others + want > limit_) return false;
    used_ = others + want;
    *held = want;
    return true;
  }
  void Release(std::size_t* held) {
    MutexLock lock(mu_);
    used_ -= *held;
    *held = 0;
  }
  [[nodiscard]] std::size_t used() const {
    MutexLock lock(mu_);
    return used_;
  }
  [[nodiscard]] std::size_t limit() const { return limit_; }
  [[nodiscard]] std::size_t chroot_length() const { return chroot_length_; }

 private:
  const std::size_t limit_;
  const std::size_t chroot_length_;
  mutable Mutex mu_;
  std::size_t used_ GUARDED_BY(mu_) = 0;
};

}  // namespace zkx::collectors
