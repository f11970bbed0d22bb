#pragma once
// ZnodeReader: the asynchronous read seam between the walk (and collectors) and a ZooKeeper session.
// zk::Session implements it against the real C client; unit tests implement it with an in-memory fake.

#include <functional>
#include <string>
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

class ZnodeReader {
 public:
  virtual ~ZnodeReader() = default;

  // Lists `path`'s children and returns its Stat in one request (zoo_aget_children2), without a watch.
  // May block the calling thread while the reader's cap on requests in flight is reached (backpressure);
  // never blocks indefinitely: a reader that is shutting down fails the request with kCancelled.
  // Thread-safe.
  virtual void GetChildren2(const std::string& path, ChildrenCallback done) = 0;
};

}  // namespace zkx::zk
