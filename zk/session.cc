// zk::Session: one long-lived ZooKeeper session over the C client (see session.h).
//
// Threads and what they may do:
//  - the manager thread (ManagerLoop) alone creates handles and retires dead ones;
//  - the C client's completion thread runs Watcher and the request completions (session_requests.cc copies
//    the reply, OnReply updates state under mu_ briefly and calls the user's callback); never blocks;
//  - the C client's IO thread runs AuthDone and the log bridge: log only;
//  - closer threads run zookeeper_close for retired handles (it blocks up to ~4.5 s) and then fail the
//    requests the client dropped (ZOOKEEPER-3868);
//  - caller threads run the request methods (reads and writes alike go through Submit) and may block on
//    slot_cv_ for a slot (backpressure).
//
// Request ownership: every request's context is owned by its handle's registry (HandleRecord::requests) from
// registration until exactly one of: its reply (OnReply), a failed zoo_a* call, or the sweep after
// zookeeper_close. Whoever takes it out of the registry (under mu_) calls `done` once and frees it.
// What a request is on the wire (which zoo_a* call, how the reply is copied) lives in session_requests.cc.
#include "zk/session.h"

#include <algorithm>
#include <atomic>
#include <cassert>
#include <cerrno>
#include <condition_variable>
#include <cstdio>
#include <limits>
#include <mutex>
#include <system_error>
#include <thread>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include <spdlog/spdlog.h>
#include <zookeeper/zookeeper.h>
#include <zookeeper/zookeeper_version.h>

#include "base/mutex.h"
#include "base/owning_list.h"
#include "base/thread_annotations.h"
#include "base/znode_path.h"
#include "zk/client_log.h"
#include "zk/secure_connector.h"
#include "zk/session_requests.h"
#include "zk/xid_budget.h"
#include "zk/zk_errors.h"

namespace zkx::zk {
namespace {

// Our own warnings (init failures, callback exceptions): at most 1 a second after a burst of 5.
constexpr double kWarnPerSecond = 1.0;
constexpr double kWarnBurst = 5.0;

SessionState MapZooState(int state) {
  if (state == ZOO_CONNECTED_STATE) return SessionState::kConnected;
  if (state == ZOO_READONLY_STATE) return SessionState::kReadOnly;
  if (state == ZOO_EXPIRED_SESSION_STATE) return SessionState::kExpired;
  if (state == ZOO_AUTH_FAILED_STATE) return SessionState::kAuthFailed;
  // ZOO_CONNECTING_STATE, ZOO_ASSOCIATING_STATE, ZOO_NOTCONNECTED_STATE and anything unknown.
  return SessionState::kConnecting;
}

bool IsConnectedState(SessionState s) {
  return s == SessionState::kConnected || s == SessionState::kReadOnly;
}

// Watch registry bits per path.
constexpr uint8_t kDataWatch = 1;   // data or exists watch (zoo_aexists)
constexpr uint8_t kChildWatch = 2;  // child watch (zoo_aget_children2 with watch)

std::optional<WatchEventType> MapZooEvent(int type) {
  if (type == ZOO_CREATED_EVENT) return WatchEventType::kCreated;
  if (type == ZOO_DELETED_EVENT) return WatchEventType::kDeleted;
  if (type == ZOO_CHANGED_EVENT) return WatchEventType::kDataChanged;
  if (type == ZOO_CHILD_EVENT) return WatchEventType::kChildrenChanged;
  if (type == ZOO_NOTWATCHING_EVENT) return WatchEventType::kNotWatching;
  return std::nullopt;
}

std::once_flag g_client_debug_level_once;

// The chroot's length in a connect string "h1:p1,h2:p2/chroot" ("/" alone is no chroot). The client prefixes
// every watched path with it in SetWatches (zookeeper.c, prepend_string).
std::size_t ChrootLengthOf(const std::string& hosts) {
  const std::size_t slash = hosts.find('/');
  if (slash == std::string::npos) return 0;
  const std::size_t n = hosts.size() - slash;
  return n <= 1 ? 0 : n;
}

}  // namespace

using internal::Completion;
using internal::Deliver;
using internal::PendingRequest;
using internal::Reply;
using internal::Request;
using internal::RequestKind;

class Session::Impl final : private internal::ReplySink {
 public:
  Impl(SessionOptions options, std::unique_ptr<SecureConnector> connector)
      : options_(std::move(options)),
        chroot_length_(ChrootLengthOf(options_.hosts)),
        connector_(std::move(connector)),
        warn_limiter_(kWarnPerSecond, kWarnBurst) {}
  ~Impl() { Stop(); }
  Impl(const Impl&) = delete;
  Impl& operator=(const Impl&) = delete;

  void Start();
  void Stop();
  bool Connected() const {
    MutexLock lock(mu_);
    return ReadyLocked();
  }
  std::size_t InFlight() const {
    MutexLock lock(mu_);
    return in_flight_;
  }
  [[nodiscard]] std::size_t InFlightCap() const { return options_.max_in_flight; }
  SessionStats Stats() const {
    MutexLock lock(mu_);
    SessionStats s = tracker_.stats();
    s.watches = watch_count_;
    s.watched_path_bytes = watched_bytes_;
    s.watch_events_total = watch_events_total_;
    s.last_error = last_init_error_;  // edgecore
    s.orphan_watches_removed_total = orphan_watches_removed_total_;
    s.auth_accepted_total = auth_accepted_total_.load();
    s.requests_issued_total = ProcessXidBudget().Issued();
    s.xid_requests_remaining = ProcessXidBudget().Remaining();
    return s;
  }
  std::size_t chroot_length() const { return chroot_length_; }
  std::size_t WatchCount() const {
    MutexLock lock(mu_);
    return watch_count_;
  }
  // Every request, read or write: `done` must be the Completion alternative that `request.kind` pairs with
  // (session_requests.h). Kinds that create pick their ACL here.
  void Submit(Request request, Completion done) EXCLUDES(mu_);
  // ZnodeReader::RemoveWatches while the live handle is disconnected: removes the watches in the client only
  // and calls `done`. False (nothing done) when connected, closing, or without a live handle: the request
  // then goes to the server as usual (or fails as any other would).
  bool RemoveWatchesWhileDisconnected(const std::string& path, const std::function<void(Status)>& done)
      EXCLUDES(mu_);
  WatchSubscription Subscribe(WatchListener listener) EXCLUDES(listeners_mu_);

 private:
  class HandleRecord;
  // One outstanding request (sink = this Impl).
  struct RequestContext : PendingRequest {
    RequestContext(ReplySink* s, Request r, Completion d, HandleRecord* h = nullptr)
        : PendingRequest{s, std::move(r), std::move(d)}, handle(h) {}
    HandleRecord* handle = nullptr;  // outlives the context: freed only after zookeeper_close and the sweep
    RequestContext* list_prev = nullptr;  // its handle's registry (OwningList), under mu_
    RequestContext* list_next = nullptr;
  };
  // `this` as the sink of its requests (a private base: converted here, where it is accessible).
  internal::ReplySink* AsSink() { return this; }
  // One zhandle_t and the requests submitted on it. Its mutable state is guarded by Impl::mu_, which clang's
  // analysis cannot name from a nested class (GUARDED_BY(mu_) here would mean a member of the record itself).
  // So the state is private and its one way in, Locked(mu_), REQUIRES the mutex it is given: clang checks
  // that every caller holds mu_, and Locked asserts that it was given the owner's mu_ and no other.
  class HandleRecord {
   public:
    struct State {
      bool dead = false;  // no new submissions
      // Credentials added (or none to add). Requests wait for it: a request sent before the credentials would
      // run unauthenticated (zk/README.md, "credentials").
      bool auth_ready = false;
      int submitting = 0;                   // callers inside a zoo_a* call on this handle
      OwningList<RequestContext> requests;  // in flight: no allocation or hashing per request
    };
    HandleRecord(zhandle_t* handle, const Mutex& owner_mu) : zh(handle), owner_mu_(owner_mu) {}
    zhandle_t* const zh;  // closed exactly once (CloseAndSweep)
    State& Locked([[maybe_unused]] const Mutex& mu) REQUIRES(mu) {
      assert(&mu == &owner_mu_);
      return state_;
    }

   private:
    [[maybe_unused]] const Mutex& owner_mu_;  // read only by the assert in Locked
    State state_;
  };
  // A session event seen while the manager is inside zookeeper_init2 (the handle is not yet current_).
  struct EarlyEvent {
    zhandle_t* zh;
    SessionState state;
    std::chrono::milliseconds timeout;
    int64_t session_id;
  };
  struct Closer {
    std::thread thread;
    std::shared_ptr<std::atomic<bool>> finished;
  };

  // An exists-watch being removed after its znode was found gone (see OnReply).
  struct Removal {
    int outstanding = 0;     // removals in flight for the path
    bool clobbered = false;  // a later exists-watch on the path succeeded: the removal may take it too
  };

  // C callbacks (static: they receive Impl* as their context). Request completions: session_requests.cc.
  static void Watcher(zhandle_t* zh, int type, int state, const char* path, void* context);
  static void AuthDone(int rc, const void* data);

  void OnSessionEvent(zhandle_t* zh, int state) noexcept EXCLUDES(mu_);
  void OnZnodeEvent(zhandle_t* zh, int type, const char* path) noexcept EXCLUDES(mu_);
  // Calls the listeners, with listeners_mu_ held and never mu_.
  void Dispatch(const WatchEvent& event) noexcept EXCLUDES(mu_, listeners_mu_);
  // Watch registry (mu_ held): a watch was set / fired on `path`.
  void AddWatchLocked(const std::string& path, uint8_t bits) REQUIRES(mu_);
  // Bytes the client's SetWatches spends on one watch of `path`: 4 + the chroot + the path.
  // (zookeeper.c, prepend_string: "/" under a chroot is the chroot alone.)
  std::size_t WireBytes(const std::string& path) const {
    return 4 + chroot_length_ + (chroot_length_ > 0 && path == "/" ? 0 : path.size());
  }
  uint64_t SessionEpochNow() const EXCLUDES(mu_) {
    MutexLock lock(mu_);
    return tracker_.stats().session_epoch;
  }
  // Connected, the handle alive and its credentials added: requests may go.
  bool ReadyLocked() const REQUIRES(mu_) {
    if (!IsConnectedState(tracker_.stats().state) || !current_) return false;
    const HandleRecord::State& handle = current_->Locked(mu_);
    return !handle.dead && handle.auth_ready;
  }
  // The manager thread: adds the credentials to a connected current handle that lacks them. Releases mu_
  // around zoo_add_auth and the listeners' kResync, and holds it again on return.
  void AddAuthLocked() REQUIRES(mu_);
  // Sends an internal request `ctx` (already registered on `h`, its submitting count raised) outside mu_.
  void SendInternal(HandleRecord* h, RequestContext* ctx) EXCLUDES(mu_);
  void RemoveWatchLocked(const std::string& path, uint8_t bits) REQUIRES(mu_);
  void ClearWatchesLocked() REQUIRES(mu_);
  // Applies a state change to the tracker. Returns a log line to emit once mu_ is released (may be empty).
  std::string ApplyStateLocked(SessionState next, std::chrono::milliseconds timeout, int64_t session_id)
      REQUIRES(mu_);
  // ReplySink: a request's reply (the completion thread, or the thread closing the handle).
  void OnReply(PendingRequest* request, int rc, Status status, Reply reply) noexcept EXCLUDES(mu_) override;
  // Removes `ctx` from its handle's registry and releases its slot.
  std::unique_ptr<RequestContext> UnregisterLocked(RequestContext* ctx) REQUIRES(mu_);

  void ManagerLoop() EXCLUDES(mu_);
  // Creates a handle, retrying with init_retry_backoff, until it succeeds or Stop begins.
  void CreateHandle() EXCLUDES(mu_);
  // Marks `h` dead and waits (bounded by drain_timeout; cut short by Stop if `until_stop`) for its requests
  // to complete. Always waits for callers still inside a zoo_a* call. mu_ is released while it waits.
  void DrainLocked(HandleRecord& h, bool until_stop) REQUIRES(mu_);
  // zookeeper_close, then fails with kCancelled whatever the client did not complete. Any thread but the
  // client's own; never with mu_ held.
  void CloseAndSweep(std::unique_ptr<HandleRecord> h) EXCLUDES(mu_);
  void ReapClosers(bool all);
  void WarnLimited(const std::string& message);

  const SessionOptions options_;
  const std::size_t chroot_length_;
  const std::unique_ptr<SecureConnector> connector_;  // TLS / SASL / plain handle creation; outlives handles
  LogRateLimiter warn_limiter_;
  mutable Mutex mu_;
  std::condition_variable_any slot_cv_;  // in_flight_ fell, or stopping_
  std::condition_variable_any
      manager_cv_;  // replace_requested_, stopping_, a dead handle drained, callers_ fell
  // edgecore: why the latest zookeeper_init failed, "" after a success. Logged once per change (a name that
  // does not resolve yet is retried every init_retry_backoff, quietly).
  std::string last_init_error_ GUARDED_BY(mu_);
  uint64_t init_failures_ GUARDED_BY(mu_) = 0;  // consecutive failures behind last_init_error_
  SessionTracker tracker_ GUARDED_BY(mu_);
  std::unique_ptr<HandleRecord> current_ GUARDED_BY(mu_);    // the live handle, null while (re)creating
  bool creating_ GUARDED_BY(mu_) = false;                    // the manager is inside zookeeper_init2
  std::vector<EarlyEvent> early_events_ GUARDED_BY(mu_);     // events for a handle not yet current_
  std::unordered_set<zhandle_t*> retiring_ GUARDED_BY(mu_);  // dead handles not yet closed; events ignored
  bool replace_requested_ GUARDED_BY(mu_) = false;
  bool backoff_before_create_ GUARDED_BY(mu_) = false;  // the last handle failed authentication
  bool stopping_ GUARDED_BY(mu_) = false;
  std::size_t in_flight_ GUARDED_BY(mu_) = 0;  // requests holding a slot
  std::size_t callers_ GUARDED_BY(mu_) = 0;    // threads inside Submit
  // The exporter's registered watches on the current handle: path -> kDataWatch | kChildWatch.
  std::unordered_map<std::string, uint8_t> watched_ GUARDED_BY(mu_);
  std::size_t watch_count_ GUARDED_BY(mu_) = 0;
  std::size_t watched_bytes_ GUARDED_BY(mu_) = 0;
  uint64_t watch_events_total_ GUARDED_BY(mu_) = 0;
  uint64_t orphan_watches_removed_total_ GUARDED_BY(mu_) = 0;
  std::unordered_map<std::string, Removal> removing_ GUARDED_BY(mu_);
  bool resync_deferred_ GUARDED_BY(mu_) = false;  // a kResync waits for the credentials (AddAuthLocked)
  bool xid_exhausted_logged_ GUARDED_BY(mu_) = false;
  std::atomic<uint64_t> auth_accepted_total_{0};  // AuthDone (the IO thread) with ZOK

  // Listeners: called with listeners_mu_ held (never together with mu_), so unsubscribing waits for a call
  // in progress.
  Mutex listeners_mu_;
  std::vector<std::pair<uint64_t, WatchListener>> listeners_ GUARDED_BY(listeners_mu_);
  uint64_t next_listener_id_ GUARDED_BY(listeners_mu_) = 1;

  Mutex lifecycle_mu_;  // serialises Start and Stop
  bool started_ GUARDED_BY(lifecycle_mu_) = false;
  bool stopped_ GUARDED_BY(lifecycle_mu_) = false;
  std::thread manager_ GUARDED_BY(lifecycle_mu_);
  std::vector<Closer> closers_;  // the manager thread's; Stop's once the manager is joined
};

// ---- lifecycle ------------------------------------------------------------------------------------------

void Session::Impl::Start() {
  MutexLock lifecycle(lifecycle_mu_);
  if (started_ || stopped_) return;
  started_ = true;
  // The client's own level: WARN, never DEBUG (use-after-free on close at DEBUG). Process-wide, set once.
  std::call_once(g_client_debug_level_once, [] { zoo_set_debug_level(ZOO_LOG_LEVEL_WARN); });
  manager_ = std::thread([this] { ManagerLoop(); });
}

void Session::Impl::Stop() {
  MutexLock lifecycle(lifecycle_mu_);
  if (stopped_) return;
  std::unique_ptr<HandleRecord> last;
  {
    MutexLock lock(mu_);
    stopping_ = true;
    tracker_.OnState(SessionState::kClosed, std::chrono::system_clock::now());
    slot_cv_.notify_all();
    manager_cv_.notify_all();
  }
  if (manager_.joinable()) manager_.join();  // the manager retires nothing more; closers_ is ours now
  {
    MutexLock lock(mu_);
    last = std::move(current_);
    if (last) DrainLocked(*last, /*until_stop=*/false);
  }
  if (last) CloseAndSweep(std::move(last));
  ReapClosers(/*all=*/true);
  {
    // Callers woken from slot waits leave quickly (kCancelled); wait so that none touches us afterwards.
    MutexLock lock(mu_);
    manager_cv_.wait(mu_, [&]() REQUIRES(mu_) { return callers_ == 0; });
  }
  stopped_ = true;
  spdlog::info("zookeeper: session closed");
}

// ---- requests -------------------------------------------------------------------------------------------

void Session::Impl::Submit(Request request, Completion done) {
  if (!internal::HasCallback(done)) return;
  if (request.kind == RequestKind::kCreate) request.creator_acl = options_.credentials.has_value();
  auto ctx = std::make_unique<RequestContext>(AsSink(), std::move(request), std::move(done));
  const std::string& path = ctx->request.path;  // valid while `ctx` is ours

  UniqueMutexLock lock(mu_);
  ++callers_;
  // Ok once the request holds a slot on the live handle; else why it cannot go.
  Status admitted = [&]() REQUIRES(mu_) -> Status {
    if (stopping_) return Status::Cancelled("zookeeper session is closing");
    if (ProcessXidBudget().Exhausted()) {
      // ZOOKEEPER-3286: past this point a reply can be swallowed or parsed as a watch event. Send nothing
      // more; the exporter exits cleanly (ExporterApp) so that its supervisor starts a fresh process.
      if (!std::exchange(xid_exhausted_logged_, true)) {
        spdlog::error(
            "zookeeper: {} requests issued; the C client's process-wide xid is {} requests from "
            "ZOOKEEPER-3286's special values; refusing new requests, restart the process",
            ProcessXidBudget().Issued(), ProcessXidBudget().Remaining());
      }
      return Status::Unavailable(
          "zookeeper request budget of this process is exhausted (xid "
          "wrap-around); restart the exporter");
    }
    if (!ReadyLocked()) {
      const bool connected = IsConnectedState(tracker_.stats().state);
      return Status::Unavailable(
          connected ? "zookeeper session connected but its credentials are not added yet, for " + path
                    : "not connected to zookeeper (" + std::string(SessionStateName(tracker_.stats().state)) +
                          ") for " + path);
    }
    slot_cv_.wait(mu_, [&]() REQUIRES(mu_) { return stopping_ || in_flight_ < options_.max_in_flight; });
    if (stopping_) return Status::Cancelled("zookeeper session is closing");
    if (!ReadyLocked()) {
      // Woken for a slot but leaving without it: pass the wake-up on, or the next waiter sleeps on a free
      // slot until some unrelated reply arrives (a lost wake-up).
      if (in_flight_ < options_.max_in_flight) slot_cv_.notify_one();
      return Status::Unavailable("connection to zookeeper lost before sending a request for " + path);
    }
    return Status::Ok();
  }();
  if (!admitted.ok()) {
    // Leaves Submit without a request: fail `ctx` on this thread, outside mu_.
    --callers_;
    if (stopping_) manager_cv_.notify_all();
    lock.unlock();
    Deliver(ctx->done, std::move(admitted), {});
    return;
  }

  HandleRecord* h = current_.get();
  RequestContext* raw = ctx.get();
  raw->handle = h;
  h->Locked(mu_).requests.Add(std::move(ctx));
  ++in_flight_;
  ++h->Locked(mu_).submitting;  // keeps `h` open until the zoo_a* call returns
  lock.unlock();

  // From here `raw` belongs to the registry: if rc == ZOK its reply may already have freed it.
  const int rc = internal::Send(h->zh, raw);

  lock.lock();
  std::unique_ptr<RequestContext> failed;
  if (rc != ZOK) failed = UnregisterLocked(raw);  // the completion will never run
  --h->Locked(mu_).submitting;
  --callers_;
  if (h->Locked(mu_).dead || stopping_) manager_cv_.notify_all();
  lock.unlock();
  if (failed) Deliver(failed->done, ZkErrorToStatus(rc, failed->request.path), {});
}

bool Session::Impl::RemoveWatchesWhileDisconnected(const std::string& path,
                                                   const std::function<void(Status)>& done) {
  // A server drops a connection's watches when the connection goes, and a reconnecting client re-arms only
  // what its own tables list (SetWatches). So while no connection is up, removing the watches from the
  // client's tables removes them everywhere. Sent to the server instead, the removal would fail (not
  // connected) and the next SetWatches would re-arm every watch a fallback or a reload meant to drop. If
  // the connection comes up between the check and the call, the SetWatches may already hold the path: the
  // server then keeps that watch until it fires once, to no listener.
  HandleRecord* h = nullptr;
  {
    MutexLock lock(mu_);
    if (stopping_ || !current_ || current_->Locked(mu_).dead || IsConnectedState(tracker_.stats().state)) {
      return false;
    }
    h = current_.get();
    ++h->Locked(mu_).submitting;  // keeps `h` open until the call returns
    ++callers_;
  }
  int rc = internal::RemoveWatchesLocally(h->zh, path);
  {
    MutexLock lock(mu_);
    // The client's local removal answers ZOK for a path without watches too (it matches any watcher); the
    // registry says whether there was one, as the server's ZNOWATCHER would.
    if (rc == ZOK && !watched_.contains(path)) rc = ZNOWATCHER;
    if (rc == ZOK && current_.get() == h) RemoveWatchLocked(path, kDataWatch | kChildWatch);
    --h->Locked(mu_).submitting;
    --callers_;
    if (h->Locked(mu_).dead || stopping_) manager_cv_.notify_all();
  }
  // As after a removal on the server: whoever else relied on those watches re-reads.
  if (rc == ZOK) Dispatch(WatchEvent{WatchEventType::kNotWatching, path, SessionEpochNow()});
  Deliver(Completion(std::in_place_type<DeleteCallback>, done), ZkErrorToStatus(rc, path), {});
  return true;
}

std::unique_ptr<Session::Impl::RequestContext> Session::Impl::UnregisterLocked(RequestContext* ctx) {
  HandleRecord::State& h = ctx->handle->Locked(mu_);
  std::unique_ptr<RequestContext> owned = h.requests.Remove(ctx);
  if (!owned) return nullptr;  // taken out already: cannot happen, but never double-free
  --in_flight_;
  slot_cv_.notify_one();
  if (h.dead && h.requests.empty()) manager_cv_.notify_all();
  return owned;
}

void Session::Impl::OnReply(PendingRequest* request, int rc, Status status, Reply reply) noexcept {
  // The C client's completion thread (or the closing thread): unregister, call back. Never throw.
  auto* ctx = static_cast<RequestContext*>(request);  // every request this sink sends is a RequestContext
  try {
    std::unique_ptr<RequestContext> owned;
    RequestContext* removal = nullptr;  // an exists-watch to remove, registered on `removal_handle`
    HandleRecord* removal_handle = nullptr;
    bool lost_watch = false;  // a removal may have taken a watch set after it was sent
    {
      MutexLock lock(mu_);
      // A watched read that succeeded registered a watch; zoo_aexists also leaves an exists-watch on ZNONODE.
      // Only a live handle's watches count (a closing handle's requests complete with errors anyway).
      const bool live = current_ && current_.get() == ctx->handle && !ctx->handle->Locked(mu_).dead;
      const RequestKind kind = ctx->request.kind;
      const std::string& path = ctx->request.path;
      if (live && kind == RequestKind::kWatchChildren && rc == ZOK) AddWatchLocked(path, kChildWatch);
      if (live && kind == RequestKind::kWatchExists && rc == ZOK) {
        AddWatchLocked(path, kDataWatch);
        if (auto it = removing_.find(path); it != removing_.end()) it->second.clobbered = true;
      }
      // Only when the parent is watched (a mirror or walk re-lists it with a child watch, which reports a
      // re-creation): an exists-watch on a path whose parent nobody watches (a deleted subtree root) is how
      // its re-creation is seen, and stays. Any watch on the parent counts: its child watch may be re-arming.
      // Looked up only for this reply kind: every other reply (a walk's thousands) skips it under mu_.
      const bool missing = live && kind == RequestKind::kWatchExists && rc == ZNONODE;
      const bool parent_watched = missing && path != "/" && watched_.contains(ZnodeParent(path));
      if (missing && !parent_watched) AddWatchLocked(path, kDataWatch);
      if (missing && parent_watched) {
        // The client registered an exists-watch anyway (zk_hashtable.c, exists result checker). Only a
        // creation of this exact path would fire it, and a sequential child's name never comes back: left
        // alone it is re-sent in every SetWatches for the life of the session. Remove it on the server and
        // in the client (ZOO_REMOVE_WATCHES). A creation meanwhile reaches the mirror through the parent's
        // child watch.
        AddWatchLocked(path, kDataWatch);
        auto extra = std::make_unique<RequestContext>(
            AsSink(), Request(RequestKind::kRemoveDataWatches, path),
            Completion(std::in_place_type<DeleteCallback>, [](const Status&) {}), ctx->handle);
        removal = extra.get();
        removal_handle = ctx->handle;
        removal_handle->Locked(mu_).requests.Add(std::move(extra));
        ++in_flight_;  // over the cap by at most one removal per exists reply: never waits (completion
                       // thread)
        ++removal_handle->Locked(mu_).submitting;
        ++removing_[path].outstanding;
      }
      if (kind == RequestKind::kRemoveDataWatches) {
        auto it = removing_.find(path);
        const bool clobbered = it != removing_.end() && it->second.clobbered;
        if (it != removing_.end() && --it->second.outstanding <= 0) removing_.erase(it);
        if (live && rc == ZOK) {
          RemoveWatchLocked(path, kDataWatch);
          ++orphan_watches_removed_total_;
          lost_watch = clobbered;
        }
      }
      // ZnodeReader::RemoveWatches: the client and the server dropped every watch on the path.
      const bool removed_all = live && kind == RequestKind::kRemoveAllWatches && rc == ZOK;
      if (removed_all) RemoveWatchLocked(path, kDataWatch | kChildWatch);
      owned = UnregisterLocked(ctx);
      if (removed_all && owned) lost_watch = true;  // whoever else relied on those watches re-reads
    }
    if (removal != nullptr) SendInternal(removal_handle, removal);
    if (owned) {
      if (lost_watch) {
        // The znode came back and was watched again before the removal reached the server: tell the listeners
        // the path is no longer watched so that they re-read it.
        Dispatch(WatchEvent{WatchEventType::kNotWatching, owned->request.path, SessionEpochNow()});
      }
      Deliver(owned->done, std::move(status), std::move(reply));
    }
  } catch (...) {
    // Only allocation failures can get here; the sweep after close still fails the request.
  }
}

void Session::Impl::SendInternal(HandleRecord* h, RequestContext* ctx) {
  const int rc = internal::Send(h->zh, ctx);  // `ctx` may be freed by its reply from here on if rc == ZOK
  std::unique_ptr<RequestContext> failed;
  {
    MutexLock lock(mu_);
    if (rc != ZOK) {
      failed = UnregisterLocked(ctx);
      if (failed) {
        auto it = removing_.find(failed->request.path);
        if (it != removing_.end() && --it->second.outstanding <= 0) removing_.erase(it);
      }
    }
    --h->Locked(mu_).submitting;
    if (h->Locked(mu_).dead || stopping_) manager_cv_.notify_all();
  }
  // A failed removal leaves the watch counted in Stats(): the client still holds it.
  if (failed) spdlog::debug("zookeeper: removing a gone znode's exists-watch failed: {}", zerror(rc));
}

// ---- session events -------------------------------------------------------------------------------------

void Session::Impl::Watcher(zhandle_t* zh, int type, int state, const char* path, void* context) {
  // One watcher and one context (this Impl) for every handle and every watch: session events
  // drive the state machine; znode events go to the listeners.
  if (context == nullptr) return;
  if (type == ZOO_SESSION_EVENT) {
    static_cast<Impl*>(context)->OnSessionEvent(zh, state);
  } else {
    static_cast<Impl*>(context)->OnZnodeEvent(zh, type, path);
  }
}

void Session::Impl::OnZnodeEvent(zhandle_t* zh, int type, const char* path) noexcept {
  try {
    const std::optional<WatchEventType> mapped = MapZooEvent(type);
    if (!mapped || path == nullptr) return;
    WatchEvent event{*mapped, path, 0};
    {
      MutexLock lock(mu_);
      if (stopping_ || !current_ || current_->zh != zh || current_->Locked(mu_).dead) {
        return;  // a dead handle's events
      }
      ++watch_events_total_;
      switch (event.type) {
        case WatchEventType::kDataChanged:
        case WatchEventType::kCreated: RemoveWatchLocked(event.path, kDataWatch); break;
        case WatchEventType::kChildrenChanged: RemoveWatchLocked(event.path, kChildWatch); break;
        case WatchEventType::kDeleted:
        case WatchEventType::kNotWatching: RemoveWatchLocked(event.path, kDataWatch | kChildWatch); break;
        case WatchEventType::kResync: break;
      }
      event.epoch = tracker_.stats().session_epoch;
    }
    Dispatch(event);
  } catch (...) {
  }
}

void Session::Impl::Dispatch(const WatchEvent& event) noexcept {
  MutexLock lock(listeners_mu_);
  for (const auto& [id, listener] : listeners_) {
    try {
      listener(event);
    } catch (...) {
      spdlog::error("zookeeper: a watch listener threw; ignored");
    }
  }
}

void Session::Impl::AddWatchLocked(const std::string& path, uint8_t bits) {
  uint8_t& have = watched_[path];
  for (const uint8_t bit : {kDataWatch, kChildWatch}) {
    if ((bits & bit) != 0 && (have & bit) == 0) {
      have = static_cast<uint8_t>(have | bit);
      ++watch_count_;
      watched_bytes_ += WireBytes(path);
    }
  }
}

void Session::Impl::RemoveWatchLocked(const std::string& path, uint8_t bits) {
  auto it = watched_.find(path);
  if (it == watched_.end()) return;
  for (const uint8_t bit : {kDataWatch, kChildWatch}) {
    if ((bits & bit) != 0 && (it->second & bit) != 0) {
      it->second = static_cast<uint8_t>(it->second & ~bit);
      --watch_count_;
      watched_bytes_ -= WireBytes(path);
    }
  }
  if (it->second == 0) watched_.erase(it);
}

void Session::Impl::ClearWatchesLocked() {
  removing_.clear();  // the dead handle's removals: their replies no longer count
  watched_.clear();
  watch_count_ = 0;
  watched_bytes_ = 0;
}

WatchSubscription Session::Impl::Subscribe(WatchListener listener) {
  if (!listener) return {};
  uint64_t id = 0;
  {
    MutexLock lock(listeners_mu_);
    id = next_listener_id_++;
    listeners_.emplace_back(id, std::move(listener));
  }
  return WatchSubscription([this, id] {
    MutexLock lock(listeners_mu_);
    std::erase_if(listeners_, [id](const auto& entry) { return entry.first == id; });
  });
}

void Session::Impl::OnSessionEvent(zhandle_t* zh, int state) noexcept {
  try {
    const SessionState next = MapZooState(state);
    std::chrono::milliseconds timeout{0};
    int64_t session_id = 0;
    if (IsConnectedState(next)) {
      timeout = std::chrono::milliseconds(zoo_recv_timeout(zh));
      const clientid_t* id = zoo_client_id(zh);
      if (id != nullptr) session_id = id->client_id;
    }
    std::string log_line;
    uint64_t epoch_before = 0;
    uint64_t epoch_after = 0;
    {
      MutexLock lock(mu_);
      if (stopping_ || retiring_.count(zh) != 0) return;  // closed, or a dead handle's last words
      epoch_before = tracker_.stats().session_epoch;
      if (current_ && current_->zh == zh) {
        log_line = ApplyStateLocked(next, timeout, session_id);
      } else if (creating_) {
        early_events_.push_back({zh, next, timeout, session_id});
      }
      epoch_after = tracker_.stats().session_epoch;
      if (epoch_after != epoch_before && current_ && current_->zh == zh &&
          !current_->Locked(mu_).auth_ready) {
        // Connected without credentials yet: the manager adds them, then announces the resync.
        resync_deferred_ = true;
        epoch_after = epoch_before;
        manager_cv_.notify_all();
      }
    }
    if (epoch_after != epoch_before) Dispatch(WatchEvent{WatchEventType::kResync, {}, epoch_after});
    if (!log_line.empty()) {
      const bool bad = next == SessionState::kExpired || next == SessionState::kAuthFailed;
      if (bad) {
        spdlog::warn("{}", log_line);
      } else {
        spdlog::info("{}", log_line);
      }
    }
  } catch (...) {
  }
}

std::string Session::Impl::ApplyStateLocked(SessionState next, std::chrono::milliseconds timeout,
                                            int64_t session_id) {
  const SessionState prev = tracker_.stats().state;
  const SessionAction action = tracker_.OnState(next, std::chrono::system_clock::now());
  if (IsConnectedState(next)) tracker_.OnNegotiated(timeout, session_id);
  if (action == SessionAction::kReplaceHandle && current_ && !current_->Locked(mu_).dead) {
    current_->Locked(mu_).dead = true;  // new requests fail at once; the manager drains and replaces it
    ClearWatchesLocked();               // a dead session's watches are gone with it
    replace_requested_ = true;
    backoff_before_create_ = next == SessionState::kAuthFailed;  // same credentials: don't spin
    manager_cv_.notify_all();
  }
  if (prev == next) return {};
  std::string line = "zookeeper: session " + std::string(SessionStateName(prev)) + " -> " +
                     std::string(SessionStateName(next));
  if (IsConnectedState(next)) {
    char id[32];
    std::snprintf(id, sizeof id, "0x%llx", static_cast<unsigned long long>(session_id));
    line += " (session " + std::string(id) + ", timeout " + std::to_string(timeout.count()) + " ms)";
  }
  if (action == SessionAction::kReplaceHandle) line += "; replacing the handle";
  return line;
}

void Session::Impl::AuthDone(int rc, const void* data) {
  // The IO thread (or the thread closing the handle). Count and log only, never the credentials; no mu_.
  // The client calls this once per zoo_add_auth: with the server's answer, or with ZCONNECTIONLOSS /
  // ZCLOSING when the connection went first (free_completions); the credentials stay in the handle and are
  // re-sent on every reconnect, so only ZAUTHFAILED is a failure (the session then turns AUTH_FAILED).
  try {
    auto* self = static_cast<Impl*>(const_cast<void*>(data));
    if (rc == ZOK) {
      if (self != nullptr) self->auth_accepted_total_.fetch_add(1);
      spdlog::info("zookeeper: digest authentication accepted");
    } else if (rc == ZAUTHFAILED) {
      spdlog::warn("zookeeper: digest authentication failed: {} (rc={})", zerror(rc), rc);
    } else {
      spdlog::debug("zookeeper: no answer to digest authentication yet ({}); the client re-sends it",
                    zerror(rc));
    }
  } catch (...) {
  }
}

void Session::Impl::AddAuthLocked() {
  // zoo_add_auth refuses (ZINVALIDSTATE) while zoo_state() is 0, which the client sets after every failed
  // connect and keeps through its back-off. Added while connected, the credentials go out at once, before
  // any request (those wait for auth_ready), and the client re-sends them on every reconnect.
  HandleRecord* h = current_.get();
  zhandle_t* zh = h->zh;
  const std::string token = options_.credentials->AuthToken();
  // The caller's lock still owns mu_: every unlock below is matched by a lock before the function returns,
  // and nothing in between can throw.
  mu_.unlock();  // the manager owns the handle: it cannot be closed meanwhile
  const int rc =
      zoo_add_auth(zh, "digest", token.data(), static_cast<int>(token.size()), &Impl::AuthDone, this);
  mu_.lock();
  if (rc != ZOK) {
    WarnLimited("zookeeper: zoo_add_auth: " + std::string(zerror(rc)) + "; retrying when connected");
    manager_cv_.wait_for(mu_, std::chrono::milliseconds(100), [&]() REQUIRES(mu_) { return stopping_; });
    return;
  }
  if (current_.get() != h) return;
  h->Locked(mu_).auth_ready = true;
  if (std::exchange(resync_deferred_, false) && IsConnectedState(tracker_.stats().state)) {
    const WatchEvent resync{WatchEventType::kResync, {}, tracker_.stats().session_epoch};
    mu_.unlock();
    Dispatch(resync);  // noexcept
    mu_.lock();
  }
}

// ---- handle management (manager thread) -----------------------------------------------------------------

void Session::Impl::ManagerLoop() {
  UniqueMutexLock lock(mu_);
  while (!stopping_) {
    if (!current_) {
      lock.unlock();
      CreateHandle();
      lock.lock();
      continue;
    }
    auto auth_due = [&]() REQUIRES(mu_) {
      if (!current_ || !IsConnectedState(tracker_.stats().state)) return false;
      const HandleRecord::State& handle = current_->Locked(mu_);
      return !handle.auth_ready && !handle.dead;
    };
    auto woken = [&]() REQUIRES(mu_) { return stopping_ || replace_requested_ || auth_due(); };
    if (!connector_->uses_sasl()) {
      manager_cv_.wait(mu_, woken);
    } else if (!manager_cv_.wait_for(mu_, std::chrono::milliseconds(100), woken)) {
      // A failed SASL handshake leaves the handle AUTH_FAILED without a session event
      // (zk/secure_connector.h).
      if (current_ && !current_->Locked(mu_).dead && connector_->PollSaslFailure(current_->zh)) {
        const std::string line = ApplyStateLocked(SessionState::kAuthFailed, std::chrono::milliseconds(0), 0);
        lock.unlock();
        if (!line.empty()) spdlog::warn("{} (SASL authentication failed)", line);
        lock.lock();
      }
      continue;
    }
    if (stopping_) break;
    if (!replace_requested_) {
      AddAuthLocked();
      continue;
    }
    replace_requested_ = false;
    std::unique_ptr<HandleRecord> old = std::move(current_);  // new requests now fail with kUnavailable
    DrainLocked(*old, /*until_stop=*/true);
    lock.unlock();
    // zookeeper_close blocks for seconds: close in the background, keep the thread to join it in Stop.
    auto finished = std::make_shared<std::atomic<bool>>(false);
    closers_.push_back({std::thread([this, h = std::move(old), finished]() mutable {
                          CloseAndSweep(std::move(h));
                          finished->store(true);
                        }),
                        finished});
    ReapClosers(/*all=*/false);
    lock.lock();
    if (std::exchange(backoff_before_create_, false)) {
      manager_cv_.wait_for(mu_, options_.init_retry_backoff, [&]() REQUIRES(mu_) { return stopping_; });
    }
  }
}

void Session::Impl::CreateHandle() {
  const int timeout_ms = static_cast<int>(
      std::clamp<int64_t>(options_.session_timeout.count(), 1, std::numeric_limits<int>::max()));
  for (;;) {
    {
      MutexLock lock(mu_);
      if (stopping_) return;
      creating_ = true;
    }
    zhandle_t* zh = connector_->Init(options_.hosts, &Impl::Watcher, timeout_ms, this, &ZkClientLogCallback);
    const int init_errno = errno;
    if (zh != nullptr) {
      // No re-resolution while connected (a DNS failure there stops pings and expires the session). While
      // disconnected the client still resolves every host on each IO-loop iteration whatever this says, and
      // uses uninitialised fd/timeout values when none resolves (zk/README.md, "DNS"): IP addresses are
      // safer.
      if (const int rc = zoo_set_servers_resolution_delay(zh, -1); rc != ZOK) {
        WarnLimited("zookeeper: zoo_set_servers_resolution_delay failed: " + std::string(zerror(rc)));
      }
      // Credentials are added by the manager once the handle is connected (AddAuthLocked).
      UniqueMutexLock lock(mu_);
      creating_ = false;
      if (stopping_) {
        early_events_.clear();
        lock.unlock();
        zookeeper_close(zh);  // never current_: no requests, no one else can see it
        return;
      }
      std::string recovered;  // edgecore: the reason is gone; say so once (after the lock)
      if (!last_init_error_.empty()) {
        recovered = "zookeeper: handle created after " + std::to_string(init_failures_) +
                    " failed attempt(s) (" + last_init_error_ + ")";
        last_init_error_.clear();
        init_failures_ = 0;
      }
      current_ = std::make_unique<HandleRecord>(zh, mu_);
      current_->Locked(mu_).auth_ready = !options_.credentials.has_value();
      tracker_.OnHandleCreated(std::chrono::system_clock::now());
      std::vector<std::string> lines;
      const uint64_t epoch_before = tracker_.stats().session_epoch;
      for (const EarlyEvent& e : early_events_) {
        if (e.zh != zh) continue;
        std::string line = ApplyStateLocked(e.state, e.timeout, e.session_id);
        if (!line.empty()) lines.push_back(std::move(line));
      }
      early_events_.clear();
      const uint64_t handles = tracker_.stats().handles_created_total;
      uint64_t epoch_after = tracker_.stats().session_epoch;
      if (epoch_after != epoch_before && !current_->Locked(mu_).auth_ready) {
        resync_deferred_ = true;  // announced by AddAuthLocked
        epoch_after = epoch_before;
      }
      lock.unlock();
      if (!recovered.empty()) spdlog::info("{}", recovered);
      spdlog::info("zookeeper: handle #{} created for {}", handles, options_.hosts);
      for (const std::string& line : lines) spdlog::info("{}", line);
      if (epoch_after != epoch_before) Dispatch(WatchEvent{WatchEventType::kResync, {}, epoch_after});
      return;
    }
    UniqueMutexLock lock(mu_);
    creating_ = false;
    early_events_.clear();
    // edgecore: one line per change of reason, a count and the reason in Stats() (last_error) meanwhile.
    std::string reason =
        "zookeeper_init failed: " + std::error_code(init_errno, std::generic_category()).message();
    ++init_failures_;
    const bool changed = reason != last_init_error_;
    last_init_error_ = std::move(reason);
    if (changed) {
      const std::string line =
          "zookeeper: cannot create a handle for " + options_.hosts + ": " + last_init_error_ +
          " (a host name that does not resolve yet?); retrying every " +
          std::to_string(options_.init_retry_backoff.count()) + "ms, logged again when the reason changes";
      lock.unlock();
      spdlog::warn("{}", line);
      lock.lock();
    }
    manager_cv_.wait_for(mu_, options_.init_retry_backoff, [&]() REQUIRES(mu_) { return stopping_; });
  }
}

void Session::Impl::DrainLocked(HandleRecord& h, bool until_stop) {
  h.Locked(mu_).dead = true;
  retiring_.insert(h.zh);
  const auto deadline = std::chrono::steady_clock::now() + options_.drain_timeout;
  manager_cv_.wait_until(mu_, deadline, [&]() REQUIRES(mu_) {
    return h.Locked(mu_).requests.empty() || (until_stop && stopping_);
  });
  if (!h.Locked(mu_).requests.empty()) {
    spdlog::info("zookeeper: closing a handle with {} requests still in flight; they fail as cancelled",
                 h.Locked(mu_).requests.size());
  }
  manager_cv_.wait(
      mu_, [&]() REQUIRES(mu_) { return h.Locked(mu_).submitting == 0; });  // brief: zoo_aget_* never blocks
}

void Session::Impl::CloseAndSweep(std::unique_ptr<HandleRecord> h) {
  const int rc = zookeeper_close(h->zh);  // may run some completions on this thread, or drop them
  if (rc != ZOK) spdlog::debug("zookeeper: zookeeper_close returned {}", zerror(rc));
  std::vector<std::unique_ptr<RequestContext>> leftovers;
  {
    MutexLock lock(mu_);
    leftovers = h->Locked(mu_).requests.TakeAll();
    in_flight_ -= std::min(in_flight_, leftovers.size());
    retiring_.erase(h->zh);
    slot_cv_.notify_all();
  }
  for (auto& ctx : leftovers) {
    Deliver(ctx->done, Status::Cancelled("zookeeper handle closed before the reply for " + ctx->request.path),
            {});
  }
}

void Session::Impl::ReapClosers(bool all) {
  for (auto it = closers_.begin(); it != closers_.end();) {
    if (all || it->finished->load()) {
      if (it->thread.joinable()) it->thread.join();
      it = closers_.erase(it);
    } else {
      ++it;
    }
  }
}

void Session::Impl::WarnLimited(const std::string& message) {
  if (!warn_limiter_.Allow(std::chrono::steady_clock::now())) return;
  const unsigned long suppressed = warn_limiter_.TakeSuppressed();
  if (suppressed > 0) {
    spdlog::warn("{} (suppressed={})", message, suppressed);
  } else {
    spdlog::warn("{}", message);
  }
}

// ---- Session --------------------------------------------------------------------------------------------

Result<std::unique_ptr<Session>> Session::Create(SessionOptions options) {
  if (options.hosts.empty()) return Status::InvalidArgument("zookeeper hosts must not be empty");
  if (options.session_timeout.count() <= 0) {
    return Status::InvalidArgument("zookeeper session timeout must be positive");
  }
  if (options.max_in_flight == 0) return Status::InvalidArgument("zookeeper max_in_flight must be positive");
  if (options.init_retry_backoff.count() < 0 || options.drain_timeout.count() < 0) {
    return Status::InvalidArgument("zookeeper init_retry_backoff and drain_timeout must not be negative");
  }
  auto connector = SecureConnector::Create(options.security);
  if (!connector.ok()) return connector.status();
  return std::unique_ptr<Session>(new Session(std::move(options), std::move(connector).value()));
}

Session::Session(SessionOptions options, std::unique_ptr<SecureConnector> connector)
    : impl_(std::make_unique<Impl>(std::move(options), std::move(connector))) {}
Session::~Session() {
  Stop();
}
void Session::Start() {
  impl_->Start();
}
void Session::Stop() {
  impl_->Stop();
}
SessionStats Session::Stats() const {
  return impl_->Stats();
}
bool Session::Connected() const {
  return impl_->Connected();
}
std::size_t Session::ChrootLength() const {
  return impl_->chroot_length();
}
std::size_t Session::InFlight() const {
  return impl_->InFlight();
}
void Session::GetChildren2(const std::string& path, ChildrenCallback done) {
  impl_->Submit({RequestKind::kChildren, path},
                Completion(std::in_place_type<ChildrenCallback>, std::move(done)));
}
void Session::WatchChildren2(const std::string& path, ChildrenCallback done) {
  impl_->Submit({RequestKind::kWatchChildren, path},
                Completion(std::in_place_type<ChildrenCallback>, std::move(done)));
}
void Session::WatchExists(const std::string& path, StatCallback done) {
  impl_->Submit({RequestKind::kWatchExists, path},
                Completion(std::in_place_type<StatCallback>, std::move(done)));
}
void Session::RemoveWatches(const std::string& path, std::function<void(Status)> done) {
  if (impl_->RemoveWatchesWhileDisconnected(path, done)) return;
  impl_->Submit({RequestKind::kRemoveAllWatches, path},
                Completion(std::in_place_type<DeleteCallback>, std::move(done)));
}
void Session::GetAcl(const std::string& path, AclCallback done) {
  impl_->Submit({RequestKind::kGetAcl, path}, Completion(std::in_place_type<AclCallback>, std::move(done)));
}
void Session::Create(const std::string& path, std::string data, CreateMode mode, CreateCallback done) {
  Request r{RequestKind::kCreate, path};
  r.data = std::move(data);
  r.mode = mode;
  impl_->Submit(std::move(r), Completion(std::in_place_type<CreateCallback>, std::move(done)));
}
void Session::SetData(const std::string& path, std::string data, int32_t version, SetDataCallback done) {
  Request r{RequestKind::kSetData, path};
  r.data = std::move(data);
  r.version = version;
  impl_->Submit(std::move(r), Completion(std::in_place_type<StatCallback>, std::move(done)));
}
void Session::GetData(const std::string& path, GetDataCallback done) {
  impl_->Submit({RequestKind::kGetData, path},
                Completion(std::in_place_type<GetDataCallback>, std::move(done)));
}
void Session::Delete(const std::string& path, int32_t version, DeleteCallback done) {
  Request r{RequestKind::kDelete, path};
  r.version = version;
  impl_->Submit(std::move(r), Completion(std::in_place_type<DeleteCallback>, std::move(done)));
}
WatchSubscription Session::SubscribeWatches(WatchListener listener) {
  return impl_->Subscribe(std::move(listener));
}
uint64_t Session::SessionEpoch() const {
  return impl_->Stats().session_epoch;
}
std::size_t Session::InFlightCap() const {
  return impl_->InFlightCap();
}
std::size_t Session::WatchCount() const {
  return impl_->WatchCount();
}

std::string ClientVersion() {
  return ZOO_VERSION;
}

}  // namespace zkx::zk
