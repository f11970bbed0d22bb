#pragma once
// zkx::Mutex, zkx::MutexLock and zkx::UniqueMutexLock: a mutex and scoped locks that clang's thread-safety
// analysis can see (base/thread_annotations.h); libstdc++'s std::mutex and std::unique_lock carry no
// annotations. Mutex is BasicLockable, so a std::condition_variable_any can wait on it directly while a
// MutexLock holds it: the wait releases and re-acquires it, and on return it is held again, as the analysis
// assumes. A predicate passed to such a wait runs with the mutex held: mark the lambda REQUIRES(mu).
// Thread-safety: as std::mutex.

#include <mutex>

#include "base/thread_annotations.h"

namespace zkx {

class CAPABILITY("mutex") Mutex {
 public:
  Mutex() = default;
  Mutex(const Mutex&) = delete;
  Mutex& operator=(const Mutex&) = delete;

  void lock() ACQUIRE() { mu_.lock(); }
  void unlock() RELEASE() { mu_.unlock(); }

 private:
  std::mutex mu_;
};

// Holds `mu` for its scope.
class SCOPED_CAPABILITY MutexLock {
 public:
  explicit MutexLock(Mutex& mu) ACQUIRE(mu) : mu_(mu) { mu_.lock(); }
  ~MutexLock() RELEASE() { mu_.unlock(); }
  MutexLock(const MutexLock&) = delete;
  MutexLock& operator=(const MutexLock&) = delete;

 private:
  Mutex& mu_;
};

// Holds `mu` from construction, like std::unique_lock<Mutex>: unlock() and lock() release and take it again
// within the scope (the analysis follows both), and the destructor releases it only if it is held then. Use
// it where a scope leaves early without the mutex or gives it up around a call; MutexLock everywhere else.
class SCOPED_CAPABILITY UniqueMutexLock {
 public:
  explicit UniqueMutexLock(Mutex& mu) ACQUIRE(mu) : mu_(mu) {
    mu_.lock();
    owns_ = true;
  }
  ~UniqueMutexLock() RELEASE() {
    if (owns_) mu_.unlock();
  }
  UniqueMutexLock(const UniqueMutexLock&) = delete;
  UniqueMutexLock& operator=(const UniqueMutexLock&) = delete;

  void lock() ACQUIRE() {
    mu_.lock();
    owns_ = true;
  }
  void unlock() RELEASE() {
    owns_ = false;
    mu_.unlock();
  }

 private:
  Mutex& mu_;
  bool owns_ = false;
};

}  // namespace zkx
