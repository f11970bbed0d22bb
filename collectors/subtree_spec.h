#pragma once
// SubtreeSpec: what to walk and how often. Built by the exporter from flags and the config file,
// consumed by the tree collector. A plain value type.

#include <chrono>
#include <cstddef>
#include <string>
#include <vector>

#include "zk/subtree_walk.h"

namespace zkx::collectors {

struct SubtreeSpec {
  std::string root;  // absolute, normalised ("/", "/brokers"; no trailing slash except "/")
  std::chrono::milliseconds refresh_interval{30000};
  zk::WalkLimits limits;  // depth, znode count, in-flight and time caps for one walk
  // Glob patterns of znodes that get per-znode series (the root always does). '*' matches within one path
  // segment, '**' matches any number of whole segments, '?' one character. Absolute ("/brokers/ids/*");
  // a pattern without a leading '/' is relative to `root`.
  std::vector<std::string> znode_patterns;
  std::size_t max_znode_series = 1000;  // cap on znodes with per-znode series in this subtree

  friend bool operator==(const SubtreeSpec& a, const SubtreeSpec& b) {
    return a.root == b.root && a.refresh_interval == b.refresh_interval &&
           a.limits.max_depth == b.limits.max_depth && a.limits.max_znodes == b.limits.max_znodes &&
           a.limits.max_in_flight == b.limits.max_in_flight && a.limits.timeout == b.limits.timeout &&
           a.znode_patterns == b.znode_patterns && a.max_znode_series == b.max_znode_series;
  }
};

}  // namespace zkx::collectors
