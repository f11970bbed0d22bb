#pragma once
// ReaderPool: a ZnodeReader that spreads the plain reads of walks (GetChildren2, GetAcl) over several
// sessions, round robin among those in use and connected, and sends everything that involves watches to the
// primary.
//
// Why: a ZooKeeper server handles the requests of one session one after another (its NIO worker and commit
// processor keep a session's requests in order), and the C client gives each handle one IO and one
// completion thread. A walk on one session is therefore bound by one session's pipeline, not by the server:
// measured here on a 2-core machine, four sessions walked 100,000 and 1,000,000 znodes 1.6-1.8x faster than
// one. Each extra session is one more connection and session on the ensemble, so:
//  - Spread::kMeasured (the exporter): the pool starts on the primary alone. Once walks keep it busy,
//    zk::WalkSessionCount (fed by NoteBusyWalk) tries more sessions against fewer and settles on the faster;
//    the pool opens (Start()s) an extra session the first time a trial uses it. A poll of small subtrees
//    never opens one. A session once opened stays open (the count may go down again; reads then leave it
//    idle), and the owner stops it.
//  - Spread::kAll: every extra session that is connected is used; their owner starts them.
//
// Watches stay on the primary: watch events, kResync and SessionEpoch are the primary's, so nothing that
// watches depends on a walk session. (Watch mode spreads its watches over watch sessions of their own through
// zk::WatchShards, whose plain reads come back to this pool.) A read sent to an extra session that then fails
// with kUnavailable fails like any read on a lost connection (the walk is retried at its next refresh).
// Thread-safety: all methods are thread-safe. Lifetime: the sessions must outlive the pool.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "base/mutex.h"
#include "base/thread_annotations.h"
#include "zk/session.h"
#include "zk/walk_session_count.h"
#include "zk/znode_reader.h"

namespace zkx::zk {

class ReaderPool final : public ZnodeReader {
 public:
  enum class Spread { kAll, kMeasured };
  // `primary` must not be null; `extras` may be empty (the pool then only forwards to the primary). With
  // kMeasured, `measured.max` is set to 1 + extras.size().
  ReaderPool(Session* primary, const std::vector<Session*>& extras, Spread spread = Spread::kAll,
             WalkSessionCountOptions measured = {});

  void GetChildren2(const std::string& path, ChildrenCallback done) override;
  void GetAcl(const std::string& path, AclCallback done) override;
  // Data reads (value rules) go to the primary: a watch-mode re-read after a data watch fired there must not
  // be answered by a member that has not applied the change yet.
  void GetData(const std::string& path, std::function<void(Status, std::string, ZnodeStat)> done) override;
  void WatchChildren2(const std::string& path, ChildrenCallback done) override;
  void WatchExists(const std::string& path, StatCallback done) override;
  void RemoveWatches(const std::string& path, std::function<void(Status)> done) override;
  WatchSubscription SubscribeWatches(WatchListener listener) override;
  [[nodiscard]] uint64_t SessionEpoch() const override;
  // The primary's: watched reads go only there, so a walk may count on no more.
  [[nodiscard]] std::size_t InFlightCap() const override;

  // kMeasured: what a walk measured; may start the next extra session. kAll: nothing.
  void NoteBusyWalk(std::size_t replies, std::chrono::nanoseconds busy) override;
  [[nodiscard]] std::size_t WalkSessionsInUse() const override { return SessionsInUse(); }

  // Sessions connected now, the primary included.
  [[nodiscard]] std::size_t ConnectedSessions() const;
  // Sessions reads are spread over now, connected or not (kAll: all of them).
  [[nodiscard]] std::size_t SessionsInUse() const { return in_use_.load(std::memory_order_acquire); }
  [[nodiscard]] WalkSessionFigures Figures() const;

 private:
  // The next connected session in use, in round-robin order; the primary when none is connected.
  Session& Next();

  Session* const primary_;
  std::vector<Session*> all_;  // primary first
  const Spread spread_;
  std::atomic<std::size_t> in_use_;  // all_[0, in_use_) take reads
  std::atomic<uint64_t> next_{0};
  mutable Mutex mu_;
  WalkSessionCount count_ GUARDED_BY(mu_);
  std::size_t opened_ GUARDED_BY(mu_) = 1;  // all_[0, opened_) were started by their owner or by the pool
  std::chrono::steady_clock::time_point last_report_ GUARDED_BY(mu_){};  // the last NoteBusyWalk
};

}  // namespace zkx::zk
