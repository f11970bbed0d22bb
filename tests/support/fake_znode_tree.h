#pragma once
// FakeZnodeTree: the one in-memory ZooKeeper of the unit tests, a zk::ZnodeReader over a znode tree that the
// test edits (create, set, delete) and that answers reads, ACL and data requests, sets one-shot watches and
// fires them as a server would, fails chosen paths with chosen errors, and counts what it was asked.
//
// The tree: a new FakeZnodeTree holds "/" alone (session epoch 1). Every change takes the next zxid and
// keeps the Stat as ZooKeeper does: Create sets czxid = mzxid = pzxid and bumps the parent's cversion, pzxid
// and num_children; Set bumps version and mzxid; data_length is the data's size. Children are listed in
// name order. Misuse (creating a znode that exists, setting or deleting one that does not) throws
// std::logic_error, which gtest reports as a failure of the test.
//
// Watches (one-shot, as the server's): WatchChildren2 leaves a child watch on an existing znode (fires
// kChildrenChanged when a child is created or deleted, kDeleted when the znode goes); WatchExists leaves a
// data watch, also on a missing znode (fires kDataChanged on Set, kDeleted on Delete, kCreated on Create).
// A fired watch is gone. RemoveWatches drops both kinds on a path (kInternal "no watcher" when there were
// none) and, unlike the real session, delivers no kNotWatching. LoseWatches drops every watch silently (a
// session expiry); Reconnect then bumps the epoch and delivers kResync. Events carry the current epoch.
//
// Errors: FailWith(path, status) makes every request on `path` answer `status` (before looking at the tree;
// a failed request sets no watch) until Heal(path). A znode "deleted between its parent's listing and the
// read" is such a path failed with kNotFound. Deny(path) makes `path` unreadable as an ACL without READ for
// us does on a server: the reads that check the ACL (children, data, ACL) answer kPermissionDenied once the
// znode exists and set no watch, while WatchExists, which checks no ACL, answers and leaves its data watch.
//
// Answering (the constructor's Answer):
//   kInline   every request is answered on the caller's thread before the call returns.
//   kWorkers  three worker threads answer queued requests in random order after random delays of up to
//             0.3 ms (out-of-order, concurrent completions).
//   kHold     requests are queued and answered only by ReleaseHeld() or the destructor.
// A request is answered from the tree as it is when it is answered, not when it was made. in_flight() drops
// just before the callback runs, so a caller may issue its next request from the callback.
//
// Thread-safety: every method may be called from any thread. Edits deliver their watch events on the
// editing thread, after the tree's lock is released and under the listeners' lock, so that a
// WatchSubscription's Reset waits for a running listener. A listener must not subscribe, unsubscribe, or edit
// the tree (it may read). Callbacks run without any of the fake's locks held.
// Lifetime: the destructor stops the workers, then answers whatever is still queued or held on its own
// thread; callbacks must stay valid until then.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <limits>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "base/mutex.h"
#include "base/status.h"
#include "base/thread_annotations.h"
#include "zk/znode_reader.h"
#include "zk/znode_stat.h"

namespace zkx::test {

class FakeZnodeTree final : public zk::ZnodeReader {
 public:
  enum class Answer { kInline, kWorkers, kHold };
  // The requests it counts, one per ZnodeReader method.
  enum class Op { kGetChildren, kWatchChildren, kWatchExists, kGetAcl, kGetData, kRemoveWatches };

  explicit FakeZnodeTree(Answer answer = Answer::kInline);
  ~FakeZnodeTree() override;
  FakeZnodeTree(const FakeZnodeTree&) = delete;
  FakeZnodeTree& operator=(const FakeZnodeTree&) = delete;

  // --- Editing the tree (fires watches as described above).
  // Creates `path` with `data` and `acl` (by default world:anyone with every permission); missing ancestors
  // are created first, empty, as separate creates.
  void Create(const std::string& path, std::string data = {}, std::vector<zk::AclEntry> acl = {});
  // A new version of the data: version and mzxid bumped.
  void Set(const std::string& path, std::string data);
  // New data under the old Stat, as ZooKeeper rewrites its quota usage znodes (zookeeper_stats): no watch.
  void RewriteInPlace(const std::string& path, std::string data);
  // Deletes `path` and everything below it, deepest first, as a client would.
  void Delete(const std::string& path);

  // --- Failures, the session.
  void FailWith(const std::string& path, Status status);
  void Heal(const std::string& path);  // undoes FailWith: `path` is answered from the tree again
  void Deny(const std::string& path);  // `path` unreadable but for exists (above), until Allow(path)
  void Allow(const std::string& path);
  void LoseWatches();                    // a session expiry: every watch gone, no event
  void Reconnect();                      // epoch + 1, then kResync to every listener
  void SetSessionEpoch(uint64_t epoch);  // no event
  void SetInFlightCap(std::size_t cap) {
    in_flight_cap_.store(cap);
  }  // what InFlightCap() says (no backpressure)
  void SetWalkSessionsInUse(std::size_t sessions) { walk_sessions_.store(sessions); }  // 1 until set
  void Deliver(const zk::WatchEvent& event);  // to every listener as it is (e.g. paths outside the tree)

  // --- Looking at it.
  // Every znode at or below `root` and its Stat.
  [[nodiscard]] std::map<std::string, zk::ZnodeStat> Stats(const std::string& root = "/") const;
  [[nodiscard]] std::size_t watches() const;                        // data watches + child watches now set
  [[nodiscard]] bool HasDataWatch(const std::string& path) const;   // set now on `path`
  [[nodiscard]] bool HasChildWatch(const std::string& path) const;  // set now on `path`
  [[nodiscard]] std::size_t listeners() const;                      // active subscriptions
  [[nodiscard]] int requests() const { return requests_.load(); }   // every request so far
  [[nodiscard]] int requests(Op op) const;
  [[nodiscard]] std::vector<std::string> requested_paths() const;  // in the order asked, every Op
  [[nodiscard]] int in_flight() const { return in_flight_.load(); }
  [[nodiscard]] int max_in_flight() const { return max_in_flight_.load(); }
  [[nodiscard]] std::size_t held() const;  // queued, not yet answered (kHold: until ReleaseHeld)
  // kHold: answers the first `max` held requests now, on this thread, in the order they were made; returns
  // how many it answered. By default until none is held: requests made meanwhile (a reply's follow-ups, on
  // the caller's threads) are answered too, so a test that counts what one release answers passes a max.
  std::size_t ReleaseHeld(std::size_t max = std::numeric_limits<std::size_t>::max());

  // --- zk::ZnodeReader.
  void GetChildren2(const std::string& path, zk::ChildrenCallback done) override;
  void WatchChildren2(const std::string& path, zk::ChildrenCallback done) override;
  void WatchExists(const std::string& path, zk::StatCallback done) override;
  void GetAcl(const std::string& path, zk::AclCallback done) override;
  void GetData(const std::string& path,
               std::function<void(Status, std::string, zk::ZnodeStat)> done) override;
  void RemoveWatches(const std::string& path, std::function<void(Status)> done) override;
  zk::WatchSubscription SubscribeWatches(zk::WatchListener listener) override;
  [[nodiscard]] uint64_t SessionEpoch() const override;
  [[nodiscard]] std::size_t InFlightCap() const override { return in_flight_cap_.load(); }
  [[nodiscard]] std::size_t WalkSessionsInUse() const override { return walk_sessions_.load(); }
  void NoteBusyWalk(std::size_t replies, std::chrono::nanoseconds /*busy*/) override {
    busy_replies_ += replies;
  }
  // The replies walks reported through NoteBusyWalk, summed.
  [[nodiscard]] std::size_t busy_replies() const { return busy_replies_.load(); }

 private:
  struct Node {
    zk::ZnodeStat stat;
    std::string data;
    std::vector<zk::AclEntry> acl;
    std::set<std::string> children;  // names
  };

  // Counts the request, then answers it (`answer` runs it and calls the caller's callback) as `answer_` says.
  void Submit(Op op, const std::string& path, std::function<void()> answer);
  // GetChildren2 and WatchChildren2 (which leaves a child watch).
  void ListChildren(Op op, const std::string& path, zk::ChildrenCallback done);
  // What every answer does just before calling back.
  void Answered() { in_flight_.fetch_sub(1); }
  // Which watch a read leaves: none, a child watch (on an existing znode), a data watch (also on a missing
  // one).
  enum class Watch { kNone, kChild, kExists };
  // Copies the znode at `path` into `*copy` and leaves `watch`, or returns the injected failure (no watch)
  // or kNotFound.
  Status Read(const std::string& path, Watch watch, Node* copy) EXCLUDES(mu_);
  void CreateOne(const std::string& path, std::string data, std::vector<zk::AclEntry> acl);
  void DeleteOne(const std::string& path);
  void Fire(std::set<std::string>* watches, const std::string& path, zk::WatchEventType type,
            std::vector<zk::WatchEvent>* events) REQUIRES(mu_);
  void Dispatch(const std::vector<zk::WatchEvent>& events) EXCLUDES(mu_);
  void Work(unsigned seed);

  const Answer answer_;
  mutable Mutex mu_;
  std::map<std::string, Node> tree_ GUARDED_BY(mu_);
  std::map<std::string, Status> failures_ GUARDED_BY(mu_);
  std::set<std::string> denied_ GUARDED_BY(mu_);
  std::set<std::string> data_watches_ GUARDED_BY(mu_);
  std::set<std::string> child_watches_ GUARDED_BY(mu_);
  int64_t zxid_ GUARDED_BY(mu_) = 0;
  uint64_t epoch_ GUARDED_BY(mu_) = 1;
  std::map<Op, int> requests_by_op_ GUARDED_BY(mu_);
  std::vector<std::string> requested_paths_ GUARDED_BY(mu_);
  std::deque<std::function<void()>> queue_ GUARDED_BY(mu_);  // kWorkers and kHold: answers not yet run
  bool stop_ GUARDED_BY(mu_) = false;
  std::condition_variable_any cv_;
  std::vector<std::thread> workers_;

  std::atomic<int> requests_{0};
  std::atomic<int> in_flight_{0};
  std::atomic<int> max_in_flight_{0};
  std::atomic<std::size_t> in_flight_cap_{std::numeric_limits<std::size_t>::max()};
  std::atomic<std::size_t> walk_sessions_{1};
  std::atomic<std::size_t> busy_replies_{0};

  mutable Mutex listeners_mu_;  // held while a listener runs
  std::map<int, zk::WatchListener> listeners_ GUARDED_BY(listeners_mu_);
  int next_listener_ GUARDED_BY(listeners_mu_) = 1;
};

}  // namespace zkx::test
