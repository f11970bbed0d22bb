#pragma once
// ValueTracker: the value rules of one subtree, applied to what a walk (or a watch-mode mirror) saw.
//
// Per pass: Add() every walked znode (only those matching a rule are kept), then Finish() reads the data of
// the matching znodes whose data changed since the last pass (a znode's mzxid is the change marker: an
// unchanged znode is never re-read, in poll and in watch mode alike; the exception is ZooKeeper's quota usage
// znodes, /zookeeper/quota/**/zookeeper_stats, which the server rewrites without a new mzxid and which are
// read on every pass), pipelined with at most
// min(max_in_flight, kMaxDataInFlight) GetData requests outstanding and within the walk's time budget,
// decodes it (value_rule.h), and builds an immutable ValueSnapshot. Rules whose decoder needs no data
// (presence, Stat fields) cost no request.
//
// Bounds: at most `max_series` samples per subtree (the subtree's max_znode_series; the smallest by rule and
// labels are kept and series_truncated says so); at most kMaxDataInFlight data replies held at once.
// Errors: per rule and reason, a cumulative counter (decode attempts that failed) and the number of znodes
// failing as of this pass. A znode that vanished between the walk and its read is neither.
//
// Thread-safety: none; owned by one refresher thread. Reader callbacks touch only a shared reply channel,
// so late completions after Finish() returned (timeout) are harmless. `reader` must outlive Finish().

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "collectors/value_rule.h"
#include "zk/znode_reader.h"
#include "zk/znode_stat.h"

namespace zkx::collectors {

struct ValueSeries {
  std::size_t rule = 0;  // index into ValueSnapshot::rules->rules
  LabelPairs labels;     // constant labels, path captures, then decoded labels
  double value = 0;
};

struct ValueSnapshot {
  std::shared_ptr<const ValueRuleSet> rules;
  std::vector<ValueSeries> series;  // sorted by rule, then labels
  // [rule][reason]: cumulative failed decodes, and znodes failing as of this pass.
  std::vector<std::vector<uint64_t>> errors_total;
  std::vector<std::vector<uint64_t>> failing;
  std::vector<uint64_t> matched;  // [rule]: znodes matching the rule in this pass
  bool series_truncated = false;
  uint64_t data_reads_total = 0;  // cumulative GetData requests
  bool reads_incomplete = false;  // the deadline or a lost connection left znodes unread this pass
};

class ValueTracker {
 public:
  static constexpr std::size_t kMaxDataInFlight = 128;

  ValueTracker(std::shared_ptr<const ValueRuleSet> rules, std::size_t max_series, std::size_t max_in_flight,
               std::chrono::milliseconds timeout);

  // Records a walked znode if any rule matches it.
  void Add(std::string_view path, const zk::ZnodeStat& stat);
  // Reads what changed, decodes, and returns the snapshot of this pass; clears what Add() recorded.
  std::shared_ptr<const ValueSnapshot> Finish(zk::ZnodeReader& reader);
  // Forgets what Add() recorded (a failed walk); the cache of decoded data stays.
  void Abandon() { pending_.clear(); }
  // Watch mode: Add() every znode of a mirror, then Finish().
  std::shared_ptr<const ValueSnapshot> FromNodes(const std::map<std::string, zk::ZnodeStat>& nodes,
                                                 zk::ZnodeReader& reader);

 private:
  struct RuleMatch {
    std::size_t rule = 0;
    LabelPairs captures;
  };
  struct Pending {
    std::string path;
    zk::ZnodeStat stat;
    std::vector<RuleMatch> matches;
    bool needs_data = false;
  };
  struct Cached {
    int64_t mzxid = 0;
    std::vector<DecodeOutcome> outcomes;  // [index into Pending::matches], data rules only
    bool vanished = false;
  };

  void ReadChanged(zk::ZnodeReader& reader, std::map<std::string, Cached>* next, bool* incomplete);
  void Count(std::size_t rule, ValueErrorReason reason, bool fresh);

  const std::shared_ptr<const ValueRuleSet> rules_;
  const std::size_t max_series_;
  const std::size_t max_in_flight_;
  const std::chrono::milliseconds timeout_;
  std::vector<Pending> pending_;
  std::map<std::string, Cached> cache_;  // path -> decoded data as of its mzxid
  std::vector<std::vector<uint64_t>> errors_total_;
  std::vector<std::vector<uint64_t>> failing_;
  uint64_t data_reads_total_ = 0;
};

}  // namespace zkx::collectors
