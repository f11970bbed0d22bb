#pragma once
// LoginGuard: keeps basic auth from being a way to burn the CPU (issue 16, item 6). Every failed login costs
// one bcrypt (tens of milliseconds of a core at cost 10), so a flood of wrong passwords could starve the
// scrapes and health checks. Two bounds, both in front of the bcrypt:
//   - at most `max_concurrent` bcrypt verifications run at once (a semaphore; a request that cannot get a
//     slot within `slot_wait` is refused without hashing);
//   - per client address, after more than `free_failures` consecutive failures, attempts are refused without
//     hashing until a backoff has passed (1 s, doubling per further failure, at most `max_backoff`); a
//     success clears the address. The table holds at most `max_addresses` entries: when full, entries whose
//     backoff has passed are dropped, then the oldest one.
// Credentials already verified (BasicAuthenticator's cache) never reach the guard, so a valid scraper from a
// throttled address is still served. Thread-safety: every method may be called from any thread.

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <map>
#include <string>

#include "base/mutex.h"
#include "base/thread_annotations.h"

namespace zkx::exporter {

struct LoginGuardOptions {
  std::size_t max_concurrent = 1;  // bcrypt verifications at once
  std::chrono::milliseconds slot_wait{1000};
  int free_failures = 10;  // failures per address that cost nothing more (mistyped or stale passwords)
  std::chrono::milliseconds max_backoff{60000};
  std::size_t max_addresses = 4096;
};

class LoginGuard {
 public:
  using Clock = std::chrono::steady_clock;
  explicit LoginGuard(LoginGuardOptions options = {});

  // Zero when `address` may try a bcrypt now, else how long it must wait.
  std::chrono::milliseconds Backoff(const std::string& address, Clock::time_point now = Clock::now());
  // Records the outcome of a verification from `address`.
  void Record(const std::string& address, bool success, Clock::time_point now = Clock::now());

  // A bcrypt slot, released by its destructor; empty (false) when none freed within slot_wait.
  class Slot {
   public:
    Slot() = default;
    explicit Slot(LoginGuard* guard) : guard_(guard) {}
    Slot(Slot&& other) noexcept : guard_(other.guard_) { other.guard_ = nullptr; }
    Slot& operator=(Slot&&) = delete;
    Slot(const Slot&) = delete;
    Slot& operator=(const Slot&) = delete;
    ~Slot();
    explicit operator bool() const { return guard_ != nullptr; }

   private:
    LoginGuard* guard_ = nullptr;
  };
  Slot AcquireSlot();

  // Figures for tests and logs.
  [[nodiscard]] std::size_t Addresses() const;
  [[nodiscard]] std::size_t MaxInUse() const;

 private:
  struct Entry {
    int failures = 0;
    Clock::time_point blocked_until{};
    Clock::time_point last_seen{};
  };
  void Release();
  void MakeRoom(Clock::time_point now) REQUIRES(mu_);

  const LoginGuardOptions options_;
  mutable Mutex mu_;
  std::map<std::string, Entry> entries_ GUARDED_BY(mu_);
  mutable Mutex slot_mu_;
  std::condition_variable_any slot_cv_;  // waits on slot_mu_
  std::size_t in_use_ GUARDED_BY(slot_mu_) = 0;
  std::size_t max_in_use_ GUARDED_BY(slot_mu_) = 0;
};

}  // namespace zkx::exporter
