// WatchShards (see watch_shards.h).
#include "zk/watch_shards.h"

#include <memory>
#include <utility>

namespace zkx::zk {

WatchShards::WatchShards(ZnodeReader* plain, std::vector<ZnodeReader*> shards)
    : plain_(plain), shards_(std::move(shards)) {}

std::size_t WatchShards::ShardOf(std::string_view path, std::size_t shards) {
  uint64_t h = 14695981039346656037ULL;  // FNV-1a offset basis
  for (const char c : path) {
    h ^= static_cast<unsigned char>(c);
    h *= 1099511628211ULL;  // FNV prime
  }
  return shards <= 1 ? 0 : static_cast<std::size_t>(h % shards);
}

void WatchShards::GetChildren2(const std::string& path, ChildrenCallback done) {
  plain_->GetChildren2(path, std::move(done));
}

void WatchShards::GetAcl(const std::string& path, AclCallback done) {
  plain_->GetAcl(path, std::move(done));
}

void WatchShards::GetData(const std::string& path, std::function<void(Status, std::string, ZnodeStat)> done) {
  ShardFor(path).GetData(path, std::move(done));
}

void WatchShards::WatchChildren2(const std::string& path, ChildrenCallback done) {
  ShardFor(path).WatchChildren2(path, std::move(done));
}

void WatchShards::WatchExists(const std::string& path, StatCallback done) {
  ShardFor(path).WatchExists(path, std::move(done));
}

void WatchShards::RemoveWatches(const std::string& path, std::function<void(Status)> done) {
  ShardFor(path).RemoveWatches(path, std::move(done));
}

WatchSubscription WatchShards::SubscribeWatches(WatchListener listener) {
  // One listener shared by every shard's subscription; each event is re-stamped with the combined epoch.
  auto shared = std::make_shared<const WatchListener>(std::move(listener));
  auto subscriptions = std::make_shared<std::vector<WatchSubscription>>();
  for (ZnodeReader* shard : shards_) {
    subscriptions->push_back(shard->SubscribeWatches([this, shared](const WatchEvent& event) {
      WatchEvent combined = event;
      combined.epoch = SessionEpoch();
      (*shared)(combined);
    }));
  }
  return WatchSubscription([subscriptions] {
    for (WatchSubscription& s : *subscriptions) s.Reset();
  });
}

uint64_t WatchShards::SessionEpoch() const {
  uint64_t sum = 0;
  for (const ZnodeReader* shard : shards_) sum += shard->SessionEpoch();
  return sum;
}

}  // namespace zkx::zk
