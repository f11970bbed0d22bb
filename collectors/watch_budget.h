#pragma once
// WatchBudget: the session-wide bound on the bytes of watched paths. The C client re-sends every watch in one
// unchunked SetWatches packet on reconnect, about 2 x (4 + path length) bytes per watched znode (data + child
// watch); above jute.maxbuffer (~1 MB) the server refuses it and the client reconnects forever
// (measured with the 3.8 C client: a 1.6 MB SetWatches was refused by every server). Every watch-mode subtree holds a share of one budget; a subtree whose share
// would push the total over the limit falls back to poll mode.
//
// Thread-safety: all methods are thread-safe.

#include <cstddef>
#include <mutex>

namespace zkx::collectors {

// Bytes a SetWatches packet spends on one znode watched for data and children.
inline std::size_t WatchBytesForPath(std::size_t path_length) {
  return 2 * (4 + path_length);
}

class WatchBudget {
 public:
  static constexpr std::size_t kDefaultLimit = 512 * 1024;

  explicit WatchBudget(std::size_t limit = kDefaultLimit) : limit_(limit) {}

  // Changes a holder's share from *held to `want`. False (and *held unchanged) if the total would exceed
  // the limit; shrinking always succeeds.
  bool TryResize(std::size_t* held, std::size_t want) {
    std::lock_guard<std::mutex> lock(mu_);
    const std::size_t others = used_ - *held;
    if (want > *held && others + want > limit_) return false;
    used_ = others + want;
    *held = want;
    return true;
  }
  void Release(std::size_t* held) {
    std::lock_guard<std::mutex> lock(mu_);
    used_ -= *held;
    *held = 0;
  }
  [[nodiscard]] std::size_t used() const {
    std::lock_guard<std::mutex> lock(mu_);
    return used_;
  }
  [[nodiscard]] std::size_t limit() const { return limit_; }

 private:
  const std::size_t limit_;
  mutable std::mutex mu_;
  std::size_t used_ = 0;  // guarded by mu_
};

}  // namespace zkx::collectors
