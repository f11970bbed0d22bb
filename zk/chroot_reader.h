#pragma once
// ChrootReader: a ZnodeReader that shows one chroot of a shared session, by path prefixing.
//
// The multi-target endpoint (exporter/target_manager.h) opens one session per ensemble and module and gives
// each chroot of that ensemble ("zk:2181/kafka", "zk:2181/solr") a ChrootReader over it, so that the C
// client's two threads per handle (IO + completion) do not grow with chroots. Paths go in as the chroot's own
// ("/", "/brokers") and are sent as "<chroot>/brokers"; watch events outside the chroot are not delivered,
// those inside are delivered with the chroot stripped; kResync is delivered as it is.
// Unlike the C client's own chroot, a missing chroot znode is simply a missing root (kNotFound).
//
// Thread-safety: as thread-safe as `inner` (zk::Session: fully). Lifetime: `inner` must outlive the reader,
// and every WatchSubscription it returned must be reset before `inner` goes.

#include <optional>
#include <string>

#include "zk/znode_reader.h"

namespace zkx::zk {

class ChrootReader final : public ZnodeReader {
 public:
  // `chroot`: "" (no prefix) or a normalised absolute path without a trailing '/'.
  ChrootReader(ZnodeReader* inner, std::string chroot);

  void GetChildren2(const std::string& path, ChildrenCallback done) override;
  void WatchChildren2(const std::string& path, ChildrenCallback done) override;
  void WatchExists(const std::string& path, StatCallback done) override;
  void GetAcl(const std::string& path, AclCallback done) override;
  void GetData(const std::string& path, std::function<void(Status, std::string, ZnodeStat)> done) override;
  void RemoveWatches(const std::string& path, std::function<void(Status)> done) override;
  WatchSubscription SubscribeWatches(WatchListener listener) override;
  [[nodiscard]] uint64_t SessionEpoch() const override;
  [[nodiscard]] std::size_t InFlightCap() const override;
  void NoteBusyWalk(std::size_t replies, std::chrono::nanoseconds busy) override {
    inner_->NoteBusyWalk(replies, busy);
  }
  [[nodiscard]] std::size_t WalkSessionsInUse() const override { return inner_->WalkSessionsInUse(); }

  // "<chroot><path>" ("/" maps to the chroot itself).
  [[nodiscard]] std::string Outer(const std::string& path) const;
  // The chroot-relative path of a server path, or nullopt when it is outside the chroot.
  [[nodiscard]] std::optional<std::string> Inner(const std::string& outer) const;

 private:
  ZnodeReader* const inner_;
  const std::string chroot_;
};

}  // namespace zkx::zk
