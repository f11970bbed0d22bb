// ValueTracker (see value_tracker.h): match, read what changed, decode, aggregate, cap.
#include "collectors/value_tracker.h"

#include <algorithm>
#include <condition_variable>
#include <deque>
#include <utility>

#include "base/mutex.h"
#include "base/thread_annotations.h"

namespace zkx::collectors {
namespace {

constexpr std::size_t kReasons = static_cast<std::size_t>(ValueErrorReason::kCount_);

struct DataReply {
  std::size_t index = 0;  // into the todo list
  Status status;
  std::string data;
  zk::ZnodeStat stat;
};

// Completions -> the reading thread; outlives Finish() when callbacks still hold it.
struct DataChannel {
  Mutex mu;
  std::condition_variable_any cv;  // waits on mu
  std::deque<DataReply> replies GUARDED_BY(mu);
};

double Combine(ValueAggregate aggregate, double a, double b) {
  switch (aggregate) {
    case ValueAggregate::kSum:
    case ValueAggregate::kCount: return a + b;
    case ValueAggregate::kMin: return std::min(a, b);
    case ValueAggregate::kMax: return std::max(a, b);
    case ValueAggregate::kNone: break;
  }
  return b;
}

// ZooKeeper rewrites a quota's usage znode, /zookeeper/quota/<path>/zookeeper_stats, in place: its
// DataTree.updateCountBytes assigns the node's data without a transaction, so mzxid and version stay and no
// data watch fires (seen on 3.8.0: "count=1,bytes=0" became "count=3,bytes=7" under the same mZxid). Its
// mzxid marks no change: such a znode is read on every pass.
bool RewrittenInPlace(std::string_view path) {
  return path.starts_with("/zookeeper/quota/") && path.ends_with("/zookeeper_stats");
}

bool PatternIsFixed(const ValuePathPattern& p) {
  return p.label_names().empty() && p.text().find_first_of("*?") == std::string::npos;
}

}  // namespace

ValueTracker::ValueTracker(std::shared_ptr<const ValueRuleSet> rules, std::size_t max_series,
                           std::size_t max_in_flight, std::chrono::milliseconds timeout)
    : rules_(std::move(rules)),
      max_series_(max_series),
      max_in_flight_(std::clamp<std::size_t>(max_in_flight, 1, kMaxDataInFlight)),
      timeout_(timeout) {
  const std::size_t n = rules_ ? rules_->rules.size() : 0;
  errors_total_.assign(n, std::vector<uint64_t>(kReasons, 0));
  failing_.assign(n, std::vector<uint64_t>(kReasons, 0));
}

void ValueTracker::Add(std::string_view path, const zk::ZnodeStat& stat) {
  if (!rules_) return;
  Pending p;
  for (std::size_t i = 0; i < rules_->rules.size(); ++i) {
    const ValueRule& rule = rules_->rules[i];
    LabelPairs captures;
    if (!rule.pattern.Match(path, &captures)) continue;
    p.matches.push_back({i, std::move(captures)});
    p.needs_data = p.needs_data || rule.NeedsData();
  }
  if (p.matches.empty()) return;
  p.path = std::string(path);
  p.stat = stat;
  pending_.push_back(std::move(p));
}

std::shared_ptr<const ValueSnapshot> ValueTracker::FromNodes(
    const std::map<std::string, zk::ZnodeStat>& nodes, zk::ZnodeReader& reader) {
  for (const auto& [path, stat] : nodes) Add(path, stat);
  return Finish(reader);
}

void ValueTracker::Count(std::size_t rule, ValueErrorReason reason, bool fresh) {
  const auto r = static_cast<std::size_t>(reason);
  if (fresh) ++errors_total_[rule][r];
  ++failing_[rule][r];
}

void ValueTracker::ReadChanged(zk::ZnodeReader& reader, std::map<std::string, Cached>* next,
                               bool* incomplete) {
  // Which znodes need a read: data rules, and no decode for their current mzxid.
  std::vector<std::size_t> todo;
  for (std::size_t i = 0; i < pending_.size(); ++i) {
    Pending& p = pending_[i];
    if (!p.needs_data) continue;
    auto it = cache_.find(p.path);
    if (it != cache_.end() && it->second.mzxid == p.stat.mzxid && !it->second.vanished &&
        !RewrittenInPlace(p.path)) {
      (*next)[p.path] = std::move(it->second);
      continue;
    }
    if (static_cast<std::size_t>(std::max(p.stat.data_length, 0)) > kMaxDecodeBytes) {
      Cached c;
      c.mzxid = p.stat.mzxid;
      for (const RuleMatch& m : p.matches) {
        DecodeOutcome o;
        if (rules_->rules[m.rule].NeedsData()) {
          o.error = ValueErrorReason::kTooLarge;
          ++errors_total_[m.rule][static_cast<std::size_t>(ValueErrorReason::kTooLarge)];
        }
        c.outcomes.push_back(std::move(o));
      }
      (*next)[p.path] = std::move(c);
      continue;
    }
    todo.push_back(i);
  }
  if (todo.empty()) return;

  auto channel = std::make_shared<DataChannel>();
  const auto deadline = std::chrono::steady_clock::now() + timeout_;
  std::size_t issued = 0;
  std::size_t outstanding = 0;
  bool stop = false;
  auto handle = [&](DataReply& reply) {
    const Pending& p = pending_[todo[reply.index]];
    if (reply.status.code() == StatusCode::kUnavailable || reply.status.code() == StatusCode::kCancelled) {
      stop = true;
      *incomplete = true;
      return;
    }
    Cached c;
    if (reply.status.code() == StatusCode::kNotFound) {
      c.vanished = true;  // deleted since the walk: no sample, no error; re-read if it comes back
      (*next)[p.path] = std::move(c);
      return;
    }
    c.mzxid = reply.status.ok() ? reply.stat.mzxid : p.stat.mzxid;
    for (const RuleMatch& m : p.matches) {
      const ValueRule& rule = rules_->rules[m.rule];
      DecodeOutcome o;
      if (rule.NeedsData()) {
        if (!reply.status.ok()) {
          o.error = ValueErrorReason::kReadError;
        } else {
          o = DecodeValue(rule, reply.data, reply.stat);
        }
        if (o.error) ++errors_total_[m.rule][static_cast<std::size_t>(*o.error)];
      }
      c.outcomes.push_back(std::move(o));
    }
    if (!reply.status.ok()) c.mzxid = -1;  // a failed read is retried next pass
    (*next)[p.path] = std::move(c);
  };

  while (!stop && (issued < todo.size() || outstanding > 0)) {
    while (!stop && outstanding < max_in_flight_ && issued < todo.size()) {
      const std::size_t index = issued++;
      ++outstanding;
      ++data_reads_total_;
      reader.GetData(pending_[todo[index]].path,
                     [channel, index](Status s, std::string data, zk::ZnodeStat stat) {
                       try {
                         MutexLock lock(channel->mu);
                         channel->replies.push_back({index, std::move(s), std::move(data), stat});
                         channel->cv.notify_one();
                       } catch (...) {
                         // Out of memory: this reply is lost and the pass times out. Never throw into the
                         // reader.
                       }
                     });
    }
    std::deque<DataReply> batch;
    {
      MutexLock lock(channel->mu);
      while (channel->replies.empty() &&
             channel->cv.wait_until(channel->mu, deadline) != std::cv_status::timeout) {
      }
      if (channel->replies.empty()) {
        *incomplete = true;
        break;
      }
      batch.swap(channel->replies);
    }
    outstanding -= batch.size();
    for (DataReply& reply : batch) {
      handle(reply);
      if (stop) break;
    }
  }
  // Unread znodes keep their previous decode (if any) rather than vanish for one pass.
  for (std::size_t i = 0; i < todo.size(); ++i) {
    const Pending& p = pending_[todo[i]];
    if (next->count(p.path) != 0) continue;
    auto it = cache_.find(p.path);
    if (it != cache_.end()) {
      Cached c = std::move(it->second);
      c.mzxid = -1;  // re-read next pass
      (*next)[p.path] = std::move(c);
    }
  }
}

std::shared_ptr<const ValueSnapshot> ValueTracker::Finish(zk::ZnodeReader& reader) {
  auto snap = std::make_shared<ValueSnapshot>();
  snap->rules = rules_;
  if (!rules_) return snap;
  const std::size_t n = rules_->rules.size();
  for (auto& v : failing_) std::fill(v.begin(), v.end(), 0);
  snap->matched.assign(n, 0);

  std::sort(pending_.begin(), pending_.end(),
            [](const Pending& a, const Pending& b) { return a.path < b.path; });
  std::map<std::string, Cached> next;
  bool incomplete = false;
  ReadChanged(reader, &next, &incomplete);

  // (rule, labels) -> value, in order; duplicates aggregate or are errors.
  std::map<std::pair<std::size_t, LabelPairs>, double> out;
  for (const Pending& p : pending_) {
    const Cached* cached = nullptr;
    if (auto it = next.find(p.path); it != next.end()) cached = &it->second;
    if (p.needs_data && cached != nullptr && cached->vanished) continue;  // deleted since the walk
    for (std::size_t k = 0; k < p.matches.size(); ++k) {
      const RuleMatch& m = p.matches[k];
      const ValueRule& rule = rules_->rules[m.rule];
      ++snap->matched[m.rule];
      DecodeOutcome fresh;
      const DecodeOutcome* o = nullptr;
      if (rule.NeedsData()) {
        if (cached == nullptr || k >= cached->outcomes.size()) continue;  // unread this pass (deadline)
        o = &cached->outcomes[k];
        if (o->error) Count(m.rule, *o->error, /*fresh=*/false);  // counted in errors_total when decoded
      } else {
        fresh = DecodeValue(rule, {}, p.stat);
        if (fresh.error) Count(m.rule, *fresh.error, /*fresh=*/true);
        o = &fresh;
      }
      for (const ValueSample& s : o->samples) {
        LabelPairs labels = rule.const_labels;
        labels.insert(labels.end(), m.captures.begin(), m.captures.end());
        labels.insert(labels.end(), s.labels.begin(), s.labels.end());
        const double v = rule.aggregate == ValueAggregate::kCount ? 1.0 : s.value;
        auto [it, inserted] = out.try_emplace({m.rule, std::move(labels)}, v);
        if (inserted) continue;
        if (rule.aggregate == ValueAggregate::kNone) {
          Count(m.rule, ValueErrorReason::kDuplicateSeries, true);
        } else {
          it->second = Combine(rule.aggregate, it->second, v);
        }
      }
    }
  }
  // Fixed paths that matched nothing: their absent_value.
  for (std::size_t i = 0; i < n; ++i) {
    const ValueRule& rule = rules_->rules[i];
    if (!rule.absent_value || snap->matched[i] != 0 || !PatternIsFixed(rule.pattern)) continue;
    out.try_emplace({i, rule.const_labels}, *rule.absent_value);
  }
  for (auto& [key, value] : out) {
    if (snap->series.size() >= max_series_) {
      snap->series_truncated = true;
      break;
    }
    snap->series.push_back({key.first, key.second, value});
  }
  cache_ = std::move(next);
  pending_.clear();
  snap->errors_total = errors_total_;
  snap->failing = failing_;
  snap->data_reads_total = data_reads_total_;
  snap->reads_incomplete = incomplete;
  return snap;
}

}  // namespace zkx::collectors
