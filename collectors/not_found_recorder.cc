// NotFoundRecorder (see not_found_recorder.h).
#include "collectors/not_found_recorder.h"

#include <algorithm>
#include <utility>

namespace zkx::collectors {

NotFoundRecorder::NotFoundRecorder(zk::ZnodeReader* inner)
    : inner_(inner), record_(std::make_shared<Record>()) {}

void NotFoundRecorder::Record::Add(const std::string& path) noexcept {
  try {
    MutexLock lock(mu);
    paths.push_back(path);
  } catch (...) {
    // Out of memory: the path is not recorded; the next resync finds the child again.
  }
}

std::vector<std::string> NotFoundRecorder::Take() {
  std::vector<std::string> out;
  {
    MutexLock lock(record_->mu);
    out.swap(record_->paths);
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

void NotFoundRecorder::GetChildren2(const std::string& path, zk::ChildrenCallback done) {
  inner_->GetChildren2(path, std::move(done));
}

void NotFoundRecorder::WatchChildren2(const std::string& path, zk::ChildrenCallback done) {
  inner_->WatchChildren2(path,
                         [record = record_, path, done = std::move(done)](Status s, zk::ChildrenResult r) {
                           if (s.code() == StatusCode::kNotFound) record->Add(path);
                           done(std::move(s), std::move(r));
                         });
}

void NotFoundRecorder::WatchExists(const std::string& path, zk::StatCallback done) {
  inner_->WatchExists(path, [record = record_, path, done = std::move(done)](Status s, zk::ZnodeStat stat) {
    if (s.code() == StatusCode::kNotFound) record->Add(path);
    done(std::move(s), stat);
  });
}

void NotFoundRecorder::GetAcl(const std::string& path, zk::AclCallback done) {
  inner_->GetAcl(path, std::move(done));
}

void NotFoundRecorder::GetData(const std::string& path,
                               std::function<void(Status, std::string, zk::ZnodeStat)> done) {
  inner_->GetData(path, std::move(done));
}

void NotFoundRecorder::RemoveWatches(const std::string& path, std::function<void(Status)> done) {
  inner_->RemoveWatches(path, std::move(done));
}

zk::WatchSubscription NotFoundRecorder::SubscribeWatches(zk::WatchListener listener) {
  return inner_->SubscribeWatches(std::move(listener));
}

uint64_t NotFoundRecorder::SessionEpoch() const {
  return inner_->SessionEpoch();
}

std::size_t NotFoundRecorder::WatchShardCount() const {
  return inner_->WatchShardCount();
}

std::size_t NotFoundRecorder::WatchShardOf(const std::string& path) const {
  return inner_->WatchShardOf(path);
}

}  // namespace zkx::collectors
