#pragma once
// Clang thread-safety annotations (https://clang.llvm.org/docs/ThreadSafetyAnalysis.html): a member marked
// GUARDED_BY(mu_) may only be touched with mu_ held, a function marked REQUIRES(mu_) only called with it
// held; clang's -Wthread-safety checks this at compile time (the `tsa` preset, run by scripts/test.sh). With
// other compilers the macros expand to nothing. Use them with zkx::Mutex (base/mutex.h): libstdc++'s
// std::mutex carries no annotations, so the analysis cannot see it.

#if defined(__clang__)
#define ZKX_THREAD_ANNOTATION(x) __attribute__((x))
#else
#define ZKX_THREAD_ANNOTATION(x)
#endif

#define CAPABILITY(x) ZKX_THREAD_ANNOTATION(capability(x))
#define SCOPED_CAPABILITY ZKX_THREAD_ANNOTATION(scoped_lockable)
#define GUARDED_BY(x) ZKX_THREAD_ANNOTATION(guarded_by(x))
#define PT_GUARDED_BY(x) ZKX_THREAD_ANNOTATION(pt_guarded_by(x))
#define REQUIRES(...) ZKX_THREAD_ANNOTATION(requires_capability(__VA_ARGS__))
#define EXCLUDES(...) ZKX_THREAD_ANNOTATION(locks_excluded(__VA_ARGS__))
#define ACQUIRE(...) ZKX_THREAD_ANNOTATION(acquire_capability(__VA_ARGS__))
#define RELEASE(...) ZKX_THREAD_ANNOTATION(release_capability(__VA_ARGS__))
#define TRY_ACQUIRE(...) ZKX_THREAD_ANNOTATION(try_acquire_capability(__VA_ARGS__))
#define RETURN_CAPABILITY(x) ZKX_THREAD_ANNOTATION(lock_returned(x))
#define NO_THREAD_SAFETY_ANALYSIS ZKX_THREAD_ANNOTATION(no_thread_safety_analysis)
