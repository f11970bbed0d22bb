// WatchedReadRecorder (see watched_read_recorder.h).
#include "collectors/watched_read_recorder.h"

#include <algorithm>
#include <utility>

namespace zkx::collectors {

WatchedReadRecorder::WatchedReadRecorder(zk::ZnodeReader* inner)
    : inner_(inner), record_(std::make_shared<Record>()) {}

void WatchedReadRecorder::Record::AddNotFound(const std::string& path) noexcept {
  try {
    MutexLock lock(mu);
    not_found.push_back(path);
  } catch (...) {
    // Out of memory: the path is not recorded; the next resync finds the child again.
  }
}

std::vector<std::string> WatchedReadRecorder::TakeNotFound() {
  std::vector<std::string> out;
  {
    MutexLock lock(record_->mu);
    out.swap(record_->not_found);
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

void WatchedReadRecorder::Sent(const std::string& path) {
  MutexLock lock(mu_);
  unvisited_.insert(path);
}

void WatchedReadRecorder::Visited(const std::string& path) {
  MutexLock lock(mu_);
  unvisited_.erase(path);
}

std::vector<std::string> WatchedReadRecorder::TakeUnvisited() {
  std::set<std::string> taken;
  {
    MutexLock lock(mu_);
    taken.swap(unvisited_);
  }
  return {std::make_move_iterator(taken.begin()), std::make_move_iterator(taken.end())};
}

void WatchedReadRecorder::GetChildren2(const std::string& path, zk::ChildrenCallback done) {
  inner_->GetChildren2(path, std::move(done));
}

void WatchedReadRecorder::WatchChildren2(const std::string& path, zk::ChildrenCallback done) {
  Sent(path);
  inner_->WatchChildren2(path,
                         [record = record_, path, done = std::move(done)](Status s, zk::ChildrenResult r) {
                           if (s.code() == StatusCode::kNotFound) record->AddNotFound(path);
                           done(std::move(s), std::move(r));
                         });
}

void WatchedReadRecorder::WatchExists(const std::string& path, zk::StatCallback done) {
  Sent(path);
  inner_->WatchExists(path, [record = record_, path, done = std::move(done)](Status s, zk::ZnodeStat stat) {
    if (s.code() == StatusCode::kNotFound) record->AddNotFound(path);
    done(std::move(s), stat);
  });
}

void WatchedReadRecorder::GetAcl(const std::string& path, zk::AclCallback done) {
  inner_->GetAcl(path, std::move(done));
}

void WatchedReadRecorder::GetData(const std::string& path,
                                  std::function<void(Status, std::string, zk::ZnodeStat)> done) {
  inner_->GetData(path, std::move(done));
}

void WatchedReadRecorder::RemoveWatches(const std::string& path, std::function<void(Status)> done) {
  inner_->RemoveWatches(path, std::move(done));
}

zk::WatchSubscription WatchedReadRecorder::SubscribeWatches(zk::WatchListener listener) {
  return inner_->SubscribeWatches(std::move(listener));
}

uint64_t WatchedReadRecorder::SessionEpoch() const {
  return inner_->SessionEpoch();
}

std::size_t WatchedReadRecorder::InFlightCap() const {
  return inner_->InFlightCap();
}

std::size_t WatchedReadRecorder::WatchShardCount() const {
  return inner_->WatchShardCount();
}

std::size_t WatchedReadRecorder::WatchShardOf(const std::string& path) const {
  return inner_->WatchShardOf(path);
}

}  // namespace zkx::collectors
