// ReaderPool (see reader_pool.h).
#include "zk/reader_pool.h"

#include <utility>

namespace zkx::zk {

ReaderPool::ReaderPool(Session* primary, std::vector<Session*> extras) : primary_(primary) {
  all_.push_back(primary);
  for (Session* s : extras) {
    if (s != nullptr) all_.push_back(s);
  }
}

Session& ReaderPool::Next() {
  const std::size_t n = all_.size();
  const uint64_t start = next_.fetch_add(1, std::memory_order_relaxed);
  for (std::size_t i = 0; i < n; ++i) {
    Session* s = all_[(start + i) % n];
    if (s->Connected()) return *s;
  }
  return *primary_;  // none connected: the primary fails the request with kUnavailable
}

void ReaderPool::GetChildren2(const std::string& path, ChildrenCallback done) {
  Next().GetChildren2(path, std::move(done));
}

void ReaderPool::GetAcl(const std::string& path, AclCallback done) {
  Next().GetAcl(path, std::move(done));
}

void ReaderPool::GetData(const std::string& path, std::function<void(Status, std::string, ZnodeStat)> done) {
  primary_->GetData(path, std::move(done));
}

void ReaderPool::WatchChildren2(const std::string& path, ChildrenCallback done) {
  primary_->WatchChildren2(path, std::move(done));
}

void ReaderPool::WatchExists(const std::string& path, StatCallback done) {
  primary_->WatchExists(path, std::move(done));
}

void ReaderPool::RemoveWatches(const std::string& path, std::function<void(Status)> done) {
  primary_->RemoveWatches(path, std::move(done));
}

WatchSubscription ReaderPool::SubscribeWatches(WatchListener listener) {
  return primary_->SubscribeWatches(std::move(listener));
}

uint64_t ReaderPool::SessionEpoch() const {
  return primary_->SessionEpoch();
}

std::size_t ReaderPool::InFlightCap() const {
  return primary_->InFlightCap();
}

std::size_t ReaderPool::ConnectedSessions() const {
  std::size_t connected = 0;
  for (const Session* s : all_) {
    if (s->Connected()) ++connected;
  }
  return connected;
}

}  // namespace zkx::zk
