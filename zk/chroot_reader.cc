#include "zk/chroot_reader.h"

#include <utility>

namespace zkx::zk {

ChrootReader::ChrootReader(ZnodeReader* inner, std::string chroot)
    : inner_(inner), chroot_(std::move(chroot)) {}

std::string ChrootReader::Outer(const std::string& path) const {
  if (chroot_.empty()) return path;
  if (path == "/" || path.empty()) return chroot_;
  return chroot_ + path;
}

std::optional<std::string> ChrootReader::Inner(const std::string& outer) const {
  if (chroot_.empty()) return outer;
  if (outer.compare(0, chroot_.size(), chroot_) != 0) return std::nullopt;
  if (outer.size() == chroot_.size()) return std::string(1, '/');
  if (outer[chroot_.size()] != '/') return std::nullopt;  // "/kafka2" is not inside "/kafka"
  return outer.substr(chroot_.size());
}

void ChrootReader::GetChildren2(const std::string& path, ChildrenCallback done) {
  inner_->GetChildren2(Outer(path), std::move(done));
}

void ChrootReader::WatchChildren2(const std::string& path, ChildrenCallback done) {
  inner_->WatchChildren2(Outer(path), std::move(done));
}

void ChrootReader::WatchExists(const std::string& path, StatCallback done) {
  inner_->WatchExists(Outer(path), std::move(done));
}

void ChrootReader::RemoveWatches(const std::string& path, std::function<void(Status)> done) {
  inner_->RemoveWatches(Outer(path), std::move(done));
}

void ChrootReader::GetAcl(const std::string& path, AclCallback done) {
  inner_->GetAcl(Outer(path), std::move(done));
}

void ChrootReader::GetData(const std::string& path,
                           std::function<void(Status, std::string, ZnodeStat)> done) {
  inner_->GetData(Outer(path), std::move(done));
}

WatchSubscription ChrootReader::SubscribeWatches(WatchListener listener) {
  return inner_->SubscribeWatches([this, listener = std::move(listener)](const WatchEvent& event) {
    if (event.type == WatchEventType::kResync) {
      listener(event);
      return;
    }
    std::optional<std::string> inner = Inner(event.path);
    if (!inner) return;
    WatchEvent mine = event;
    mine.path = std::move(*inner);
    listener(mine);
  });
}

uint64_t ChrootReader::SessionEpoch() const {
  return inner_->SessionEpoch();
}

std::size_t ChrootReader::InFlightCap() const {
  return inner_->InFlightCap();
}

}  // namespace zkx::zk
