#pragma once
// ZkTestClient: a small synchronous wrapper over the ZooKeeper C client for test fixtures (writing znodes,
// ephemeral registrations, ACLs), plus a pipelined bulk creator. Not production code: it blocks the caller.
//
// Ownership: owns one zhandle_t (RAII; the destructor closes it). Ephemeral znodes live as long as the object
// stays connected. The C client's log goes to the stream set by SetZkClientLogStream (default: /dev/null, or
// the file named by the environment variable ZKX_ZK_CLIENT_LOG), level WARN. Thread-safety: one thread drives
// a client at a time (the sync C API itself is thread-safe; this wrapper adds no locking around
// Connect/Close).
//
// Connection loss: CreateRecursive (unless fail_if_exists), Set, DeleteRecursive and CreateTree can be
// repeated after a lost reply, so they retry a kUnavailable once the handle has reconnected, for up to
// kWriteRetryWindow while the session lives: a member that stalls or an election must not fail a fixture.
// Create, Delete and the reads return connection loss at once.
//
// Errors: ZNONODE -> kNotFound, ZNOAUTH -> kPermissionDenied, ZAUTHFAILED -> kUnauthenticated, connection
// loss / timeouts / expiry / invalid state -> kUnavailable, ZNODEEXISTS / ZNOTEMPTY / ZBADVERSION ->
// kInvalidArgument, anything else kInternal. The message starts with the C constant's name ("ZNODEEXISTS
// ...").

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "base/status.h"

typedef struct _zhandle zhandle_t;  // NOLINT: the C client's opaque handle

namespace zkx::test {

enum class NodeKind { kPersistent, kEphemeral };

// One ACL entry, like the C client's `struct ACL` (perms: ZOO_PERM_* bits; 31 = all).
struct AclEntry {
  int32_t perms = 31;
  std::string scheme{};  // "world", "digest", "auth", "ip"
  std::string id{};      // "anyone", DigestId(user, password), ...
};
using AclList = std::vector<AclEntry>;

// world:anyone with all permissions (ZOO_OPEN_ACL_UNSAFE).
AclList OpenAcl();
// world:anyone read-only (ZOO_READ_ACL_UNSAFE).
AclList ReadOnlyWorldAcl();
// auth:: all permissions for the creator's authenticated ids (ZOO_CREATOR_ALL_ACL): AddDigestAuth first.
AclList CreatorAllAcl();
// digest:<DigestId(user, password)> with `perms`; needs no auth on the creating session.
AclList DigestAcl(const std::string& user, const std::string& password, int32_t perms = 31);

// ZooKeeper's digest id: user + ":" + base64(sha1("user:password")).
std::string DigestId(const std::string& user, const std::string& password);

// Where every ZkTestClient's C client log goes (process-wide, the C client has one log stream). nullptr ->
// /dev/null. The stream must stay open while any client exists.
void SetZkClientLogStream(FILE* stream);

// The Status for a C client return code (see the mapping above). `what` names the operation and path.
Status ZkStatus(int rc, const std::string& what);

class ZkTestClient {
 public:
  static constexpr std::chrono::seconds kWriteRetryWindow{30};

  ZkTestClient();
  ~ZkTestClient();  // Close()
  ZkTestClient(const ZkTestClient&) = delete;
  ZkTestClient& operator=(const ZkTestClient&) = delete;

  // Creates the handle and waits until the session is connected (or `timeout` -> kDeadlineExceeded).
  // `session_timeout` is what we ask for; the server clamps it to [minSessionTimeout, maxSessionTimeout].
  Status Connect(const std::string& hosts,
                 std::chrono::milliseconds timeout = std::chrono::milliseconds(15000),
                 std::chrono::milliseconds session_timeout = std::chrono::milliseconds(10000));
  // Closes the session (its ephemerals go away). Idempotent; blocks up to a few seconds.
  void Close();

  [[nodiscard]] bool connected() const;
  // True once the server expired the session (or auth failed): the handle is dead; Connect() again.
  [[nodiscard]] bool session_dead() const;
  [[nodiscard]] int64_t session_id() const;
  [[nodiscard]] std::chrono::milliseconds negotiated_timeout() const;
  // The raw handle for tests that need the C API directly (owned by this object; do not close it).
  [[nodiscard]] zhandle_t* handle() const { return zh_; }

  struct Watch;  // implementation detail: the session-state cell the watcher writes (outlives the handle)

  // zoo_add_auth("digest", "user:password") and waits for the server's answer.
  Status AddDigestAuth(const std::string& user, const std::string& password);

  Status Create(const std::string& path, const std::string& data, NodeKind kind = NodeKind::kPersistent,
                const AclList& acl = OpenAcl());
  // Creates missing ancestors (persistent, empty, open ACL), then `path`; an existing `path` is an error only
  // if `fail_if_exists`. Ancestors that already exist are fine.
  Status CreateRecursive(const std::string& path, const std::string& data = {},
                         NodeKind kind = NodeKind::kPersistent, const AclList& acl = OpenAcl(),
                         bool fail_if_exists = false);
  Status Set(const std::string& path, const std::string& data);
  Result<std::string> Get(const std::string& path);
  Status Delete(const std::string& path);
  // Deletes `path` and everything below it: lists the subtree level by level, then deletes the deepest level
  // first, pipelined (zoo_aget_children / zoo_adelete). A missing `path` is OK; "/" keeps /zookeeper.
  Status DeleteRecursive(const std::string& path);
  Result<bool> Exists(const std::string& path);
  // Child names (not full paths), sorted.
  Result<std::vector<std::string>> GetChildren(const std::string& path);

  // Pipelined bulk create, one depth level at a time (shallowest first), so a parent listed in `path_data`
  // exists before its children; ancestors NOT listed must already exist. Each level goes out in zoo_amulti
  // batches of 100 creates (one transaction each: ~10x the rate of single creates on an ensemble), with about
  // `max_in_flight` creates outstanding; a batch the server refuses (e.g. one of its znodes exists already)
  // is redone with single zoo_acreate calls, so existing znodes are left as they are (ZNODEEXISTS is not an
  // error). Ephemeral znodes cannot have children: give kEphemeral only for leaves.
  // Returns the first error (after waiting for every request in flight).
  Status CreateTree(const std::vector<std::pair<std::string, std::string>>& path_data,
                    std::size_t max_in_flight = 1000, NodeKind kind = NodeKind::kPersistent);

 private:
  // Runs `op` until it does not fail with kUnavailable (see "Connection loss" above).
  Status RetryingConnectionLoss(const std::function<Status()>& op);
  Status CreateRecursiveOnce(const std::string& path, const std::string& data, NodeKind kind,
                             const AclList& acl, bool fail_if_exists);
  Status DeleteRecursiveOnce(const std::string& path);
  Status CreateTreeOnce(const std::vector<std::pair<std::string, std::string>>& path_data,
                        std::size_t max_in_flight, NodeKind kind);

  zhandle_t* zh_ = nullptr;
  std::shared_ptr<Watch> watch_;
};

}  // namespace zkx::test
