#pragma once
// ZnodeWriter: the asynchronous write seam (create, set, get, delete) between collectors that write (the
// probe) and a ZooKeeper session. zk::Session implements it against the real C client; unit tests implement
// it with an in-memory fake.
//
// Callback contract (as for ZnodeReader): every callback is called exactly once per request, on an arbitrary
// thread (the client's completion thread, or the caller's own thread when the request fails before it is
// sent, e.g. kUnavailable when not connected); it must not block and must not throw. On error the result
// values are empty / zero.
//
// Status codes: OK; kNotFound (ZNONODE: the znode, or for Create its parent, does not exist);
// kAlreadyExists (ZNODEEXISTS); kFailedPrecondition (ZBADVERSION, ZNOTEMPTY, ZNOCHILDRENFOREPHEMERALS);
// kPermissionDenied (ZNOAUTH); kInvalidArgument (ZBADARGUMENTS, ZINVALIDACL: e.g. a bad path);
// kUnavailable (not connected, connection loss, session expired); kCancelled (session closing);
// kInternal (anything else).
//
// A request that failed with kUnavailable / kCancelled after it was sent may still have been applied by the
// ensemble (ZooKeeper cannot tell): callers that create must be prepared to find their znode later.

#include <cstdint>
#include <functional>
#include <string>

#include "base/status.h"
#include "zk/znode_stat.h"

namespace zkx::zk {

// The `version` of SetData / Delete that matches any version.
inline constexpr int32_t kAnyVersion = -1;

enum class CreateMode {
  kPersistent,  // stays until deleted
  kEphemeral,   // deleted by the ensemble when the creating session ends (expires or closes)
};

// `created_path`: the path the ensemble created (the requested path, within the chroot).
using CreateCallback = std::function<void(Status, std::string created_path)>;
// The znode's new Stat after SetData.
using SetDataCallback = std::function<void(Status, ZnodeStat)>;
// The znode's data and Stat.
using GetDataCallback = std::function<void(Status, std::string data, ZnodeStat)>;
using DeleteCallback = std::function<void(Status)>;

class ZnodeWriter {
 public:
  virtual ~ZnodeWriter() = default;

  // Every method: thread-safe; may block the calling thread while the writer's cap on requests in flight
  // is reached (backpressure), never indefinitely (a writer that is shutting down fails with kCancelled).

  // Creates `path` with `data`. The ACL is the implementation's choice (zk::Session: see session.h).
  virtual void Create(const std::string& path, std::string data, CreateMode mode, CreateCallback done) = 0;
  // Replaces `path`'s data if its version is `version` (kAnyVersion: unconditionally).
  virtual void SetData(const std::string& path, std::string data, int32_t version, SetDataCallback done) = 0;
  // Reads `path`'s data and Stat, without a watch.
  virtual void GetData(const std::string& path, GetDataCallback done) = 0;
  // Deletes `path` if its version is `version` (kAnyVersion: unconditionally); fails with
  // kFailedPrecondition if it has children.
  virtual void Delete(const std::string& path, int32_t version, DeleteCallback done) = 0;
};

}  // namespace zkx::zk
