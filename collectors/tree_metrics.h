#pragma once
// Builds the tree collector's metric families from subtree views: a pure function, unit-tested directly.
// Metric names are a contract (dashboards and alerts depend on them); see README.md's metric reference.

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include <prometheus/metric_family.h>

#include "collectors/family_sink.h"
#include "collectors/subtree_view.h"

namespace zkx::collectors {

struct TreeEntry {
  std::string root;
  std::chrono::milliseconds refresh_interval{0};
  std::shared_ptr<const SubtreeView> view;  // never null
};

// One family per metric name, samples in `entries` order. Aggregate and per-znode gauges appear only for
// subtrees that have had a successful walk; refresh counters appear for every entry. Families without
// samples are left out.
// Memory: the per-znode families (zookeeper_znode_*, up to max_znode_series samples per subtree each) are
// built and added one at a time, so that a text sink holds one of them at once (family_sink.h).
void BuildTreeFamilies(const std::vector<TreeEntry>& entries, FamilySink out);

}  // namespace zkx::collectors
