#pragma once
// WalkSubtree: a pipelined walk of one ZooKeeper subtree, one request per znode (get_children2 carries the
// znode's Stat and its child names), with many requests in flight.
//
// Caps: depth, znode count, requests in flight, wall time. A znode deleted mid-walk (kNotFound) or unreadable
// (kPermissionDenied) below the root is counted and skipped; it never fails the walk. A root that does not
// exist or is unreadable, or a lost connection, fails the walk (WalkSummary::status).

#include <chrono>
#include <cstddef>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "zk/znode_reader.h"
#include "zk/znode_stat.h"

namespace zkx::zk {

struct WalkLimits {
  int max_depth = 64;               // the root is depth 0; children of a znode at max_depth are not read
  std::size_t max_znodes = 100000;  // at most this many znodes are visited
  // The most requests outstanding at once for this walk: the ceiling of its window, which adapts below it
  // to the reply rate and round trip it measures (zk/in_flight_window.h).
  std::size_t max_in_flight = 2048;
  // Wall-time budget for the whole walk, from its first request. Running out of it before the root was
  // read fails the walk (kDeadlineExceeded); after, it truncates it (truncated_timeout).
  std::chrono::milliseconds timeout{60000};
  friend bool operator==(const WalkLimits&, const WalkLimits&) = default;
};

struct WalkedZnode {
  std::string_view path;  // absolute path (within the session's chroot)
  int depth = 0;          // 0 for the root
  const ZnodeStat* stat = nullptr;
};

struct WalkSummary {
  Status status;            // OK unless the root failed or timed out, or the connection was lost mid-walk
  std::size_t visited = 0;  // znodes passed to `visit`
  std::size_t no_node = 0;  // znodes that vanished between listing and reading
  std::size_t no_auth = 0;  // znodes we may not read
  std::size_t errors = 0;   // other per-znode failures
  bool truncated_depth = false;    // a znode at max_depth had children
  bool truncated_znodes = false;   // max_znodes stopped the walk with znodes left to read
  bool truncated_timeout = false;  // the timeout stopped the walk
  bool stopped = false;            // the visitor stopped the walk (WalkSubtreeUntil)
  std::chrono::nanoseconds duration{0};
  std::size_t in_flight_window = 0;  // the round's in-flight window when the walk ended
  [[nodiscard]] bool truncated() const { return truncated_depth || truncated_znodes || truncated_timeout; }
};

// Walks the subtree rooted at `root` (an absolute, normalised path). `visit` is called on the calling thread,
// once per znode read, in no particular order; WalkedZnode's pointers are valid only during the call.
// Blocks until the walk ends. `reader` must outlive the call; late completions after a timeout are safe.
WalkSummary WalkSubtree(ZnodeReader& reader, const std::string& root, const WalkLimits& limits,
                        const std::function<void(const WalkedZnode&)>& visit);

// kSet: the walk leaves a data watch (WatchExists, sent first) and a child watch (WatchChildren2, whose
// reply is the one walked) on every znode it reads: the full (re)sync of a watch-mode subtree.
enum class WalkWatches { kNone, kSet };
WalkSummary WalkSubtree(ZnodeReader& reader, const std::string& root, const WalkLimits& limits,
                        const std::function<void(const WalkedZnode&)>& visit, WalkWatches watches);

// Like WalkSubtree, but `visit` returns false to stop the walk (a watch-mode sync that finds the subtree
// over its watch budget). Nothing more is requested after that; the replies already in flight are still
// drained, within the timeout, and each successful one is still passed to `visit` (its answer then ignored),
// so that the caller knows every znode a kSet walk armed watches on. WalkSummary::stopped says it happened.
WalkSummary WalkSubtreeUntil(ZnodeReader& reader, const std::string& root, const WalkLimits& limits,
                             const std::function<bool(const WalkedZnode&)>& visit, WalkWatches watches);

// One walk of a round (WalkSubtrees). `reader` must outlive the round; `visit` as in WalkSubtreeUntil.
struct WalkJob {
  ZnodeReader* reader = nullptr;
  std::string root;
  WalkLimits limits;
  std::function<bool(const WalkedZnode&)> visit;
  WalkWatches watches = WalkWatches::kNone;
};

// Runs several walks together on the calling thread: one pipeline and one wait for replies for all of them,
// so that a round of many small walks (thousands of subtrees polled, most of them a few znodes) costs a few
// wake-ups of this thread and of the client's threads, not a few per walk (issue 16: on a 2-core machine
// the context switches, not the requests, were the idle exporter's CPU). Each job keeps its own caps,
// timeout (counted from its own first request, so time spent waiting for the round's window is not
// counted) and summary, exactly as if walked alone; a job that fails (its root, a lost connection) or times
// out ends alone, the others go on.
// The round keeps at most the largest of its jobs' max_in_flight requests in flight, handed out round-robin
// (each job also keeps to its own cap), so a big walk does not starve the small ones beside it. Within that
// ceiling the round's window adapts (InFlightWindow): it grows while growing raises the reply rate, and
// shrinks when a request's round trip (the wait of anything else sent on the session meanwhile) passes
// 200 ms, but never below 32 per session its readers spread the walk over (ZnodeReader::WalkSessionsInUse).
// `done(i, summary)` runs on the calling thread as soon as job i has ended, once per job; `jobs[i].visit`
// is never called after it. `done` may block (reads of its own): the other jobs' replies wait meanwhile,
// but the round's clock, on which every job's timeout runs, stops. Blocks until every job has ended.
void WalkSubtrees(const std::vector<WalkJob>& jobs,
                  const std::function<void(std::size_t job, WalkSummary summary)>& done);

}  // namespace zkx::zk
