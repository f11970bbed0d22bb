#pragma once
// Internal to zk/ (used by session.cc only): what one zk::Session request is, how it goes over the wire with
// the C client's zoo_a* calls, and how its reply comes back and reaches the user's callback.
//
// Ownership stays with the Session: a PendingRequest is owned by its handle's registry from registration
// until exactly one of its reply (ReplySink::OnReply), a failed Send, or the sweep after zookeeper_close.
// This file never frees a request.

#include <cstdint>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "base/status.h"
#include "zk/znode_reader.h"
#include "zk/znode_stat.h"
#include "zk/znode_writer.h"

typedef struct _zhandle zhandle_t;  // NOLINT: the C client's opaque handle

namespace zkx::zk::internal {

enum class RequestKind {
  kChildren,       // zoo_aget_children2, no watch      -> ChildrenCallback
  kWatchChildren,  // zoo_aget_children2 with a watch   -> ChildrenCallback
  kWatchExists,    // zoo_aexists with a watch          -> StatCallback (only the stat)
  kGetAcl,         // zoo_aget_acl                      -> AclCallback
  kCreate,         // zoo_acreate                       -> CreateCallback
  kSetData,        // zoo_aset                          -> SetDataCallback (= StatCallback)
  kGetData,        // zoo_aget, no watch                -> GetDataCallback
  kDelete,         // zoo_adelete                       -> DeleteCallback
  // zoo_aremove_all_watches(ZWATCHTYPE_DATA, local=0)     -> DeleteCallback. Internal: the session sends it
  // when a kWatchExists found no znode, to drop the exists-watch the client registers anyway (zk/README.md).
  kRemoveDataWatches,
  // zoo_aremove_all_watches(ZWATCHTYPE_ANY, local=0)      -> DeleteCallback: ZnodeReader::RemoveWatches.
  kRemoveAllWatches,
};

// The user's callback: one alternative per callback type. Each RequestKind pairs with the one above.
using Completion = std::variant<ChildrenCallback, StatCallback, AclCallback, CreateCallback, GetDataCallback,
                                DeleteCallback>;

// What to send.
struct Request {
  Request() = default;
  Request(RequestKind k, std::string p) : kind(k), path(std::move(p)) {}

  RequestKind kind = RequestKind::kChildren;
  std::string path;
  std::string data;                           // kCreate, kSetData
  int32_t version = kAnyVersion;              // kSetData, kDelete
  CreateMode mode = CreateMode::kPersistent;  // kCreate
  bool creator_acl =
      false;  // kCreate: ZOO_CREATOR_ALL_ACL (needs credentials) instead of ZOO_OPEN_ACL_UNSAFE
};

// What came back; each kind fills its part. Empty on error.
struct Reply {
  ZnodeStat stat;                     // every kind but kCreate and kDelete
  std::vector<std::string> children;  // kChildren, kWatchChildren: child names in server order
  std::vector<AclEntry> acl;          // kGetAcl
  std::string value;                  // kGetData: the data; kCreate: the created path
};

class ReplySink;

// One request: what was asked and whom to tell.
struct PendingRequest {
  ReplySink* sink = nullptr;
  Request request;
  Completion done;
};

class ReplySink {
 public:
  // Called at most once per request whose Send returned ZOK (never if the client drops it on close:
  // ZOOKEEPER-3868), on the client's completion thread or the thread closing the handle. `rc` is the
  // ZOO_ERRORS code; `status` its mapping (kInternal if copying the reply ran out of memory).
  virtual void OnReply(PendingRequest* request, int rc, Status status, Reply reply) noexcept = 0;

 protected:
  ~ReplySink() = default;
};

// True if `done` holds a callable.
bool HasCallback(const Completion& done);

// Sends `pending->request` on `zh` with `pending` as the completion's context. Returns the zoo_a* code:
// ZOK means pending->sink->OnReply will be called (unless the handle is closed first); anything else means it
// never will be. Does not touch `pending` after the zoo_a* call (the reply may already have freed it).
// Never blocks (zoo_a* only queue). Every call is counted in ProcessXidBudget() (zk/xid_budget.h): each
// zoo_a* call takes one xid from the client's process-wide counter.
int Send(zhandle_t* zh, PendingRequest* pending);

// Removes every watch the client holds on `path` (data, exists and child) from the client's own tables only
// (zoo_remove_all_watches with local=1): nothing goes on the wire. Returns the ZOO_ERRORS code: ZOK, or
// ZNOWATCHER when the client held none. Never blocks: the local branch signals its completion before the
// call waits for it, and calls no watcher. Only this synchronous call is safe for a local removal: the
// asynchronous zoo_aremove_all_watches with local=1 takes its `data` for a sync_completion (3.8,
// aremove_watches) and would write through our context pointer.
int RemoveWatchesLocally(zhandle_t* zh, const std::string& path);

// Calls `done` once with `status` and the part of `reply` its type takes (empty values on error). An
// exception from `done` is logged and swallowed: none crosses into the C client.
void Deliver(const Completion& done, Status status, Reply reply) noexcept;

}  // namespace zkx::zk::internal
