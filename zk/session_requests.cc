// One zk::Session request on the wire: zoo_a* calls, the C completions, copying replies (see
// session_requests.h).
#include "zk/session_requests.h"

#include <array>
#include <cstring>
#include <limits>
#include <utility>

#include <spdlog/spdlog.h>
#include <zookeeper/zookeeper.h>

#include "zk/xid_budget.h"
#include "zk/zk_errors.h"

namespace zkx::zk::internal {
namespace {

template <class... Fs>
struct Overloaded : Fs... {
  using Fs::operator()...;
};
template <class... Fs>
Overloaded(Fs...) -> Overloaded<Fs...>;

ZnodeStat CopyStat(const Stat& s) {
  ZnodeStat out;
  out.czxid = s.czxid;
  out.mzxid = s.mzxid;
  out.pzxid = s.pzxid;
  out.ctime_ms = s.ctime;
  out.mtime_ms = s.mtime;
  out.version = s.version;
  out.cversion = s.cversion;
  out.aversion = s.aversion;
  out.ephemeral_owner = s.ephemeralOwner;
  out.data_length = s.dataLength;
  out.num_children = s.numChildren;
  return out;
}

std::string CopyCString(const char* s) {
  return s != nullptr ? std::string(s) : std::string();
}

// The common end of every C completion (the client's completion thread, or the thread closing the handle):
// map rc, copy the reply with `fill` (only on success), hand both to the sink. Never throws.
template <typename Fill>
void Complete(int rc, const void* data, Fill&& fill) noexcept {
  auto* pending = static_cast<PendingRequest*>(const_cast<void*>(data));
  if (pending == nullptr || pending->sink == nullptr) return;
  try {
    Status status = ZkErrorToStatus(rc, pending->request.path);
    Reply reply;
    if (status.ok()) {
      try {
        fill(reply);
      } catch (...) {
        status = Status::Internal("out of memory copying the reply for " + pending->request.path);
        reply = {};
      }
    }
    pending->sink->OnReply(pending, rc, std::move(status), std::move(reply));
  } catch (...) {
    // Only allocation failures can get here; the sweep after close still fails the request.
  }
}

void ChildrenDone(int rc, const String_vector* strings, const Stat* stat, const void* data) {
  Complete(rc, data, [&](Reply& r) {
    if (stat != nullptr) r.stat = CopyStat(*stat);
    if (strings != nullptr && strings->count > 0) {
      r.children.reserve(static_cast<std::size_t>(strings->count));
      for (int32_t i = 0; i < strings->count; ++i) r.children.push_back(CopyCString(strings->data[i]));
    }
  });
}

void StatDone(int rc, const Stat* stat, const void* data) {
  Complete(rc, data, [&](Reply& r) {
    if (stat != nullptr) r.stat = CopyStat(*stat);
  });
}

void AclDone(int rc, ACL_vector* acl, Stat* stat, const void* data) {
  Complete(rc, data, [&](Reply& r) {
    if (stat != nullptr) r.stat = CopyStat(*stat);
    if (acl != nullptr && acl->count > 0 && acl->data != nullptr) {
      r.acl.reserve(static_cast<std::size_t>(acl->count));
      for (int32_t i = 0; i < acl->count; ++i) {
        const ACL& a = acl->data[i];
        r.acl.push_back(AclEntry{a.perms, CopyCString(a.id.scheme), CopyCString(a.id.id)});
      }
    }
  });
}

void StringDone(int rc, const char* value, const void* data) {
  Complete(rc, data, [&](Reply& r) { r.value = CopyCString(value); });
}

void DataDone(int rc, const char* value, int value_len, const Stat* stat, const void* data) {
  Complete(rc, data, [&](Reply& r) {
    if (stat != nullptr) r.stat = CopyStat(*stat);
    if (value != nullptr && value_len > 0) r.value.assign(value, static_cast<std::size_t>(value_len));
  });
}

void VoidDone(int rc, const void* data) {
  Complete(rc, data, [](Reply& /*r*/) {});
}

// zookeeper.h declares zoo_aremove_all_watches' completion as `void_completion_t*`, but the client stores
// that pointer's value as the completion function itself (zookeeper.c,
// create_completion_entry_deregistration: `c->c.void_result = (void_completion_t)dc`). So the function's
// address goes in, in the header's type.
void_completion_t* RemoveWatchesCompletion() {
  const void_completion_t fn = &VoidDone;
  void_completion_t* as_declared = nullptr;
  static_assert(sizeof fn == sizeof as_declared);
  std::memcpy(&as_declared, &fn, sizeof fn);
  return as_declared;
}

}  // namespace

bool HasCallback(const Completion& done) {
  return std::visit([](const auto& f) { return static_cast<bool>(f); }, done);
}

int Send(zhandle_t* zh, PendingRequest* pending) {
  // Once queued, the request may be answered and `pending` freed before the zoo_a* call returns. The data is
  // serialised before queueing and never read again; the path may still be read (debug logging), so it is
  // copied here, together with the scalars.
  // A walk's paths fit the stack buffer, which spares an allocation per request.
  const Request& r = pending->request;
  std::array<char, 256> short_copy;  // NOLINT(cppcoreguidelines-pro-type-member-init): written before read
  std::string long_copy;
  const char* path = nullptr;
  if (r.path.size() < short_copy.size()) {
    std::memcpy(short_copy.data(), r.path.c_str(), r.path.size() + 1);
    path = short_copy.data();
  } else {
    long_copy = r.path;
    path = long_copy.c_str();
  }
  if (r.data.size() > static_cast<std::size_t>(std::numeric_limits<int>::max())) return ZBADARGUMENTS;
  const int data_len = static_cast<int>(r.data.size());
  const int32_t version = r.version;
  ProcessXidBudget().Count(1);
  switch (r.kind) {
    case RequestKind::kChildren: return zoo_aget_children2(zh, path, 0, &ChildrenDone, pending);
    case RequestKind::kWatchChildren: return zoo_aget_children2(zh, path, 1, &ChildrenDone, pending);
    case RequestKind::kWatchExists: return zoo_aexists(zh, path, 1, &StatDone, pending);
    case RequestKind::kGetAcl: return zoo_aget_acl(zh, path, &AclDone, pending);
    case RequestKind::kCreate:
      // The C client's ACL vectors are non-const globals it only reads.
      return zoo_acreate(
          zh, path, r.data.data(), data_len, r.creator_acl ? &ZOO_CREATOR_ALL_ACL : &ZOO_OPEN_ACL_UNSAFE,
          r.mode == CreateMode::kEphemeral ? ZOO_EPHEMERAL : ZOO_PERSISTENT, &StringDone, pending);
    case RequestKind::kSetData:
      return zoo_aset(zh, path, r.data.data(), data_len, version, &StatDone, pending);
    case RequestKind::kGetData: return zoo_aget(zh, path, 0, &DataDone, pending);
    case RequestKind::kDelete: return zoo_adelete(zh, path, version, &VoidDone, pending);
    case RequestKind::kRemoveDataWatches:
      return zoo_aremove_all_watches(zh, path, ZWATCHTYPE_DATA, /*local=*/0, RemoveWatchesCompletion(),
                                     pending);
    case RequestKind::kRemoveAllWatches:
      return zoo_aremove_all_watches(zh, path, ZWATCHTYPE_ANY, /*local=*/0, RemoveWatchesCompletion(),
                                     pending);
  }
  return ZBADARGUMENTS;
}

int RemoveWatchesLocally(zhandle_t* zh, const std::string& path) {
  return zoo_remove_all_watches(zh, path.c_str(), ZWATCHTYPE_ANY, /*local=*/1);
}

void Deliver(const Completion& done, Status status, Reply reply) noexcept {
  try {
    std::visit(
        Overloaded{
            [&](const ChildrenCallback& f) {
              f(std::move(status), ChildrenResult{reply.stat, std::move(reply.children)});
            },
            [&](const StatCallback& f) { f(std::move(status), reply.stat); },
            [&](const AclCallback& f) { f(std::move(status), std::move(reply.acl), reply.stat); },
            [&](const CreateCallback& f) { f(std::move(status), std::move(reply.value)); },
            [&](const GetDataCallback& f) { f(std::move(status), std::move(reply.value), reply.stat); },
            [&](const DeleteCallback& f) { f(std::move(status)); },
        },
        done);
  } catch (...) {
    spdlog::error("zookeeper: a request callback threw; ignored");
  }
}

}  // namespace zkx::zk::internal
