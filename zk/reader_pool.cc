// ReaderPool (see reader_pool.h).
#include "zk/reader_pool.h"

#include <utility>

#include <spdlog/spdlog.h>

namespace zkx::zk {
namespace {

std::vector<Session*> PrimaryFirst(Session* primary, const std::vector<Session*>& extras) {
  std::vector<Session*> all{primary};
  for (Session* s : extras) {
    if (s != nullptr) all.push_back(s);
  }
  return all;
}

WalkSessionCountOptions WithMax(WalkSessionCountOptions options, std::size_t max) {
  options.max = max;
  return options;
}

}  // namespace

ReaderPool::ReaderPool(Session* primary, const std::vector<Session*>& extras, Spread spread,
                       WalkSessionCountOptions measured)
    : primary_(primary),
      all_(PrimaryFirst(primary, extras)),
      spread_(spread),
      in_use_(spread == Spread::kAll ? all_.size() : 1),
      count_(WithMax(measured, spread == Spread::kAll ? 1 : all_.size())) {}

void ReaderPool::NoteBusyWalk(std::size_t replies, std::chrono::nanoseconds busy) {
  if (spread_ != Spread::kMeasured || all_.size() == 1) return;
  MutexLock lock(mu_);
  const auto reported = std::chrono::steady_clock::now();
  count_.NoteGap(reported - std::exchange(last_report_, reported));
  const std::size_t before = count_.count();
  // An epoch counts only if every session of the count took its share of the reads.
  for (std::size_t i = 0; i < before; ++i) {
    if (!all_[i]->Connected()) {
      count_.DiscardEpoch();
      return;
    }
  }
  count_.NoteBusy(replies, busy);
  const std::size_t now = count_.count();
  if (now == before) return;
  for (; opened_ < now; ++opened_) {
    spdlog::info(
        "zookeeper: walks measured {:.0f} replies/s on {} session(s): opening walk session {} of at "
        "most {} (--zookeeper.walk-sessions)",
        count_.last_rate(), before, opened_ + 1, all_.size());
    all_[opened_]->Start();
  }
  spdlog::debug("zookeeper: walks spread over {} session(s), was {} ({:.0f} replies/s)", now, before,
                count_.last_rate());
  in_use_.store(now, std::memory_order_release);
}

Session& ReaderPool::Next() {
  const std::size_t n = in_use_.load(std::memory_order_acquire);
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

WalkSessionFigures ReaderPool::Figures() const {
  WalkSessionFigures f;
  f.max = all_.size();
  f.in_use = SessionsInUse();
  if (spread_ == Spread::kAll) {
    f.open = all_.size();
  } else {
    MutexLock lock(mu_);
    f.open = opened_;
  }
  return f;
}

std::size_t ReaderPool::ConnectedSessions() const {
  std::size_t connected = 0;
  for (const Session* s : all_) {
    if (s->Connected()) ++connected;
  }
  return connected;
}

}  // namespace zkx::zk
