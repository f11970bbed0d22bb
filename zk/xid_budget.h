#pragma once
// XidBudget: how many requests this process may still send before the C client's xid reaches the values its
// reply parser treats as special (ZOOKEEPER-3286; zk/README.md, "xid wrap-around").
//
// The C client keeps ONE process-wide int32_t xid (mt_adaptor.c, get_xid): a library constructor sets it to
// time(0) when the library is loaded, and every request takes the next value, wrapping from INT32_MAX to
// INT32_MIN. Replies with xid -1 (watch event), -2 (ping), -4 (auth) and -8 (SetWatches) are handled before
// request matching (zookeeper.c, zookeeper_process): once a request's xid is one of those, its reply is
// swallowed or parsed as a watch event. Starting near 1.8e9 (2026), that is about 2.5e9 requests away; only a
// new process starts the counter again.
//
// The budget counts the requests issued (every zoo_a* call the session makes) and says when fewer than
// `margin` remain before xid -8, the first special value on the way up. The decision is pure arithmetic on
// the starting xid and the count, so tests inject a start close to the limit.
// Thread-safety: Count and the queries are lock-free and may be called from any thread.

#include <atomic>
#include <cstdint>

namespace zkx::zk {

class XidBudget {
 public:
  // The first special xid met counting up from a positive start (then -4, -2, -1 follow).
  static constexpr int32_t kFirstSpecialXid = -8;
  // Stop sending this many requests before the special values: days at thousands of requests a second.
  static constexpr uint64_t kDefaultMargin = uint64_t{1} << 28;  // 268,435,456 requests

  // `first_xid`: the client's xid when counting starts (an over-estimate is safe: it leaves fewer requests).
  explicit XidBudget(int32_t first_xid, uint64_t margin = kDefaultMargin);

  void Count(uint64_t requests) { issued_.fetch_add(requests, std::memory_order_relaxed); }
  [[nodiscard]] uint64_t Issued() const { return issued_.load(std::memory_order_relaxed); }
  // Requests left before the xid reaches kFirstSpecialXid (0 once there or past).
  [[nodiscard]] uint64_t Remaining() const;
  // True once Remaining() <= margin: the process must stop sending and be restarted.
  [[nodiscard]] bool Exhausted() const { return Remaining() <= margin_; }
  [[nodiscard]] uint64_t margin() const { return margin_; }

 private:
  const uint64_t distance_;  // requests from first_xid to kFirstSpecialXid
  const uint64_t margin_;
  std::atomic<uint64_t> issued_{0};
};

// The process's budget, created on first use with first_xid = time(0) + 1: the client's constructor ran
// earlier (at load) with a smaller or equal time(0) and took one xid, so this over-estimates the xid.
XidBudget& ProcessXidBudget();

}  // namespace zkx::zk
