#pragma once
// zkx::Mutex and zkx::MutexLock: a mutex and a scoped lock that clang's thread-safety analysis can see
// (base/thread_annotations.h); libstdc++'s std::mutex carries no annotations. Mutex is BasicLockable, so a
// std::condition_variable_any can wait on it directly while a MutexLock holds it: the wait releases and
// re-acquires it, and on return it is held again, as the analysis assumes.
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

}  // namespace zkx
