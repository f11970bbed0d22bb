#pragma once
// TuneAllocator: glibc malloc settings for a long-running exporter whose scrapes allocate in bursts.
//
// A scrape of a big subtree builds tens of thousands of samples (e.g. 10,000 per-znode series are ~80,000
// samples, ~40 MB) on whichever CivetWeb worker thread serves it, then frees them. With glibc's defaults
// every worker thread gets its own arena, and the dynamic trim threshold grows after large frees, so each
// arena keeps its peak: measured here, RSS 147 MB after 10 scrapes of 100,000 tracked znodes against 25 MB
// before the first scrape. Two arenas and a fixed 1 MiB trim threshold give memory back after every scrape
// (26 MB after the same 10 scrapes). Fixing the trim threshold also pins the mmap threshold at its default
// (128 KiB), so large buffers (a scrape's text, its gzip copy) are mmap'ed and unmapped when freed.
//
// ReleaseFreeMemory (malloc_trim) also returns whole free pages from the middle of the heaps, which the trim
// threshold alone does not: a scrape's samples are freed in an order that leaves live blocks above them.
// Call it after a scrape's samples are freed; it costs a walk over the free lists (about a millisecond).
//
// Thread-safety: TuneAllocator once, first thing in main, before any thread starts. ReleaseFreeMemory from
// any thread. Both are no-ops on other C libraries.

namespace zkx::exporter {

void TuneAllocator();
void ReleaseFreeMemory();

}  // namespace zkx::exporter
