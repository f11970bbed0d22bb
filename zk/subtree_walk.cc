// WalkSubtree: a pipelined, capped walk of one subtree through a ZnodeReader (see subtree_walk.h).
//
// The walking thread issues up to max_in_flight GetChildren2 requests; completions (any thread) only push
// their result into a Channel and notify. The Channel is shared with every callback through a shared_ptr,
// so completions that arrive after the walk has returned (timeout, lost connection) are harmless.
// Pending paths live in a LIFO stack (depth-first), which keeps memory near depth x fan-out. The path of a
// request in flight stays with the walking thread (InFlightPaths); its callback carries only its slot.
#include "zk/subtree_walk.h"

#include <algorithm>
#include <condition_variable>
#include <memory>
#include <optional>
#include <utility>
#include <vector>

#include "base/mutex.h"
#include "base/thread_annotations.h"
#include "base/znode_path.h"
#include "zk/in_flight_window.h"

namespace zkx::zk {
namespace {

// Replies are handed to the walking thread in batches: it is woken when kMaxBatch replies (or a quarter of
// those outstanding) wait, or after kBatchLinger. Every wake-up is a context switch, and on small machines
// context switches, not parsing, are what a walk costs the client (a profile of a 100,000-znode walk).
constexpr std::size_t kMaxBatch = 64;
constexpr std::chrono::microseconds kBatchLinger{1000};
// A walk with at least this many requests outstanding keeps each session of a pool busy (32 each over 4,
// the window's floor per session), whether its window or its frontier is what limits it. Its time counts as
// busy for the choice of walk sessions (NoteBusy) even when the window is not full: a deep tree's walk
// (hundreds of chains, each read one level at a time) rarely fills its window, and with busy time counted
// only at a full window it gave the session count about two epochs per walk, so a fresh exporter walked
// such a tree on one session for its first five walks (scale_bench, 2026-12-05).
constexpr std::size_t kBusyOutstanding = 128;
// How long a walk that lost its connection waits for its outstanding requests before returning.
constexpr std::chrono::milliseconds kFailureGrace{200};
// Longest walk budget honoured (a larger WalkLimits::timeout means "no limit" in practice).
constexpr std::chrono::milliseconds kMaxTimeout = std::chrono::hours(24 * 365);

struct Reply {
  std::size_t job = 0;
  std::size_t slot = 0;                          // the request's path and depth: InFlightPaths
  std::chrono::steady_clock::time_point issued;  // for the round trip the window is judged on
  Status status;
  ChildrenResult result;
};

// Completions -> walking thread. Outlives the walk when callbacks still hold it. A vector, swapped with the
// walking thread's drained batch, so that neither side allocates per reply once both have grown.
struct Channel {
  Mutex mu;
  std::condition_variable_any cv;
  std::vector<Reply> replies GUARDED_BY(mu);
  std::size_t wake_at GUARDED_BY(mu) = 1;  // notify when replies reach this many
};

struct PendingPath {
  std::string path;
  int depth = 0;
};

// The paths of the requests in flight, by slot (walking thread only). The request reads its path from here
// and the reply names the slot, so that a request's path is neither copied for the callback nor carried back
// through the channel. A slot is reused once its reply is handled; one of a job that ended is released
// with the reply (replies of a walk that returned are never handled: the slots go with the walker).
class InFlightPaths {
 public:
  std::size_t Hold(PendingPath path) {
    if (free_.empty()) {
      slots_.push_back(std::move(path));
      return slots_.size() - 1;
    }
    const std::size_t slot = free_.back();
    free_.pop_back();
    slots_[slot] = std::move(path);
    return slot;
  }
  [[nodiscard]] const PendingPath& At(std::size_t slot) const { return slots_[slot]; }
  void Release(std::size_t slot) { free_.push_back(slot); }

 private:
  std::vector<PendingPath> slots_;
  std::vector<std::size_t> free_;
};

using Clock = std::chrono::steady_clock;

// One job's walk. Walking thread only.
struct JobState {
  // A job keeps to its own cap and to half of its reader's, so that the session's other requests (watch
  // re-reads, the canary) always find a slot beside a big walk.
  explicit JobState(const WalkJob& j)
      : job(j),
        max_in_flight(
            std::max<std::size_t>(std::min(j.limits.max_in_flight, j.reader->InFlightCap() / 2), 1)) {}
  const WalkJob& job;
  const std::size_t max_in_flight;
  // Set when the job issues its first request: a job waiting for the round's window spends none of its
  // timeout meanwhile.
  bool started = false;
  Clock::time_point started_at{};
  Clock::time_point deadline = Clock::time_point::max();
  std::vector<PendingPath> pending;  // LIFO
  std::size_t issued = 0;
  std::size_t outstanding = 0;
  bool ended = false;
  bool failed = false;  // ended on a failure with replies still outstanding (WaitBriefly)
  WalkSummary summary;
};

class Walker {
 public:
  Walker(const std::vector<WalkJob>& jobs, const std::function<void(std::size_t, WalkSummary)>& done)
      : done_(done), channel_(std::make_shared<Channel>()) {
    states_.reserve(jobs.size());
    for (const WalkJob& job : jobs) {
      states_.emplace_back(job);
      round_cap_ = std::max(round_cap_, states_.back().max_in_flight);
      const Reader reader{job.reader, job.watches};
      if (std::find(readers_.begin(), readers_.end(), reader) == readers_.end()) readers_.push_back(reader);
    }
    InFlightWindowOptions window;
    window.ceiling = round_cap_;
    window_.emplace(window);
  }

  void Run() {
    for (JobState& s : states_) s.pending.push_back({s.job.root, 0});
    active_ = states_.size();
    RunLoop();
    WaitBriefly();
  }

 private:
  void RunLoop() {
    while (active_ > 0) {
      // Round-robin from the cursor: the job that filled the round's window goes last next time, so that a
      // big walk cannot keep the window to itself while the small walks beside it wait out their timeouts.
      const std::size_t first = cursor_;
      window_->SetFloor(InFlightWindowOptions{}.floor * SessionsInUse());
      const std::size_t window = window_->size();
      for (std::size_t n = 0; n < states_.size(); ++n) {
        const std::size_t i = (first + n) % states_.size();
        JobState& s = states_[i];
        if (s.ended) continue;
        const bool had_room = active_outstanding_ < window;
        if (!s.summary.stopped && !IssueRequests(i, s, window)) {
          TimedOut(i, s);
          continue;
        }
        if (had_room && active_outstanding_ >= window && cursor_ == first) cursor_ = (i + 1) % states_.size();
        if (!s.summary.stopped && s.issued >= s.job.limits.max_znodes && !s.pending.empty()) {
          s.summary.truncated_znodes = true;
        }
        if (Finished(s)) End(i, s);
      }
      if (active_ == 0) return;
      // The window held the round back only if it is full; a narrower frontier or the jobs' own caps are not
      // the window's doing, and such a pass says nothing about its size.
      const bool window_bound = active_outstanding_ >= window;
      window_->NoteIssued(window_bound, Clock::now());
      const bool was_busy = active_outstanding_ >= std::min(window, kBusyOutstanding);

      batch_.clear();  // keeps its capacity: swapped with the channel's below
      std::vector<Reply>& batch = batch_;
      {
        // Wait for a batch (bounded by what is outstanding), or for the linger after which any reply will
        // do, or for the earliest deadline.
        const Clock::time_point deadline = ToReal(EarliestDeadline());
        const std::size_t want = std::clamp<std::size_t>(active_outstanding_ / 4, 1, kMaxBatch);
        MutexLock lock(channel_->mu);
        const auto linger_until = std::min(deadline, Clock::now() + kBatchLinger);
        channel_->wake_at = want;
        channel_->cv.wait_until(channel_->mu, linger_until,
                                [&]() REQUIRES(channel_->mu) { return channel_->replies.size() >= want; });
        channel_->wake_at = 1;
        channel_->cv.wait_until(channel_->mu, deadline,
                                [&]() REQUIRES(channel_->mu) { return !channel_->replies.empty(); });
        batch.swap(channel_->replies);
      }
      const Clock::time_point handled = Clock::now();
      std::chrono::nanoseconds rtt_sum{0};
      for (const Reply& reply : batch) rtt_sum += handled - reply.issued;
      window_->NoteReplies(batch.size(), rtt_sum, handled);
      NoteBusy(batch, was_busy);
      for (Reply& reply : batch) {
        JobState& s = states_[reply.job];
        --s.outstanding;
        if (s.ended) {
          --late_outstanding_;
          paths_.Release(reply.slot);
          continue;
        }
        --active_outstanding_;
        const bool go_on = Handle(s, paths_.At(reply.slot), reply);
        paths_.Release(reply.slot);
        if (!go_on) {
          s.failed = true;
          End(reply.job, s);
        }
      }
      // Jobs whose deadline passed: return them at once (late completions only touch the Channel). A job
      // that this batch finished is not one of them: it ends as complete on the next pass.
      const auto now = Now();
      for (std::size_t i = 0; i < states_.size(); ++i) {
        JobState& s = states_[i];
        if (!s.ended && now >= s.deadline && !Finished(s)) TimedOut(i, s);
      }
    }
  }

  // Tells each reader how many plain-read replies of this batch were its own, over the time since the last
  // batch, when the walk was busy: its window full, or kBusyOutstanding in flight (zk::ZnodeReader::
  // NoteBusyWalk): what a zk::ReaderPool chooses its session count from. Watched reads go to the primary
  // whatever the count: not reported.
  void NoteBusy(const std::vector<Reply>& batch, bool was_busy) {
    const Clock::time_point now = Now();
    const auto busy = now - last_batch_;
    last_batch_ = now;
    if (!was_busy || batch.empty()) return;
    std::vector<std::pair<ZnodeReader*, std::size_t>> by_reader;  // a round has one reader, or a few
    for (const Reply& reply : batch) {
      const WalkJob& job = states_[reply.job].job;
      if (job.watches != WalkWatches::kNone) continue;
      auto it = std::find_if(by_reader.begin(), by_reader.end(),
                             [&](const auto& entry) { return entry.first == job.reader; });
      if (it == by_reader.end()) it = by_reader.insert(by_reader.end(), {job.reader, 0});
      ++it->second;
    }
    for (const auto& [reader, replies] : by_reader) reader->NoteBusyWalk(replies, busy);
  }

  // The most sessions one of the round's readers spreads its requests over now: plain reads over a pool's
  // sessions in use, watched reads over the watch shards. The window's floor is per session (32 each): the
  // window is one for the round, and 32 split over 4 sessions is 8 in flight on each, too few to keep a
  // connection busy between round trips. The bare client over 4 sessions was slowest at 128 in flight in
  // several runs; the window had drifted to 32-64 in a third of the exporter's walks (README, Benchmarks).
  [[nodiscard]] std::size_t SessionsInUse() const {
    std::size_t most = 1;
    for (const Reader& r : readers_) {
      most = std::max(
          most, r.watches == WalkWatches::kSet ? r.reader->WatchShardCount() : r.reader->WalkSessionsInUse());
    }
    return most;
  }

  Clock::time_point EarliestDeadline() const {
    Clock::time_point earliest = Clock::time_point::max();
    for (const JobState& s : states_) {
      if (!s.ended) earliest = std::min(earliest, s.deadline);
    }
    return earliest;
  }

  // Nothing in flight and nothing more it may issue. (A job held back by the round's window has paths
  // pending and is not finished.)
  static bool Finished(const JobState& s) {
    const bool more = !s.summary.stopped && !s.pending.empty() && s.issued < s.job.limits.max_znodes;
    return s.outstanding == 0 && !more;
  }

  // Ends a job whose timeout ran out. Without its root read, the walk says nothing about the subtree (not
  // even that it is gone): a failure, not an empty result.
  void TimedOut(std::size_t index, JobState& s) {
    s.summary.truncated_timeout = true;
    if (s.summary.visited == 0 && s.summary.status.ok()) {
      s.summary.status = Status::DeadlineExceeded("the walk's timeout ran out before its root was read");
    }
    End(index, s);
  }

  void End(std::size_t index, JobState& s) {
    s.ended = true;
    --active_;
    active_outstanding_ -= s.outstanding;
    late_outstanding_ += s.outstanding;
    s.pending.clear();
    s.pending.shrink_to_fit();
    s.summary.duration = s.started ? Now() - s.started_at : Clock::duration::zero();
    s.summary.in_flight_window = window_->size();
    const Clock::time_point before = Clock::now();
    done_(index, std::move(s.summary));
    paused_ += Clock::now() - before;
  }

  // The round's own clock, which stops while `done` runs: deadlines, start times and durations are on it,
  // so a slow `done` for one job spends none of the others' timeouts.
  [[nodiscard]] Clock::time_point Now() const { return Clock::now() - paused_; }
  [[nodiscard]] Clock::time_point ToReal(Clock::time_point on_round_clock) const {
    if (on_round_clock >= Clock::time_point::max() - paused_) return Clock::now() + kMaxTimeout;
    return on_round_clock + paused_;
  }

  // Issues job `index`'s requests while slots (its own cap, the round's `window`), paths and the znode budget
  // allow. False when its deadline passed.
  bool IssueRequests(std::size_t index, JobState& s, std::size_t window) {
    while (s.outstanding < s.max_in_flight && active_outstanding_ < window && !s.pending.empty() &&
           s.issued < s.job.limits.max_znodes) {
      if (!s.started) {
        s.started = true;
        s.started_at = Now();
        // Clamp so that a "forever" timeout cannot overflow the time point.
        s.deadline =
            s.started_at + std::clamp(s.job.limits.timeout, std::chrono::milliseconds::zero(), kMaxTimeout);
      }
      if (Now() >= s.deadline) return false;
      const std::size_t slot = paths_.Hold(std::move(s.pending.back()));
      s.pending.pop_back();
      ++s.issued;
      ++s.outstanding;
      ++active_outstanding_;
      const std::string& path = paths_.At(slot).path;  // stays put until the reply is handled
      ChildrenCallback done = [channel = channel_, index, slot, issued = Clock::now()](
                                  Status status, ChildrenResult result) mutable {
        try {
          MutexLock lock(channel->mu);
          channel->replies.push_back({index, slot, issued, std::move(status), std::move(result)});
          if (channel->replies.size() == channel->wake_at) channel->cv.notify_one();
        } catch (...) {
          // Out of memory: the walk will time out rather than see this reply. Never throw into the reader.
        }
      };
      ZnodeReader& reader = *s.job.reader;
      if (s.job.watches == WalkWatches::kSet) {
        // The data watch first: a change between the two reads then fires it, so nothing is missed.
        reader.WatchExists(path, [](const Status&, const ZnodeStat&) {});
        reader.WatchChildren2(path, std::move(done));
      } else {
        reader.GetChildren2(path, std::move(done));
      }
    }
    return true;
  }

  // Processes one reply of a job. False when the job must stop (root failure, lost connection, shutdown).
  static bool Handle(JobState& s, const PendingPath& read, Reply& reply) {
    WalkSummary& summary = s.summary;
    if (!reply.status.ok()) {
      if (read.depth == 0) {  // the root: whatever went wrong fails the walk
        summary.status = std::move(reply.status);
        return false;
      }
      switch (reply.status.code()) {
        case StatusCode::kNotFound: ++summary.no_node; return true;
        case StatusCode::kPermissionDenied: ++summary.no_auth; return true;
        case StatusCode::kUnavailable:
        case StatusCode::kCancelled: summary.status = std::move(reply.status); return false;
        default: ++summary.errors; return true;
      }
    }

    const WalkedZnode znode{read.path, read.depth, &reply.result.stat};
    const bool go_on = s.job.visit(znode);
    ++summary.visited;
    if (summary.stopped) return true;  // draining what was in flight: nothing more is read
    if (!go_on) {
      summary.stopped = true;
      s.pending.clear();
      return true;
    }

    if (read.depth >= s.job.limits.max_depth) {
      if (reply.result.stat.num_children > 0 || !reply.result.children.empty()) {
        summary.truncated_depth = true;
      }
      return true;
    }
    // Reverse order so that the stack pops children in server order.
    for (auto it = reply.result.children.rbegin(); it != reply.result.children.rend(); ++it) {
      s.pending.push_back({JoinZnodePath(read.path, *it), read.depth + 1});
    }
    return true;
  }

  // After a job failed: give the requests it left outstanding a short grace to land (their replies are
  // discarded), within the deadlines. Not required for safety: callbacks only touch the shared Channel.
  void WaitBriefly() {
    bool any_failed = false;
    Clock::time_point until = Clock::now() + kFailureGrace;
    for (const JobState& s : states_) {
      if (s.failed && s.outstanding > 0) {
        any_failed = true;
        until = std::min(until, ToReal(s.deadline));
      }
    }
    if (!any_failed) return;
    MutexLock lock(channel_->mu);
    while (late_outstanding_ > 0) {
      if (!channel_->cv.wait_until(channel_->mu, until,
                                   [&]() REQUIRES(channel_->mu) { return !channel_->replies.empty(); })) {
        return;
      }
      late_outstanding_ -= std::min(late_outstanding_, channel_->replies.size());
      channel_->replies.clear();
    }
  }

  const std::function<void(std::size_t, WalkSummary)>& done_;
  std::shared_ptr<Channel> channel_;

  // Walking thread only.
  std::vector<JobState> states_;
  InFlightPaths paths_;
  std::vector<Reply> batch_;  // the replies being handled; its capacity is reused
  // The round's distinct readers (a round has one, or a few), by the kind of reads its jobs send them.
  struct Reader {
    ZnodeReader* reader = nullptr;
    WalkWatches watches = WalkWatches::kNone;
    bool operator==(const Reader&) const = default;
  };
  std::vector<Reader> readers_;
  Clock::duration paused_{0};  // time spent in done_ so far
  // The whole round keeps to the largest of its jobs' caps, so that a round of many small walks does not
  // fill the session's cap (whose backpressure would wake this thread for every reply); within it, to the
  // window measured for this round.
  std::size_t round_cap_ = 1;
  std::optional<InFlightWindow> window_;
  Clock::time_point last_batch_ = Now();  // when the last batch of replies was handled (round clock)
  std::size_t cursor_ = 0;                // the job that issues first in the next pass
  std::size_t active_ = 0;                // jobs not ended
  std::size_t active_outstanding_ = 0;    // requests in flight for jobs not ended
  std::size_t late_outstanding_ = 0;      // requests in flight for jobs that ended (replies discarded)
};

WalkSummary WalkOne(ZnodeReader& reader, const std::string& root, const WalkLimits& limits,
                    std::function<bool(const WalkedZnode&)> visit, WalkWatches watches) {
  std::vector<WalkJob> jobs(1);
  jobs[0] = WalkJob{&reader, root, limits, std::move(visit), watches};
  WalkSummary result;
  WalkSubtrees(jobs, [&](std::size_t, WalkSummary summary) { result = std::move(summary); });
  return result;
}

}  // namespace

WalkSummary WalkSubtree(ZnodeReader& reader, const std::string& root, const WalkLimits& limits,
                        const std::function<void(const WalkedZnode&)>& visit) {
  return WalkSubtree(reader, root, limits, visit, WalkWatches::kNone);
}

WalkSummary WalkSubtree(ZnodeReader& reader, const std::string& root, const WalkLimits& limits,
                        const std::function<void(const WalkedZnode&)>& visit, WalkWatches watches) {
  return WalkOne(
      reader, root, limits,
      [&visit](const WalkedZnode& z) {
        visit(z);
        return true;
      },
      watches);
}

WalkSummary WalkSubtreeUntil(ZnodeReader& reader, const std::string& root, const WalkLimits& limits,
                             const std::function<bool(const WalkedZnode&)>& visit, WalkWatches watches) {
  return WalkOne(reader, root, limits, visit, watches);
}

void WalkSubtrees(const std::vector<WalkJob>& jobs,
                  const std::function<void(std::size_t job, WalkSummary summary)>& done) {
  if (jobs.empty()) return;
  Walker walker(jobs, done);
  walker.Run();
}

}  // namespace zkx::zk
