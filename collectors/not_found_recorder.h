#pragma once
// NotFoundRecorder: a ZnodeReader that forwards everything to another and records the paths whose watched
// reads (WatchExists, WatchChildren2) answered kNotFound. A watch-mode full sync walks through it: over
// several watch sessions such a read may have left an exists-watch on a session that does not watch the
// znode's parent (zk::Session removes it only when it does), for a child that a lagging member has not
// applied yet or that was deleted; the refresher keeps those paths as AwaitedChildren until a listing of
// the parent tells which.
//
// Thread-safety: all methods are thread-safe; callbacks record under a lock and may outlive the recorder
// (late completions of a timed-out walk): the record is shared with them.

#include <memory>
#include <string>
#include <vector>

#include "base/mutex.h"
#include "base/thread_annotations.h"
#include "zk/znode_reader.h"

namespace zkx::collectors {

class NotFoundRecorder final : public zk::ZnodeReader {
 public:
  // `inner` must outlive the recorder.
  explicit NotFoundRecorder(zk::ZnodeReader* inner);

  // The paths recorded so far (each once, in no particular order), and forgets them.
  std::vector<std::string> Take();

  void GetChildren2(const std::string& path, zk::ChildrenCallback done) override;
  void WatchChildren2(const std::string& path, zk::ChildrenCallback done) override;
  void WatchExists(const std::string& path, zk::StatCallback done) override;
  void GetAcl(const std::string& path, zk::AclCallback done) override;
  void GetData(const std::string& path,
               std::function<void(Status, std::string, zk::ZnodeStat)> done) override;
  void RemoveWatches(const std::string& path, std::function<void(Status)> done) override;
  zk::WatchSubscription SubscribeWatches(zk::WatchListener listener) override;
  [[nodiscard]] uint64_t SessionEpoch() const override;
  [[nodiscard]] std::size_t WatchShardCount() const override;
  [[nodiscard]] std::size_t WatchShardOf(const std::string& path) const override;

 private:
  struct Record {
    Mutex mu;
    std::vector<std::string> paths GUARDED_BY(mu);
    void Add(const std::string& path) noexcept;
  };
  zk::ZnodeReader* const inner_;
  const std::shared_ptr<Record> record_;
};

}  // namespace zkx::collectors
