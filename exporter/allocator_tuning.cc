// TuneAllocator (see allocator_tuning.h).
#include "exporter/allocator_tuning.h"

#include <cstdlib>  // defines __GLIBC__ on glibc systems
#if defined(__GLIBC__)
#include <malloc.h>
#endif

namespace zkx::exporter {

namespace {
constexpr int kArenas = 2;                    // the main arena + one shared by every other thread
constexpr int kTrimThresholdBytes = 1 << 20;  // give back free memory above 1 MiB at the top of a heap
}  // namespace

void TuneAllocator() {
#if defined(__GLIBC__)
  // mallopt returns 0 on failure; a failure only costs memory, so it is not an error worth reporting.
  // Called from main before any thread starts, so mallopt's lack of thread safety does not matter.
  (void)mallopt(M_ARENA_MAX, kArenas);                   // NOLINT(concurrency-mt-unsafe)
  (void)mallopt(M_TRIM_THRESHOLD, kTrimThresholdBytes);  // NOLINT(concurrency-mt-unsafe)
#endif
}

void ReleaseFreeMemory() {
#if defined(__GLIBC__)
  (void)malloc_trim(0);
#endif
}

}  // namespace zkx::exporter
