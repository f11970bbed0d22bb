#pragma once
// ReaderPool: a ZnodeReader that spreads the plain reads of walks (GetChildren2, GetAcl) over several
// sessions, round robin among those connected, and sends everything that involves watches to the primary.
//
// Why: a ZooKeeper server handles the requests of one session one after another (its NIO worker and commit
// processor keep a session's requests in order), and the C client gives each handle one IO and one
// completion thread. A walk on one session is therefore bound by one session's pipeline, not by the server:
// measured here on a 2-core machine, a 100,000-znode walk ran at ~7,500 znodes/s on one session, ~10,000/s on
// two and ~12,500/s on four. Each extra session is one more connection and session on the ensemble, so the
// exporter opens them only when asked (--zookeeper.walk-sessions).
//
// Watches stay on the primary: watch events, kResync and SessionEpoch are the primary's, so nothing that
// watches depends on a walk session. (Watch mode spreads its watches over watch sessions of their own through
// zk::WatchShards, whose plain reads come back to this pool.) A read sent to an extra session that then fails
// with kUnavailable fails like any read on a lost connection (the walk is retried at its next refresh).
// Thread-safety: all methods are thread-safe. Lifetime: the sessions must outlive the pool.

#include <atomic>
#include <cstdint>
#include <string>
#include <vector>

#include "zk/session.h"
#include "zk/znode_reader.h"

namespace zkx::zk {

class ReaderPool final : public ZnodeReader {
 public:
  // `primary` must not be null; `extras` may be empty (the pool then only forwards to the primary).
  ReaderPool(Session* primary, std::vector<Session*> extras);

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

  // Sessions connected now, the primary included.
  [[nodiscard]] std::size_t ConnectedSessions() const;

 private:
  // The next connected session in round-robin order; the primary when none is connected.
  Session& Next();

  Session* const primary_;
  std::vector<Session*> all_;  // primary first
  std::atomic<uint64_t> next_{0};
};

}  // namespace zkx::zk
