#pragma once
// SubtreeSpec: what to walk and how often. Built by the exporter from flags and the config file,
// consumed by the tree collector. A plain value type.

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "collectors/value_rule.h"
#include "zk/subtree_walk.h"

namespace zkx::collectors {

// How a subtree is kept fresh. kPoll: a full walk every refresh_interval. kWatch: one full walk, then a
// one-shot data and child watch on every znode so that only what changed is re-read, with a full resync
// every resync_interval and after every reconnect (see collectors/watch_refresher.h).
enum class RefreshMode { kPoll, kWatch };

// "poll" / "watch": the `mode` label values and the config/flag spelling.
inline const char* RefreshModeName(RefreshMode mode) {
  return mode == RefreshMode::kWatch ? "watch" : "poll";
}

struct SubtreeSpec {
  std::string root;  // absolute, normalised ("/", "/brokers"; no trailing slash except "/")
  std::chrono::milliseconds refresh_interval{30000};
  zk::WalkLimits limits;  // depth, znode count, in-flight and time caps for one walk
  // Glob patterns of znodes that get per-znode series (the root always does). '*' matches within one path
  // segment, '**' matches any number of whole segments, '?' one character. Absolute ("/brokers/ids/*");
  // a pattern without a leading '/' is relative to `root`.
  std::vector<std::string> znode_patterns;
  std::size_t max_znode_series = 1000;  // cap on znodes with per-znode series in this subtree
  RefreshMode refresh_mode = RefreshMode::kPoll;
  std::chrono::milliseconds resync_interval{600000};  // watch mode: full resync period (safety net)
  // ACL audit (opt-in): after each full walk, read the ACL of up to acl_audit_max_znodes znodes (one more
  // request each) and count those open to world:anyone and those carrying each ACL scheme.
  bool acl_audit = false;
  std::size_t acl_audit_max_znodes = 10000;
  // Value rules (collectors/value_rule.h): metrics from the data of matching znodes. Null: none.
  std::shared_ptr<const ValueRuleSet> value_rules;

  // Every field by value, the value rules by content: a reload builds new rule objects for the same rules.
  friend bool operator==(const SubtreeSpec& a, const SubtreeSpec& b) {
    const auto rules = [](const SubtreeSpec& s) {
      return s.value_rules ? s.value_rules->fingerprint : std::string();
    };
    return a.root == b.root && a.refresh_interval == b.refresh_interval && a.refresh_mode == b.refresh_mode &&
           a.resync_interval == b.resync_interval && a.limits == b.limits &&
           a.znode_patterns == b.znode_patterns && a.max_znode_series == b.max_znode_series &&
           a.acl_audit == b.acl_audit && a.acl_audit_max_znodes == b.acl_audit_max_znodes &&
           rules(a) == rules(b);
  }
};

}  // namespace zkx::collectors
