// WalkSubtree: a pipelined, capped walk of one subtree through a ZnodeReader (see subtree_walk.h).
//
// The walking thread issues up to max_in_flight GetChildren2 requests; completions (any thread) only push
// their result into a Channel and notify. The Channel is shared with every callback through a shared_ptr,
// so completions that arrive after the walk has returned (timeout, lost connection) are harmless.
// Pending paths live in a LIFO stack (depth-first), which keeps memory near depth x fan-out.
#include "zk/subtree_walk.h"

#include <algorithm>
#include <condition_variable>
#include <deque>
#include <memory>
#include <utility>
#include <vector>

#include "base/mutex.h"
#include "base/thread_annotations.h"
#include "base/znode_path.h"

namespace zkx::zk {
namespace {

// Replies are handed to the walking thread in batches: it is woken when kMaxBatch replies (or a quarter of
// those outstanding) wait, or after kBatchLinger. Every wake-up is a context switch, and on small machines
// context switches, not parsing, are what a walk costs the client (a profile of a 100,000-znode walk).
constexpr std::size_t kMaxBatch = 64;
constexpr std::chrono::microseconds kBatchLinger{1000};
// How long a walk that lost its connection waits for its outstanding requests before returning.
constexpr std::chrono::milliseconds kFailureGrace{200};
// Longest walk budget honoured (a larger WalkLimits::timeout means "no limit" in practice).
constexpr std::chrono::milliseconds kMaxTimeout = std::chrono::hours(24 * 365);

struct Reply {
  std::string path;
  int depth = 0;
  Status status;
  ChildrenResult result;
};

// Completions -> walking thread. Outlives the walk when callbacks still hold it.
struct Channel {
  Mutex mu;
  std::condition_variable_any cv;
  std::deque<Reply> replies GUARDED_BY(mu);
  std::size_t wake_at GUARDED_BY(mu) = 1;  // notify when replies reach this many
};

struct PendingPath {
  std::string path;
  int depth = 0;
};

class Walker {
 public:
  Walker(ZnodeReader& reader, const WalkLimits& limits, const std::function<bool(const WalkedZnode&)>& visit,
         WalkWatches watches)
      : reader_(reader),
        watches_(watches),
        limits_(limits),
        max_in_flight_(std::max<std::size_t>(limits.max_in_flight, 1)),
        visit_(visit),
        channel_(std::make_shared<Channel>()) {}

  WalkSummary Run(const std::string& root) {
    const auto start = std::chrono::steady_clock::now();
    // Clamp so that a "forever" timeout cannot overflow the time point.
    deadline_ = start + std::clamp(limits_.timeout, std::chrono::milliseconds::zero(), kMaxTimeout);
    pending_.push_back({root, 0});
    RunLoop();
    summary_.duration = std::chrono::steady_clock::now() - start;
    return std::move(summary_);
  }

 private:
  void RunLoop() {
    for (;;) {
      if (!summary_.stopped && !IssueRequests()) return;  // timeout
      if (!summary_.stopped && issued_ >= limits_.max_znodes && !pending_.empty()) {
        summary_.truncated_znodes = true;
      }
      if (outstanding_ == 0) return;  // done: nothing in flight and nothing more we may issue

      std::deque<Reply> batch;
      {
        // Wait for a batch (bounded by what is outstanding), or for the linger after which any reply will
        // do, or for the deadline.
        const std::size_t want = std::clamp<std::size_t>(outstanding_ / 4, 1, kMaxBatch);
        MutexLock lock(channel_->mu);
        const auto linger_until = std::min(deadline_, std::chrono::steady_clock::now() + kBatchLinger);
        channel_->wake_at = want;
        channel_->cv.wait_until(channel_->mu, linger_until,
                                [&]() REQUIRES(channel_->mu) { return channel_->replies.size() >= want; });
        channel_->wake_at = 1;
        if (!channel_->cv.wait_until(channel_->mu, deadline_,
                                     [&]() REQUIRES(channel_->mu) { return !channel_->replies.empty(); })) {
          summary_.truncated_timeout = true;  // return at once; late completions only touch the Channel
          return;
        }
        batch.swap(channel_->replies);
      }
      outstanding_ -= batch.size();
      for (Reply& reply : batch) {
        if (!Handle(reply)) {
          WaitBriefly();
          return;
        }
      }
    }
  }

  // Issues requests while slots, paths and the znode budget allow. False when the deadline passed.
  bool IssueRequests() {
    while (outstanding_ < max_in_flight_ && !pending_.empty() && issued_ < limits_.max_znodes) {
      if (std::chrono::steady_clock::now() >= deadline_) {
        summary_.truncated_timeout = true;
        return false;
      }
      PendingPath next = std::move(pending_.back());
      pending_.pop_back();
      ++issued_;
      ++outstanding_;
      std::string path = next.path;  // the request's copy; the callback keeps its own
      ChildrenCallback done = [channel = channel_, p = std::move(next.path), depth = next.depth](
                                  Status status, ChildrenResult result) mutable {
        try {
          MutexLock lock(channel->mu);
          channel->replies.push_back({std::move(p), depth, std::move(status), std::move(result)});
          if (channel->replies.size() == channel->wake_at) channel->cv.notify_one();
        } catch (...) {
          // Out of memory: the walk will time out rather than see this reply. Never throw into the reader.
        }
      };
      if (watches_ == WalkWatches::kSet) {
        // The data watch first: a change between the two reads then fires it, so nothing is missed.
        reader_.WatchExists(path, [](Status, ZnodeStat) {});
        reader_.WatchChildren2(path, std::move(done));
      } else {
        reader_.GetChildren2(path, std::move(done));
      }
    }
    return true;
  }

  // Processes one reply. False when the walk must stop (root failure, lost connection, shutdown).
  bool Handle(Reply& reply) {
    if (!reply.status.ok()) {
      if (reply.depth == 0) {  // the root: whatever went wrong fails the walk
        summary_.status = std::move(reply.status);
        return false;
      }
      switch (reply.status.code()) {
        case StatusCode::kNotFound: ++summary_.no_node; return true;
        case StatusCode::kPermissionDenied: ++summary_.no_auth; return true;
        case StatusCode::kUnavailable:
        case StatusCode::kCancelled: summary_.status = std::move(reply.status); return false;
        default: ++summary_.errors; return true;
      }
    }

    const WalkedZnode znode{reply.path, reply.depth, &reply.result.stat};
    const bool go_on = visit_(znode);
    ++summary_.visited;
    if (summary_.stopped) return true;  // draining what was in flight: nothing more is read
    if (!go_on) {
      summary_.stopped = true;
      pending_.clear();
      return true;
    }

    if (reply.depth >= limits_.max_depth) {
      if (reply.result.stat.num_children > 0 || !reply.result.children.empty()) {
        summary_.truncated_depth = true;
      }
      return true;
    }
    // Reverse order so that the stack pops children in server order.
    for (auto it = reply.result.children.rbegin(); it != reply.result.children.rend(); ++it) {
      pending_.push_back({JoinZnodePath(reply.path, *it), reply.depth + 1});
    }
    return true;
  }

  // After a failure: give outstanding requests a short grace to land (their replies are discarded).
  // Not required for safety: callbacks only touch the shared Channel.
  void WaitBriefly() {
    const auto until = std::min(deadline_, std::chrono::steady_clock::now() + kFailureGrace);
    MutexLock lock(channel_->mu);
    while (outstanding_ > 0) {
      if (!channel_->cv.wait_until(channel_->mu, until,
                                   [&]() REQUIRES(channel_->mu) { return !channel_->replies.empty(); })) {
        return;
      }
      outstanding_ -= std::min(outstanding_, channel_->replies.size());
      channel_->replies.clear();
    }
  }

  ZnodeReader& reader_;
  const WalkWatches watches_;
  const WalkLimits& limits_;
  const std::size_t max_in_flight_;
  const std::function<bool(const WalkedZnode&)>& visit_;
  std::shared_ptr<Channel> channel_;

  // Walking thread only.
  std::chrono::steady_clock::time_point deadline_{};
  std::vector<PendingPath> pending_;  // LIFO
  std::size_t issued_ = 0;
  std::size_t outstanding_ = 0;
  WalkSummary summary_;
};

}  // namespace

WalkSummary WalkSubtree(ZnodeReader& reader, const std::string& root, const WalkLimits& limits,
                        const std::function<void(const WalkedZnode&)>& visit) {
  return WalkSubtree(reader, root, limits, visit, WalkWatches::kNone);
}

WalkSummary WalkSubtree(ZnodeReader& reader, const std::string& root, const WalkLimits& limits,
                        const std::function<void(const WalkedZnode&)>& visit, WalkWatches watches) {
  const std::function<bool(const WalkedZnode&)> always = [&visit](const WalkedZnode& z) {
    visit(z);
    return true;
  };
  Walker walker(reader, limits, always, watches);
  return walker.Run(root);
}

WalkSummary WalkSubtreeUntil(ZnodeReader& reader, const std::string& root, const WalkLimits& limits,
                             const std::function<bool(const WalkedZnode&)>& visit, WalkWatches watches) {
  Walker walker(reader, limits, visit, watches);
  return walker.Run(root);
}

}  // namespace zkx::zk
