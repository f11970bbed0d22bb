#pragma once
// ZnodeReader: the asynchronous read seam between the walk (and collectors) and a ZooKeeper session.
// zk::Session implements it against the real C client (zk::ChrootReader and zk::ReaderPool forward to
// sessions); unit tests use tests/support/fake_znode_tree.h, an in-memory tree.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "base/status.h"
#include "zk/znode_stat.h"

namespace zkx::zk {

struct ChildrenResult {
  ZnodeStat stat;
  std::vector<std::string> children;  // child names (not full paths), in server order
};

// Called exactly once per request. Status codes: OK; kNotFound (ZNONODE: the znode is gone);
// kPermissionDenied (ZNOAUTH); kUnavailable (not connected, connection loss, session expired);
// kCancelled (session closing); kInternal (anything else). On error the result is empty.
// Contract: runs on an arbitrary thread (the client's completion thread, or the caller's own thread when
// the request fails before it is sent); it must not block and must not throw.
using ChildrenCallback = std::function<void(Status, ChildrenResult)>;
// Same contract as ChildrenCallback, for requests that return only a Stat.
using StatCallback = std::function<void(Status, ZnodeStat)>;

// ACL permission bits, mirroring ZOO_PERM_* (checked against the C client in the unit tests) so that code
// above zk/ need not include <zookeeper/zookeeper.h>.
inline constexpr int32_t kPermRead = 1;
inline constexpr int32_t kPermWrite = 2;
inline constexpr int32_t kPermCreate = 4;
inline constexpr int32_t kPermDelete = 8;
inline constexpr int32_t kPermAdmin = 16;
inline constexpr int32_t kPermAll = kPermRead | kPermWrite | kPermCreate | kPermDelete | kPermAdmin;

// One entry of a znode's ACL, e.g. {kPermAll, "world", "anyone"} or {kPermRead, "digest", "user:base64sha1"}.
struct AclEntry {
  int32_t perms = 0;   // kPerm* bits
  std::string scheme;  // "world", "digest", "ip", "sasl", "x509", ...
  std::string id;      // scheme-specific: "anyone", "user:hash", "10.0.0.0/8", ...
  friend bool operator==(const AclEntry&, const AclEntry&) = default;
};

// Same contract and status codes as ChildrenCallback; the stat is the znode's (its aversion counts ACL
// changes). On error the ACL is empty.
using AclCallback = std::function<void(Status, std::vector<AclEntry>, ZnodeStat)>;

// A znode watch that fired, or a session event after which every watch must be re-established.
enum class WatchEventType {
  kCreated,          // ZOO_CREATED_EVENT (an exists-watch on a missing znode)
  kDeleted,          // ZOO_DELETED_EVENT (fires the data and the child watch of the znode)
  kDataChanged,      // ZOO_CHANGED_EVENT
  kChildrenChanged,  // ZOO_CHILD_EVENT
  kNotWatching,      // ZOO_NOTWATCHING_EVENT (watches removed by the client)
  kResync,           // the session (re)connected: watches may have been lost (new session) or events
                     // missed; listeners must re-read what they track. `epoch` is the new SessionEpoch().
};

struct WatchEvent {
  WatchEventType type = WatchEventType::kResync;
  std::string path;    // absolute, within the chroot; empty for kResync
  uint64_t epoch = 0;  // SessionEpoch() when the event was dispatched
};

// Called on the reader's event thread (the C client's completion thread). Must not block, must not throw:
// copy the event into your own queue and return.
using WatchListener = std::function<void(const WatchEvent&)>;

// RAII registration of a WatchListener: the destructor (or Reset) unregisters it; once that returns the
// listener is not running and will not be called again. Movable, not copyable.
class WatchSubscription {
 public:
  WatchSubscription() = default;
  explicit WatchSubscription(std::function<void()> unsubscribe) : unsubscribe_(std::move(unsubscribe)) {}
  ~WatchSubscription() { Reset(); }
  WatchSubscription(WatchSubscription&& other) noexcept : unsubscribe_(std::move(other.unsubscribe_)) {
    other.unsubscribe_ = nullptr;
  }
  WatchSubscription& operator=(WatchSubscription&& other) noexcept {
    if (this != &other) {
      Reset();
      unsubscribe_ = std::move(other.unsubscribe_);
      other.unsubscribe_ = nullptr;
    }
    return *this;
  }
  WatchSubscription(const WatchSubscription&) = delete;
  WatchSubscription& operator=(const WatchSubscription&) = delete;
  void Reset() {
    if (unsubscribe_) {
      auto f = std::move(unsubscribe_);
      unsubscribe_ = nullptr;
      f();
    }
  }
  [[nodiscard]] bool active() const { return static_cast<bool>(unsubscribe_); }

 private:
  std::function<void()> unsubscribe_;
};

class ZnodeReader {
 public:
  virtual ~ZnodeReader() = default;

  // Lists `path`'s children and returns its Stat in one request (zoo_aget_children2), without a watch.
  // May block the calling thread while the reader's cap on requests in flight is reached (backpressure);
  // never blocks indefinitely: a reader that is shutting down fails the request with kCancelled.
  // Thread-safe.
  virtual void GetChildren2(const std::string& path, ChildrenCallback done) = 0;

  // Watched reads (same contract as GetChildren2). WatchChildren2 is zoo_aget_children2 with a child watch
  // (fires kChildrenChanged, or kDeleted when the znode goes). WatchExists is zoo_aexists with a data watch
  // (fires kDataChanged / kDeleted); on kNotFound the server still keeps an exists-watch that fires kCreated.
  // Watch events reach the listeners of SubscribeWatches.
  virtual void WatchChildren2(const std::string& path, ChildrenCallback done) = 0;
  virtual void WatchExists(const std::string& path, StatCallback done) = 0;
  // Reads `path`'s ACL and Stat (zoo_aget_acl). Same contract as GetChildren2 (backpressure, exactly one
  // call of `done`).
  virtual void GetAcl(const std::string& path, AclCallback done) = 0;
  // Reads `path`'s data and Stat (zoo_aget, no watch), for value rules. Same contract as GetChildren2.
  // zk::Session's ZnodeWriter::GetData has the same signature and implements both.
  // NOLINTNEXTLINE(performance-unnecessary-value-param): the interface takes callbacks by value
  virtual void GetData(const std::string& path, std::function<void(Status, std::string, ZnodeStat)> done) = 0;
  // Removes every watch this session holds on `path` (data, exists and child), on the server too
  // (zoo_aremove_all_watches with ZWATCHTYPE_ANY, local=0): what a watch-mode subtree that falls back to poll
  // mode does with the watches it armed, so that SetWatches stays within the budget it reports. Status: OK
  // (removed; listeners then get kNotWatching for the path, so that another subtree relying on the same
  // watch re-reads it), an error when the session held none (ZNOWATCHER, from the server: the client checks
  // no watcher of its own when removing them all), or the usual connection errors. Same contract as
  // GetChildren2 (backpressure, exactly one call of `done`). While the session is disconnected (and not
  // expired) the watches are removed from the client's tables alone, which suffices: the server drops a
  // connection's watches with it, and a reconnect re-arms only what the client lists.
  virtual void RemoveWatches(const std::string& path, std::function<void(Status)> done) = 0;
  // Registers a listener for every watch event and every kResync. Thread-safe.
  virtual WatchSubscription SubscribeWatches(WatchListener listener) = 0;
  // Increases each time the session becomes connected (first connect, reconnect, new session after expiry).
  [[nodiscard]] virtual uint64_t SessionEpoch() const = 0;
  // The most requests the reader lets be in flight at once, all callers together (where its backpressure
  // starts); SIZE_MAX when it sets no cap. A walk keeps to half of it, so that the session's other requests
  // (watch re-reads, the canary) always find a slot.
  [[nodiscard]] virtual std::size_t InFlightCap() const { return std::numeric_limits<std::size_t>::max(); }

  // Walk sessions: a reader that can spread plain reads over several sessions (zk::ReaderPool) chooses how
  // many from what walks measure. A walk calls this on its own thread (it may block briefly: opening a
  // session) after each batch of replies it received from this reader's GetChildren2 while it was busy (its
  // in-flight window full, or 128 requests in flight): `replies` of them over `busy` since the batch before.
  // Readers that forward plain reads forward it; the rest ignore it.
  virtual void NoteBusyWalk(std::size_t /*replies*/, std::chrono::nanoseconds /*busy*/) {}
  // Over how many sessions this reader's GetChildren2 go now (a zk::ReaderPool's count in use; 1 for one
  // session). A walk keeps at least InFlightWindow's floor in flight per session, so that no session's
  // connection idles between round trips when the window is split over several.
  [[nodiscard]] virtual std::size_t WalkSessionsInUse() const { return 1; }

  // Watch shards: a reader that spreads watches over several sessions (zk::WatchShards) says over how many
  // and on which one a path's watches live, so that callers can keep each session's SetWatches within its
  // bounds. Every other reader is one shard.
  [[nodiscard]] virtual std::size_t WatchShardCount() const { return 1; }
  [[nodiscard]] virtual std::size_t WatchShardOf(const std::string& /*path*/) const { return 0; }
};

}  // namespace zkx::zk
