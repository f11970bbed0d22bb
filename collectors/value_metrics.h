#pragma once
// Builds the value rules' metric families (each rule's own family, plus zookeeper_value_* about the rules)
// from the subtree views' latest snapshots, at scrape time. A pure function.

#include <vector>

#include <prometheus/metric_family.h>

#include "collectors/tree_metrics.h"

namespace zkx::collectors {

// Adds to `out`: one family per rule metric (samples of every subtree whose last snapshot has values),
// zookeeper_value_errors_total{root,rule,reason} (failed decodes, cumulative),
// zookeeper_value_failing_znodes{root,rule,reason} (znodes failing as of the last pass),
// zookeeper_value_rule_matched_znodes{root,rule}, zookeeper_value_series_truncated{root} and
// zookeeper_value_data_reads_total{root}. Nothing for subtrees without value rules.
void AppendValueFamilies(const std::vector<TreeEntry>& entries, FamilySink out);

}  // namespace zkx::collectors
