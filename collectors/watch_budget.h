#pragma once
// WatchBudget: the bound on the bytes of watched paths of each watch session. The C client re-sends every
// watch of a handle in one unchunked SetWatches packet on reconnect, 2 x (4 + chroot length + path length)
// bytes per watched znode (data + child watch; the client stores and sends paths with the chroot prefixed:
// zk/README.md); above jute.maxbuffer (~1 MB) the server refuses it and the client reconnects forever
// (measured with the 3.8 C client: a 1.6 MB SetWatches was refused by every server).
//
// Watch mode may spread its watches over several sessions (--zookeeper.watch-sessions, zk/watch_shards.h):
// each session ("shard") has a limit of its own, since each sends a SetWatches of its own. A holder (one
// watch-mode subtree) holds a WatchShare, its bytes on every session; a resize succeeds only if every
// session stays within its limit (all or nothing, under one lock, so two holders never see each other's
// half-done resize). A subtree whose share would push any session over falls back to poll mode.
// Each session's own count of what it really watches (zk::SessionStats::watched_path_bytes, exported as
// zookeeper_session_watched_path_bytes, summed over the watch sessions) counts the same bytes, so the two
// agree once orphaned exists-watches are removed (zk::Session does).
//
// Thread-safety: all methods are thread-safe.

#include <cstddef>
#include <numeric>
#include <vector>

#include "base/mutex.h"
#include "base/thread_annotations.h"

namespace zkx::collectors {

// Bytes a SetWatches packet spends on one znode watched for data and children.
inline std::size_t WatchBytesForPath(std::size_t path_length) {
  return 2 * (4 + path_length);
}

// A holder's bytes on each watch session, indexed by shard (zk::ZnodeReader::WatchShardOf).
using WatchShare = std::vector<std::size_t>;

inline std::size_t ShareTotal(const WatchShare& share) {
  return std::accumulate(share.begin(), share.end(), std::size_t{0});
}

class WatchBudget {
 public:
  static constexpr std::size_t kDefaultLimit = std::size_t{512} * 1024;
  // The server's default jute.maxbuffer (0xfffff) less SetWatches' fixed part (length, xid, type, relative
  // zxid, three vector counts: 32 bytes): a larger budget can build a packet no default server accepts.
  static constexpr std::size_t kServerDefaultMaxBuffer = 0xfffff;
  static constexpr std::size_t kSetWatchesFixedBytes = 32;
  static constexpr std::size_t kMaxLimit = kServerDefaultMaxBuffer - kSetWatchesFixedBytes;

  // `limit`: bytes per watch session; `chroot_length`: the length of the sessions' chroot ("/prod/kafka" ->
  // 11; 0 for none); `sessions`: how many watch sessions share the watches (at least 1).
  explicit WatchBudget(std::size_t limit = kDefaultLimit, std::size_t chroot_length = 0,
                       std::size_t sessions = 1)
      : limit_(limit),
        chroot_length_(chroot_length),
        sessions_(sessions == 0 ? 1 : sessions),
        used_(sessions_, 0) {}

  // Bytes watches take on the wire: `watch_bytes` (WatchBytesForPath sums, computed without the chroot) plus
  // the chroot on each of the 2 watches of each of `znodes`.
  [[nodiscard]] std::size_t ForMirror(std::size_t watch_bytes, std::size_t znodes) const {
    return watch_bytes + 2 * chroot_length_ * znodes;
  }

  // An empty share of the right size.
  [[nodiscard]] WatchShare EmptyShare() const { return WatchShare(sessions(), 0); }

  // Changes a holder's share from *held to `want` (both sessions() long). False (and *held unchanged) if any
  // session's total would exceed the limit where the holder grows; shrinking always succeeds.
  bool TryResize(WatchShare* held, const WatchShare& want) {
    MutexLock lock(mu_);
    held->resize(used_.size(), 0);
    for (std::size_t i = 0; i < used_.size(); ++i) {
      const std::size_t w = i < want.size() ? want[i] : 0;
      if (w > (*held)[i] && used_[i] - (*held)[i] + w > limit_) return false;
    }
    for (std::size_t i = 0; i < used_.size(); ++i) {
      const std::size_t w = i < want.size() ? want[i] : 0;
      used_[i] = used_[i] - (*held)[i] + w;
      (*held)[i] = w;
    }
    return true;
  }
  void Release(WatchShare* held) {
    MutexLock lock(mu_);
    for (std::size_t i = 0; i < held->size() && i < used_.size(); ++i) used_[i] -= (*held)[i];
    held->assign(held->size(), 0);
  }
  // The one-session forms (shard 0), for budgets of one session.
  bool TryResize(std::size_t* held, std::size_t want) {
    WatchShare share = EmptyShare();
    share[0] = *held;
    WatchShare wanted = EmptyShare();
    wanted[0] = want;
    if (!TryResize(&share, wanted)) return false;
    *held = want;
    return true;
  }
  void Release(std::size_t* held) {
    WatchShare share = EmptyShare();
    share[0] = *held;
    Release(&share);
    *held = 0;
  }

  // Bytes held on every session together, and on one.
  [[nodiscard]] std::size_t used() const {
    MutexLock lock(mu_);
    return ShareTotal(used_);
  }
  [[nodiscard]] std::size_t used(std::size_t session) const {
    MutexLock lock(mu_);
    return session < used_.size() ? used_[session] : 0;
  }
  [[nodiscard]] std::size_t limit() const { return limit_; }  // per session
  [[nodiscard]] std::size_t chroot_length() const { return chroot_length_; }
  [[nodiscard]] std::size_t sessions() const { return sessions_; }

 private:
  const std::size_t limit_;
  const std::size_t chroot_length_;
  const std::size_t sessions_;
  mutable Mutex mu_;
  WatchShare used_ GUARDED_BY(mu_);  // sessions_ entries
};

}  // namespace zkx::collectors
