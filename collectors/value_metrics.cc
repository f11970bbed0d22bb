// AppendValueFamilies (see value_metrics.h).
#include "collectors/value_metrics.h"

#include <map>
#include <string>

#include "collectors/family_builder.h"

namespace zkx::collectors {

using prometheus::MetricFamily;
using prometheus::MetricType;

void AppendValueFamilies(const std::vector<TreeEntry>& entries, FamilySink out) {
  std::map<std::string, MetricFamily> rule_families;  // by metric name: exposition in name order
  MetricFamily errors =
      MakeFamily("zookeeper_value_errors_total",
                 "Value rule decodes that failed, by subtree, rule and reason (each failing read "
                 "counts once; unchanged znodes are not re-read).",
                 MetricType::Counter);
  MetricFamily failing =
      MakeFamily("zookeeper_value_failing_znodes",
                 "Znodes whose data a value rule could not turn into a sample as of the last "
                 "pass, by subtree, rule and reason.",
                 MetricType::Gauge);
  MetricFamily matched =
      MakeFamily("zookeeper_value_rule_matched_znodes",
                 "Znodes matching the value rule's path pattern in the last pass.", MetricType::Gauge);
  MetricFamily truncated = MakeFamily(
      "zookeeper_value_series_truncated",
      "1 if the subtree's value rules produced more samples than max_znode_series.", MetricType::Gauge);
  MetricFamily reads =
      MakeFamily("zookeeper_value_data_reads_total",
                 "Data reads (GetData requests) made for the subtree's value rules.", MetricType::Counter);
  for (const TreeEntry& e : entries) {
    if (!e.view || !e.view->last_success || !e.view->last_success->values) continue;
    const ValueSnapshot& v = *e.view->last_success->values;
    if (!v.rules) continue;
    const auto& rules = v.rules->rules;
    for (const ValueSeries& s : v.series) {
      const ValueRule& rule = rules[s.rule];
      auto [it, inserted] = rule_families.try_emplace(rule.metric);
      if (inserted) {
        it->second =
            MakeFamily(rule.metric, rule.help, rule.counter ? MetricType::Counter : MetricType::Gauge);
      }
      std::vector<Label> labels;
      labels.reserve(s.labels.size());
      for (const auto& [name, value] : s.labels) labels.push_back({name, value});
      AddSample(&it->second, s.value, std::move(labels));
    }
    for (std::size_t r = 0; r < rules.size(); ++r) {
      AddSample(&matched, static_cast<double>(r < v.matched.size() ? v.matched[r] : 0),
                {{"root", e.root}, {"rule", rules[r].name}});
      for (std::size_t reason = 0; reason < static_cast<std::size_t>(ValueErrorReason::kCount_); ++reason) {
        const char* name = ValueErrorReasonName(static_cast<ValueErrorReason>(reason));
        if (r < v.errors_total.size() && v.errors_total[r][reason] > 0) {
          AddSample(&errors, static_cast<double>(v.errors_total[r][reason]),
                    {{"reason", name}, {"root", e.root}, {"rule", rules[r].name}});
        }
        if (r < v.failing.size() && v.failing[r][reason] > 0) {
          AddSample(&failing, static_cast<double>(v.failing[r][reason]),
                    {{"reason", name}, {"root", e.root}, {"rule", rules[r].name}});
        }
      }
    }
    AddSample(&truncated, v.series_truncated ? 1 : 0, {{"root", e.root}});
    AddSample(&reads, static_cast<double>(v.data_reads_total), {{"root", e.root}});
  }
  for (auto& [name, family] : rule_families) out.Add(std::move(family));
  for (MetricFamily* f : {&errors, &failing, &matched, &truncated, &reads}) {
    if (!f->metric.empty()) out.Add(std::move(*f));
  }
}

}  // namespace zkx::collectors
