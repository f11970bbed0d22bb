#include "tests/support/zk_test_client.h"

#include <algorithm>
#include <condition_variable>
#include <cstdlib>
#include <functional>
#include <map>
#include <mutex>
#include <thread>
#include <unordered_map>

#include <openssl/evp.h>
#include <zookeeper/zookeeper.h>

namespace zkx::test {
namespace {

using std::chrono::milliseconds;

const char* ZkErrorName(int rc) {
  switch (rc) {
    case ZOK: return "ZOK";
    case ZSYSTEMERROR: return "ZSYSTEMERROR";
    case ZRUNTIMEINCONSISTENCY: return "ZRUNTIMEINCONSISTENCY";
    case ZDATAINCONSISTENCY: return "ZDATAINCONSISTENCY";
    case ZCONNECTIONLOSS: return "ZCONNECTIONLOSS";
    case ZMARSHALLINGERROR: return "ZMARSHALLINGERROR";
    case ZUNIMPLEMENTED: return "ZUNIMPLEMENTED";
    case ZOPERATIONTIMEOUT: return "ZOPERATIONTIMEOUT";
    case ZBADARGUMENTS: return "ZBADARGUMENTS";
    case ZINVALIDSTATE: return "ZINVALIDSTATE";
    case ZAPIERROR: return "ZAPIERROR";
    case ZNONODE: return "ZNONODE";
    case ZNOAUTH: return "ZNOAUTH";
    case ZBADVERSION: return "ZBADVERSION";
    case ZNOCHILDRENFOREPHEMERALS: return "ZNOCHILDRENFOREPHEMERALS";
    case ZNODEEXISTS: return "ZNODEEXISTS";
    case ZNOTEMPTY: return "ZNOTEMPTY";
    case ZSESSIONEXPIRED: return "ZSESSIONEXPIRED";
    case ZINVALIDCALLBACK: return "ZINVALIDCALLBACK";
    case ZINVALIDACL: return "ZINVALIDACL";
    case ZAUTHFAILED: return "ZAUTHFAILED";
    case ZCLOSING: return "ZCLOSING";
    case ZNOTHING: return "ZNOTHING";
    case ZSESSIONMOVED: return "ZSESSIONMOVED";
    case ZNOTREADONLY: return "ZNOTREADONLY";
    default: return "ZERROR";
  }
}

// The process-wide C client log stream.
std::once_flag g_log_once;
void EnsureClientLog() {
  std::call_once(g_log_once, [] {
    FILE* stream = nullptr;
    if (const char* path = std::getenv("ZKX_ZK_CLIENT_LOG"); path != nullptr && *path != '\0') {
      stream = std::string(path) == "stderr" ? stderr : std::fopen(path, "ae");
    }
    if (stream == nullptr) stream = std::fopen("/dev/null", "we");  // lives for the process
    zoo_set_log_stream(stream);
    zoo_set_debug_level(ZOO_LOG_LEVEL_WARN);
  });
}

// ACL_vector view of an AclList; owns copies of the strings (the C struct wants char*).
class CAcl {
 public:
  explicit CAcl(const AclList& acl) : strings_(acl.size() * 2) {
    entries_.resize(acl.size());
    for (std::size_t i = 0; i < acl.size(); ++i) {
      strings_[2 * i] = acl[i].scheme;
      strings_[2 * i + 1] = acl[i].id;
      entries_[i].perms = acl[i].perms;
      entries_[i].id.scheme = strings_[2 * i].data();
      entries_[i].id.id = strings_[2 * i + 1].data();
    }
    vec_.count = static_cast<int32_t>(entries_.size());
    vec_.data = entries_.data();
  }
  ACL_vector* get() { return &vec_; }

 private:
  std::vector<std::string> strings_;
  std::vector<ACL> entries_;
  ACL_vector vec_{};
};

int CreateFlags(NodeKind kind) {
  return kind == NodeKind::kEphemeral ? ZOO_EPHEMERAL : ZOO_PERSISTENT;
}

int DataLen(const std::string& data) {
  return static_cast<int>(data.size());
}

std::size_t Depth(const std::string& path) {
  if (path == "/") return 0;
  return static_cast<std::size_t>(std::count(path.begin(), path.end(), '/'));
}

// Pipelined requests, one depth level at a time (CreateTree, DeleteRecursive). Shared by every request of a
// level; lives on the submitting thread's stack, which waits for in_flight == 0 before it goes away.
struct BulkState {
  std::mutex mu;
  std::condition_variable cv;
  std::size_t in_flight = 0;
  int ignored_rc = ZOK;  // an error that is not one (ZNODEEXISTS for creates, ZNONODE for deletes and lists)
  int first_error = ZOK;
  std::string first_error_path;
  std::vector<std::string> children;  // full paths found by list requests
};

struct BulkRequest {
  BulkState* state;
  std::string path;
};

// Completion side: record, wake the submitter. Runs on the completion thread; never blocks for long.
void BulkFinish(const void* data, int rc, const String_vector* names) {
  std::unique_ptr<BulkRequest> req(static_cast<BulkRequest*>(const_cast<void*>(data)));
  BulkState* st = req->state;
  std::lock_guard lock(st->mu);
  if (rc == ZOK && names != nullptr) {
    const std::string prefix = req->path == "/" ? "/" : req->path + "/";
    for (int32_t i = 0; i < names->count; ++i) st->children.push_back(prefix + names->data[i]);
  } else if (rc != ZOK && rc != st->ignored_rc && st->first_error == ZOK) {
    st->first_error = rc;
    st->first_error_path = req->path;
  }
  --st->in_flight;
  st->cv.notify_all();
}

void BulkStringDone(int rc, const char* /*value*/, const void* data) {
  BulkFinish(data, rc, nullptr);
}
void BulkVoidDone(int rc, const void* data) {
  BulkFinish(data, rc, nullptr);
}
void BulkStringsDone(int rc, const String_vector* names, const void* data) {
  BulkFinish(data, rc, names);
}

// Waits for a free slot (at most `max_in_flight` outstanding) and takes it. False if an error was recorded:
// stop submitting.
bool AcquireSlot(BulkState& state, std::size_t max_in_flight) {
  std::unique_lock lock(state.mu);
  state.cv.wait(lock, [&] { return state.in_flight < max_in_flight; });
  if (state.first_error != ZOK) return false;
  ++state.in_flight;
  return true;
}

// A zoo_a* call returned `rc` != ZOK: its completion will never run, so give the slot back here.
void SubmitFailed(BulkState& state, int rc, const std::string& path) {
  std::lock_guard lock(state.mu);
  --state.in_flight;
  if (state.first_error == ZOK) {
    state.first_error = rc;
    state.first_error_path = path;
  }
}

// Waits until every submitted request has completed; returns the first error.
int WaitIdle(BulkState& state) {
  std::unique_lock lock(state.mu);
  state.cv.wait(lock, [&] { return state.in_flight == 0; });
  return state.first_error;
}

// Submits `submit(path, ctx)` for every path with at most `max_in_flight` outstanding, then waits for all of
// them. `submit` returns the zoo_a* call's rc.
template <typename Submit>
int RunLevel(BulkState& state, const std::vector<std::string>& paths, std::size_t max_in_flight,
             const Submit& submit) {
  for (const std::string& path : paths) {
    if (!AcquireSlot(state, max_in_flight)) break;
    auto req = std::make_unique<BulkRequest>(BulkRequest{&state, path});
    const int rc = submit(path, static_cast<const void*>(req.get()));
    if (rc == ZOK) {
      req.release();  // owned by the completion now
    } else {
      SubmitFailed(state, rc, path);
    }
  }
  return WaitIdle(state);
}

// One zoo_amulti of creates. `results` must live until the completion runs (the client writes into it).
struct MultiRequest {
  BulkState* state;
  std::vector<std::string> paths;
  std::vector<zoo_op_result_t> results;
};

// A failed multi is all-or-nothing: its paths go to `state.children` to be created one by one (so that
// ZNODEEXISTS for some of them does not matter).
void MultiDone(int rc, const void* data) {
  std::unique_ptr<MultiRequest> req(static_cast<MultiRequest*>(const_cast<void*>(data)));
  BulkState* st = req->state;
  std::lock_guard lock(st->mu);
  if (rc != ZOK) {
    for (std::string& path : req->paths) st->children.push_back(std::move(path));
  }
  --st->in_flight;
  st->cv.notify_all();
}

constexpr std::size_t kMultiOps = 100;           // ops per zoo_amulti
constexpr std::size_t kMultiBytes = 256 * 1024;  // path + data bytes per zoo_amulti (jute.maxbuffer is 1 MB)

// Sends `paths` in zoo_amulti batches (at most `max_multis` outstanding); `init(op, path)` fills one op and
// returns the bytes it carries. Waits for every batch. Returns the first submit error; the paths of batches
// the server refused are left in `state.children` for the caller to retry one by one.
template <typename InitOp>
int RunMulti(zhandle_t* zh, BulkState& state, const std::vector<std::string>& paths, std::size_t max_multis,
             const InitOp& init) {
  std::size_t next = 0;
  while (next < paths.size()) {
    if (!AcquireSlot(state, max_multis)) break;
    auto req = std::make_unique<MultiRequest>(MultiRequest{&state, {}, {}});
    std::vector<zoo_op_t> ops;
    std::size_t bytes = 0;
    while (next < paths.size() && ops.size() < kMultiOps && (ops.empty() || bytes < kMultiBytes)) {
      const std::string& path = paths[next++];  // `paths` outlives the zoo_amulti call: ops point into it
      req->paths.push_back(path);
      ops.emplace_back();
      bytes += init(&ops.back(), path);
    }
    req->results.resize(ops.size());
    // zoo_amulti serialises the ops before it returns; `results` is written at completion.
    const int rc =
        zoo_amulti(zh, static_cast<int>(ops.size()), ops.data(), req->results.data(), MultiDone, req.get());
    if (rc == ZOK) {
      req.release();
    } else {
      SubmitFailed(state, rc, req->paths.front());
    }
  }
  return WaitIdle(state);
}

struct AuthWait {
  std::mutex mu;
  std::condition_variable cv;
  bool done = false;
  int rc = ZOK;
};

void AuthDone(int rc, const void* data) {
  auto* w = static_cast<AuthWait*>(const_cast<void*>(data));
  std::lock_guard lock(w->mu);
  w->done = true;
  w->rc = rc;
  w->cv.notify_all();
}

}  // namespace

struct ZkTestClient::Watch {
  std::mutex mu;
  std::condition_variable cv;
  int state = 0;
};

namespace {
void GlobalWatcher(zhandle_t* /*zh*/, int type, int state, const char* /*path*/, void* ctx) {
  if (type != ZOO_SESSION_EVENT || ctx == nullptr) return;
  auto* w = static_cast<ZkTestClient::Watch*>(ctx);
  std::lock_guard lock(w->mu);
  w->state = state;
  w->cv.notify_all();
}
}  // namespace

AclList OpenAcl() {
  return {AclEntry{ZOO_PERM_ALL, "world", "anyone"}};
}
AclList ReadOnlyWorldAcl() {
  return {AclEntry{ZOO_PERM_READ, "world", "anyone"}};
}
AclList CreatorAllAcl() {
  return {AclEntry{ZOO_PERM_ALL, "auth", ""}};
}
AclList DigestAcl(const std::string& user, const std::string& password, int32_t perms) {
  return {AclEntry{perms, "digest", DigestId(user, password)}};
}

std::string DigestId(const std::string& user, const std::string& password) {
  const std::string token = user + ":" + password;
  unsigned char sha[EVP_MAX_MD_SIZE];
  unsigned int sha_len = 0;
  EVP_Digest(token.data(), token.size(), sha, &sha_len, EVP_sha1(), nullptr);
  std::string b64(4 * ((sha_len + 2) / 3) + 1, '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(b64.data()), sha, static_cast<int>(sha_len));
  b64.resize(static_cast<std::size_t>(n));
  return user + ":" + b64;
}

void SetZkClientLogStream(FILE* stream) {
  EnsureClientLog();
  if (stream == nullptr) stream = std::fopen("/dev/null", "we");
  zoo_set_log_stream(stream);
}

Status ZkStatus(int rc, const std::string& what) {
  if (rc == ZOK) return Status::Ok();
  std::string msg = std::string(ZkErrorName(rc)) + " (" + zerror(rc) + ") " + what;
  switch (rc) {
    case ZNONODE: return Status::NotFound(std::move(msg));
    case ZNOAUTH: return Status::PermissionDenied(std::move(msg));
    case ZAUTHFAILED: return Status::Unauthenticated(std::move(msg));
    case ZCONNECTIONLOSS:
    case ZOPERATIONTIMEOUT:
    case ZSESSIONEXPIRED:
    case ZINVALIDSTATE:
    case ZSESSIONMOVED:
    case ZCLOSING: return Status::Unavailable(std::move(msg));
    case ZNODEEXISTS:
    case ZNOTEMPTY:
    case ZBADVERSION:
    case ZBADARGUMENTS:
    case ZINVALIDACL:
    case ZNOCHILDRENFOREPHEMERALS: return Status::InvalidArgument(std::move(msg));
    default: return Status::Internal(std::move(msg));
  }
}

ZkTestClient::ZkTestClient() : watch_(std::make_shared<Watch>()) {}

ZkTestClient::~ZkTestClient() {
  Close();
}

Status ZkTestClient::Connect(const std::string& hosts, milliseconds timeout, milliseconds session_timeout) {
  Close();
  EnsureClientLog();
  {
    std::lock_guard lock(watch_->mu);
    watch_->state = 0;
  }
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (zh_ == nullptr) {
    zh_ = zookeeper_init(hosts.c_str(), GlobalWatcher, static_cast<int>(session_timeout.count()), nullptr,
                         watch_.get(), 0);
    if (zh_ != nullptr) break;
    if (std::chrono::steady_clock::now() >= deadline) {
      return Status::Unavailable("zookeeper_init(" + hosts + ") failed");
    }
    std::this_thread::sleep_for(milliseconds(100));
  }
  zoo_set_servers_resolution_delay(zh_, -1);
  std::unique_lock lock(watch_->mu);
  bool ok = watch_->cv.wait_until(lock, deadline, [&] {
    return watch_->state == ZOO_CONNECTED_STATE || watch_->state == ZOO_AUTH_FAILED_STATE ||
           watch_->state == ZOO_EXPIRED_SESSION_STATE;
  });
  int state = watch_->state;
  lock.unlock();
  if (ok && state == ZOO_CONNECTED_STATE) return Status::Ok();
  Close();
  if (!ok)
    return Status::DeadlineExceeded("not connected to " + hosts + " within " +
                                    std::to_string(timeout.count()) + " ms");
  return Status::Unavailable("session to " + hosts + " failed (state " + std::to_string(state) + ")");
}

void ZkTestClient::Close() {
  if (zh_ == nullptr) return;
  zookeeper_close(zh_);
  zh_ = nullptr;
}

bool ZkTestClient::connected() const {
  return zh_ != nullptr && zoo_state(zh_) == ZOO_CONNECTED_STATE;
}

bool ZkTestClient::session_dead() const {
  if (zh_ == nullptr) return false;
  const int state = zoo_state(zh_);
  return state == ZOO_EXPIRED_SESSION_STATE || state == ZOO_AUTH_FAILED_STATE;
}

int64_t ZkTestClient::session_id() const {
  if (zh_ == nullptr) return 0;
  const clientid_t* id = zoo_client_id(zh_);
  return id == nullptr ? 0 : id->client_id;
}

milliseconds ZkTestClient::negotiated_timeout() const {
  return zh_ == nullptr ? milliseconds(0) : milliseconds(zoo_recv_timeout(zh_));
}

Status ZkTestClient::AddDigestAuth(const std::string& user, const std::string& password) {
  if (zh_ == nullptr) return Status::Unavailable("not connected");
  const std::string token = user + ":" + password;
  AuthWait wait;
  int rc = zoo_add_auth(zh_, "digest", token.data(), static_cast<int>(token.size()), AuthDone, &wait);
  if (rc != ZOK) return ZkStatus(rc, "add_auth digest");
  std::unique_lock lock(wait.mu);
  // The completion always comes (success, failure, or ZCLOSING); bound the wait anyway, then keep waiting
  // for it so that `wait` outlives the callback.
  if (!wait.cv.wait_for(lock, std::chrono::seconds(30), [&] { return wait.done; })) {
    wait.cv.wait(lock, [&] { return wait.done; });
  }
  return ZkStatus(wait.rc, "add_auth digest");
}

Status ZkTestClient::RetryingConnectionLoss(const std::function<Status()>& op) {
  const auto deadline = std::chrono::steady_clock::now() + kWriteRetryWindow;
  Status s = op();
  while (s.code() == StatusCode::kUnavailable && zh_ != nullptr && !session_dead() &&
         std::chrono::steady_clock::now() < deadline) {
    // Not before the handle is connected again: the 3.8.0 C client mishandles a multi sent while it is not
    // (a bad free, seen under ASan).
    do {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    } while (!connected() && !session_dead() && std::chrono::steady_clock::now() < deadline);
    if (!connected()) break;
    s = op();
  }
  return s;
}

Status ZkTestClient::CreateRecursive(const std::string& path, const std::string& data, NodeKind kind,
                                     const AclList& acl, bool fail_if_exists) {
  // An existing `path` is an error only if `fail_if_exists`: then a create applied before its reply was lost
  // would read as one, so that form is not retried.
  if (fail_if_exists) return CreateRecursiveOnce(path, data, kind, acl, true);
  return RetryingConnectionLoss([&] { return CreateRecursiveOnce(path, data, kind, acl, false); });
}

Status ZkTestClient::DeleteRecursive(const std::string& path) {
  return RetryingConnectionLoss([&] { return DeleteRecursiveOnce(path); });
}

Status ZkTestClient::CreateTree(const std::vector<std::pair<std::string, std::string>>& path_data,
                                std::size_t max_in_flight, NodeKind kind) {
  return RetryingConnectionLoss([&] { return CreateTreeOnce(path_data, max_in_flight, kind); });
}

Status ZkTestClient::Create(const std::string& path, const std::string& data, NodeKind kind,
                            const AclList& acl) {
  if (zh_ == nullptr) return Status::Unavailable("not connected");
  CAcl c_acl(acl);
  int rc =
      zoo_create(zh_, path.c_str(), data.data(), DataLen(data), c_acl.get(), CreateFlags(kind), nullptr, 0);
  return ZkStatus(rc, "create " + path);
}

Status ZkTestClient::CreateRecursiveOnce(const std::string& path, const std::string& data, NodeKind kind,
                                         const AclList& acl, bool fail_if_exists) {
  if (zh_ == nullptr) return Status::Unavailable("not connected");
  if (path.empty() || path[0] != '/') return Status::InvalidArgument("bad path " + path);
  CAcl open(OpenAcl());
  for (std::size_t pos = path.find('/', 1); pos != std::string::npos; pos = path.find('/', pos + 1)) {
    const std::string ancestor = path.substr(0, pos);
    int rc = zoo_create(zh_, ancestor.c_str(), nullptr, -1, open.get(), ZOO_PERSISTENT, nullptr, 0);
    if (rc != ZOK && rc != ZNODEEXISTS) return ZkStatus(rc, "create " + ancestor);
  }
  Status st = Create(path, data, kind, acl);
  if (!fail_if_exists && !st.ok() && st.message().starts_with("ZNODEEXISTS")) return Status::Ok();
  return st;
}

Status ZkTestClient::Set(const std::string& path, const std::string& data) {
  return RetryingConnectionLoss([&] {
    if (zh_ == nullptr) return Status::Unavailable("not connected");
    return ZkStatus(zoo_set(zh_, path.c_str(), data.data(), DataLen(data), -1), "set " + path);
  });
}

Result<std::string> ZkTestClient::Get(const std::string& path) {
  if (zh_ == nullptr) return Status::Unavailable("not connected");
  std::string buf(4096, '\0');
  while (true) {
    int len = static_cast<int>(buf.size());
    Stat stat{};
    int rc = zoo_get(zh_, path.c_str(), 0, buf.data(), &len, &stat);
    if (rc != ZOK) return ZkStatus(rc, "get " + path);
    if (stat.dataLength > static_cast<int>(buf.size())) {  // truncated: read again with room for all of it
      buf.assign(static_cast<std::size_t>(stat.dataLength), '\0');
      continue;
    }
    buf.resize(len < 0 ? 0 : static_cast<std::size_t>(len));
    return buf;
  }
}

Status ZkTestClient::Delete(const std::string& path) {
  if (zh_ == nullptr) return Status::Unavailable("not connected");
  return ZkStatus(zoo_delete(zh_, path.c_str(), -1), "delete " + path);
}

Status ZkTestClient::DeleteRecursiveOnce(const std::string& path) {
  if (zh_ == nullptr) return Status::Unavailable("not connected");
  constexpr std::size_t kMaxInFlight = 1000;
  // List the subtree a level at a time (pipelined), then delete the deepest level first.
  std::vector<std::vector<std::string>> levels{{path}};
  while (!levels.back().empty()) {
    BulkState state;
    state.ignored_rc = ZNONODE;
    const int rc = RunLevel(state, levels.back(), kMaxInFlight, [&](const std::string& p, const void* ctx) {
      return zoo_aget_children(zh_, p.c_str(), 0, BulkStringsDone, ctx);
    });
    if (rc != ZOK) return ZkStatus(rc, "get_children " + state.first_error_path + " (DeleteRecursive)");
    if (levels.size() == 1 && path == "/") {
      std::erase(state.children, std::string("/zookeeper"));
    }
    levels.push_back(std::move(state.children));
  }
  for (auto level = levels.rbegin(); level != levels.rend(); ++level) {
    if (level->size() == 1 && level->front() == "/") continue;
    BulkState batched;  // batches first (one transaction each), then one by one for refused batches
    const int batch_rc =
        RunMulti(zh_, batched, *level, kMaxInFlight / kMultiOps, [](zoo_op_t* op, const std::string& p) {
          zoo_delete_op_init(op, p.c_str(), -1);
          return p.size();
        });
    if (batch_rc != ZOK)
      return ZkStatus(batch_rc, "delete " + batched.first_error_path + " (DeleteRecursive)");
    BulkState single;
    single.ignored_rc = ZNONODE;
    const int rc =
        RunLevel(single, batched.children, kMaxInFlight, [&](const std::string& p, const void* ctx) {
          return zoo_adelete(zh_, p.c_str(), -1, BulkVoidDone, ctx);
        });
    if (rc != ZOK) return ZkStatus(rc, "delete " + single.first_error_path + " (DeleteRecursive)");
  }
  return Status::Ok();
}

Result<bool> ZkTestClient::Exists(const std::string& path) {
  if (zh_ == nullptr) return Status::Unavailable("not connected");
  Stat stat{};
  int rc = zoo_exists(zh_, path.c_str(), 0, &stat);
  if (rc == ZOK) return true;
  if (rc == ZNONODE) return false;
  return ZkStatus(rc, "exists " + path);
}

Result<std::vector<std::string>> ZkTestClient::GetChildren(const std::string& path) {
  if (zh_ == nullptr) return Status::Unavailable("not connected");
  String_vector names{};
  int rc = zoo_get_children(zh_, path.c_str(), 0, &names);
  if (rc != ZOK) return ZkStatus(rc, "get_children " + path);
  std::vector<std::string> out;
  out.reserve(static_cast<std::size_t>(names.count));
  for (int32_t i = 0; i < names.count; ++i) out.emplace_back(names.data[i]);
  deallocate_String_vector(&names);
  std::sort(out.begin(), out.end());
  return out;
}

Status ZkTestClient::CreateTreeOnce(const std::vector<std::pair<std::string, std::string>>& path_data,
                                    std::size_t max_in_flight, NodeKind kind) {
  if (zh_ == nullptr) return Status::Unavailable("not connected");
  if (max_in_flight == 0) max_in_flight = 1;
  std::map<std::size_t, std::vector<std::string>> by_depth;
  std::unordered_map<std::string, const std::string*> data;
  for (const auto& [path, value] : path_data) {
    if (path.empty() || path[0] != '/') return Status::InvalidArgument("bad path " + path);
    if (path == "/") continue;
    if (data.emplace(path, &value).second) by_depth[Depth(path)].push_back(path);
  }
  CAcl open(OpenAcl());
  const int flags = CreateFlags(kind);
  const std::size_t max_multis = std::max<std::size_t>(1, max_in_flight / kMultiOps);
  for (const auto& [depth, paths] : by_depth) {
    // A level at a time: the next level's parents must exist. First in batches (one multi = one transaction,
    // so the ensemble's per-request cost is paid once per batch) ...
    BulkState batched;
    const int batch_rc = RunMulti(zh_, batched, paths, max_multis, [&](zoo_op_t* op, const std::string& p) {
      const std::string& value = *data.at(p);
      zoo_create_op_init(op, p.c_str(), value.data(), DataLen(value), open.get(), flags, nullptr, 0);
      return p.size() + value.size();
    });
    if (batch_rc != ZOK) return ZkStatus(batch_rc, "create " + batched.first_error_path + " (CreateTree)");
    // ... then one by one for the batches that failed (some of their znodes existed already, or worse).
    BulkState single;
    single.ignored_rc = ZNODEEXISTS;
    const int rc =
        RunLevel(single, batched.children, max_in_flight, [&](const std::string& p, const void* ctx) {
          const std::string& value = *data.at(p);
          return zoo_acreate(zh_, p.c_str(), value.data(), DataLen(value), open.get(), flags, BulkStringDone,
                             ctx);
        });
    if (rc != ZOK) return ZkStatus(rc, "create " + single.first_error_path + " (CreateTree)");
  }
  return Status::Ok();
}

}  // namespace zkx::test
