#include "exporter/login_guard.h"

#include <algorithm>

namespace zkx::exporter {

LoginGuard::LoginGuard(LoginGuardOptions options) : options_(options) {}

std::chrono::milliseconds LoginGuard::Backoff(const std::string& address, Clock::time_point now) {
  const MutexLock lock(mu_);
  auto it = entries_.find(address);
  if (it == entries_.end() || it->second.blocked_until <= now) return std::chrono::milliseconds(0);
  return std::chrono::ceil<std::chrono::milliseconds>(it->second.blocked_until - now);
}

void LoginGuard::Record(const std::string& address, bool success, Clock::time_point now) {
  const MutexLock lock(mu_);
  if (success) {
    entries_.erase(address);
    return;
  }
  auto it = entries_.find(address);
  if (it == entries_.end()) {
    MakeRoom(now);
    it = entries_.emplace(address, Entry{}).first;
  }
  Entry& e = it->second;
  e.failures = std::min(e.failures + 1, 1000);
  e.last_seen = now;
  const int over = e.failures - options_.free_failures;
  if (over > 0) {
    // 1 s, 2 s, 4 s ... capped.
    const int shift = std::min(over - 1, 20);
    const auto backoff =
        std::min<std::chrono::milliseconds>(std::chrono::milliseconds(1000LL << shift), options_.max_backoff);
    e.blocked_until = now + backoff;
  }
}

void LoginGuard::MakeRoom(Clock::time_point now) {
  if (entries_.size() < options_.max_addresses) return;
  for (auto it = entries_.begin(); it != entries_.end();) {
    it = it->second.blocked_until <= now ? entries_.erase(it) : std::next(it);
  }
  if (entries_.size() < options_.max_addresses) return;
  auto oldest = std::min_element(entries_.begin(), entries_.end(), [](const auto& a, const auto& b) {
    return a.second.last_seen < b.second.last_seen;
  });
  if (oldest != entries_.end()) entries_.erase(oldest);
}

LoginGuard::Slot LoginGuard::AcquireSlot() {
  const std::size_t limit = std::max<std::size_t>(1, options_.max_concurrent);
  const MutexLock lock(slot_mu_);
  const auto until = Clock::now() + options_.slot_wait;
  while (in_use_ >= limit && slot_cv_.wait_until(slot_mu_, until) != std::cv_status::timeout) {
  }
  if (in_use_ >= limit) return Slot();
  ++in_use_;
  max_in_use_ = std::max(max_in_use_, in_use_);
  return Slot(this);
}

void LoginGuard::Release() {
  {
    const MutexLock lock(slot_mu_);
    --in_use_;
  }
  slot_cv_.notify_one();
}

LoginGuard::Slot::~Slot() {
  if (guard_ != nullptr) guard_->Release();
}

std::size_t LoginGuard::Addresses() const {
  const MutexLock lock(mu_);
  return entries_.size();
}

std::size_t LoginGuard::MaxInUse() const {
  const MutexLock lock(slot_mu_);
  return max_in_use_;
}

}  // namespace zkx::exporter
