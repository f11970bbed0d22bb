// ParseValueRules (see value_rules_config.h).
#include "exporter/value_rules_config.h"

#include <algorithm>
#include <cmath>
#include <exception>
#include <set>
#include <utility>
#include <vector>

#include "base/quote.h"
#include "base/read_number.h"
#include "collectors/znode_pattern.h"

namespace zkx::exporter {
namespace {

using collectors::ValueAggregate;
using collectors::ValueDecoder;
using collectors::ValueFunction;
using collectors::ValueRule;

// The exporter's own metric prefixes: a rule may not define a family the exporter already exposes.
constexpr const char* kReservedPrefixes[] = {"zookeeper_subtree_", "zookeeper_znode_",
                                             "zookeeper_value_",   "zookeeper_session_",
                                             "zookeeper_server_",  "zookeeper_exporter_",
                                             "zookeeper_watches_", "zookeeper_collector_",
                                             "zookeeper_probe_",   "process_"};

constexpr std::string_view kRuleKeys =
    "name, path, decoder, field, regex, function, wildcard_labels, count_label, value_map, "
    "value_map_default, "
    "missing_value, aggregate, absent_value, metric, help, type, labels";

class RuleParser {
 public:
  RuleParser(const std::string& root, const std::string& source, std::map<std::string, int>* metric_lines)
      : root_(root), source_(source), metric_lines_(metric_lines) {}

  Status Error(const YAML::Mark& mark, std::string_view problem) const {
    std::string m = source_;
    if (!mark.is_null()) m += ":" + std::to_string(mark.line + 1);
    const std::string quoted = QuoteForMessage(problem);  // one line, control characters escaped
    m += ": value_rules: ";
    m.append(quoted, 1, quoted.size() - 2);
    return Status::InvalidArgument(std::move(m));
  }

  Result<std::shared_ptr<const collectors::ValueRuleSet>> Parse(const YAML::Node& list) {
    auto set = std::make_shared<collectors::ValueRuleSet>();
    if (!list.IsSequence()) return Error(list.Mark(), "want a list of rules");
    std::set<std::string> names;
    for (const YAML::Node& entry : list) {
      Result<ValueRule> rule = ParseRule(entry);
      if (!rule.ok()) return rule.status();
      if (!names.insert(rule->name).second) {
        return Error(entry.Mark(), "duplicate rule name " + QuoteForMessage(rule->name));
      }
      set->rules.push_back(std::move(rule).value());
    }
    set->fingerprint = root_ + "\n" + YAML::Dump(list);
    return std::shared_ptr<const collectors::ValueRuleSet>(std::move(set));
  }

 private:
  Result<std::string> Scalar(const std::string& key, const YAML::Node& v) const {
    if (!v.IsScalar()) return Error(v.Mark(), key + ": want a string");
    return v.Scalar();
  }

  Result<double> Number(const std::string& key, const YAML::Node& v) const {
    Result<std::string> text = Scalar(key, v);
    if (!text.ok()) return text.status();
    double d = 0;
    if (ReadNumber(*text, d) != NumberRead::kOk || !std::isfinite(d)) {
      return Error(v.Mark(), key + ": want a number, got " + QuoteForMessage(*text));
    }
    return d;
  }

  Status LabelName(const std::string& key, const YAML::Node& v, const std::string& name) const {
    if (!collectors::IsValidLabelName(name)) {
      return Error(v.Mark(), key + ": " + QuoteForMessage(name) + " is not a valid label name");
    }
    return Status::Ok();
  }

  Result<ValueRule> ParseRule(const YAML::Node& entry) {
    if (!entry.IsMap()) return Error(entry.Mark(), "each rule must be a map");
    ValueRule rule;
    std::string path_text;
    std::string decoder = "number";
    std::string function = "value";
    std::string aggregate = "none";
    std::string type = "gauge";
    bool has_field = false;
    bool has_count_label = false;
    YAML::Node wildcard_labels;
    YAML::Node value_map;
    YAML::Node labels;
    YAML::Node absent_node;
    std::set<std::string> seen;
    for (const auto& kv : entry) {
      const YAML::Node& key_node = kv.first;
      const YAML::Node& v = kv.second;
      if (!key_node.IsScalar()) return Error(key_node.Mark(), "rule keys must be plain strings");
      const std::string key = key_node.Scalar();
      if (!seen.insert(key).second) return Error(key_node.Mark(), "duplicate key " + QuoteForMessage(key));
      Result<std::string> text = std::string();
      if (key == "name" || key == "path" || key == "decoder" || key == "field" || key == "regex" ||
          key == "function" || key == "count_label" || key == "aggregate" || key == "metric" ||
          key == "help" || key == "type") {
        text = Scalar(key, v);
        if (!text.ok()) return text.status();
      }
      if (key == "name") {
        rule.name = *text;
        if (!collectors::IsValidLabelName(rule.name)) {
          return Error(v.Mark(), "name: want letters, digits and '_', got " + QuoteForMessage(rule.name));
        }
      } else if (key == "path") {
        path_text = *text;
      } else if (key == "decoder") {
        decoder = *text;
      } else if (key == "field") {
        rule.field = *text;
        has_field = true;
      } else if (key == "regex") {
        rule.regex_text = *text;
      } else if (key == "function") {
        function = *text;
      } else if (key == "count_label") {
        rule.count_label = *text;
        has_count_label = true;
        if (Status s = LabelName(key, v, rule.count_label); !s.ok()) return s;
      } else if (key == "aggregate") {
        aggregate = *text;
      } else if (key == "metric") {
        rule.metric = *text;
      } else if (key == "help") {
        rule.help = *text;
      } else if (key == "type") {
        type = *text;
      } else if (key == "wildcard_labels") {
        wildcard_labels = v;
      } else if (key == "value_map") {
        value_map = v;
      } else if (key == "labels") {
        labels = v;
      } else if (key == "value_map_default" || key == "missing_value" || key == "absent_value") {
        Result<double> d = Number(key, v);
        if (!d.ok()) return d.status();
        if (key == "value_map_default") rule.value_map_default = *d;
        if (key == "missing_value") rule.missing_value = *d;
        if (key == "absent_value") {
          rule.absent_value = *d;
          absent_node = v;
        }
      } else {
        return Error(key_node.Mark(), "unknown key " + QuoteForMessage(key) + " in a rule (want " +
                                          std::string(kRuleKeys) + ")");
      }
    }
    const YAML::Mark at = entry.Mark();
    if (rule.name.empty()) return Error(at, "a rule has no name");
    const std::string where = "rule " + rule.name + ": ";
    if (path_text.empty()) return Error(at, where + "no path");
    if (rule.metric.empty()) return Error(at, where + "no metric");

    // Path: relative to the root, or absolute inside it.
    const std::string resolved = collectors::ZnodePattern::Resolve(root_, path_text);
    Result<collectors::ValuePathPattern> pattern = collectors::ValuePathPattern::Parse(resolved);
    if (!pattern.ok()) return Error(at, where + pattern.status().message());
    const std::string prefix = root_ == "/" ? "/" : root_ + "/";
    if (resolved != root_ && resolved.compare(0, prefix.size(), prefix) != 0) {
      return Error(at, where + "path " + QuoteForMessage(resolved) + " is outside the subtree " + root_);
    }
    rule.pattern = std::move(pattern).value();

    // Decoder.
    if (decoder == "number") {
      rule.decoder = ValueDecoder::kNumber;
    } else if (decoder == "json") {
      rule.decoder = ValueDecoder::kJson;
    } else if (decoder == "kv") {
      rule.decoder = ValueDecoder::kKeyValue;
    } else if (decoder == "regex") {
      rule.decoder = ValueDecoder::kRegex;
    } else if (decoder == "none") {
      rule.decoder = ValueDecoder::kNone;
    } else if (decoder == "stat") {
      rule.decoder = ValueDecoder::kStat;
    } else {
      return Error(
          at, where + "decoder: want json, number, kv, regex, none or stat, got " + QuoteForMessage(decoder));
    }
    if (rule.decoder == ValueDecoder::kJson) {
      if (!has_field) {
        return Error(at, where + "the json decoder needs a field (\"/\" for the whole document)");
      }
      Result<std::vector<std::string>> segments = collectors::ParseJsonFieldPath(rule.field);
      if (!segments.ok()) return Error(at, where + "field: " + segments.status().message());
      rule.json_path = std::move(segments).value();
    } else if (rule.decoder == ValueDecoder::kKeyValue) {
      if (!has_field || rule.field.empty()) {
        return Error(at, where + "the kv decoder needs a field (the key)");
      }
    } else if (rule.decoder == ValueDecoder::kStat) {
      if (!collectors::IsStatField(rule.field)) {
        return Error(at, where +
                             "the stat decoder needs a field: num_children, data_length, version, cversion, "
                             "aversion, ctime, mtime or ephemeral");
      }
    } else if (has_field) {
      return Error(at, where + "field applies to the json, kv and stat decoders only");
    }
    if (rule.decoder == ValueDecoder::kRegex) {
      if (rule.regex_text.empty()) return Error(at, where + "the regex decoder needs a regex");
      try {
        auto re = std::make_shared<std::regex>(rule.regex_text, std::regex::ECMAScript);
        if (re->mark_count() < 1) return Error(at, where + "regex needs a capture group: the value");
        rule.regex = std::move(re);
      } catch (const std::exception& e) {
        return Error(at,
                     where + "regex " + QuoteForMessage(rule.regex_text) + " does not compile: " + e.what());
      }
    } else if (!rule.regex_text.empty()) {
      return Error(at, where + "regex applies to the regex decoder only");
    }

    // Function.
    if (function == "value") {
      rule.function = ValueFunction::kValue;
    } else if (function == "length") {
      rule.function = ValueFunction::kLength;
    } else if (function == "count") {
      rule.function = ValueFunction::kCount;
    } else if (function == "count_by") {
      rule.function = ValueFunction::kCountBy;
    } else {
      return Error(
          at, where + "function: want value, length, count or count_by, got " + QuoteForMessage(function));
    }
    if (rule.function != ValueFunction::kValue &&
        (rule.decoder == ValueDecoder::kNone || rule.decoder == ValueDecoder::kStat)) {
      return Error(at, where + "function " + function + " needs a decoder that reads data");
    }
    if (rule.function == ValueFunction::kLength && rule.decoder != ValueDecoder::kJson) {
      return Error(at, where + "function length needs the json decoder");
    }
    if (has_count_label && rule.function != ValueFunction::kCountBy) {
      return Error(at, where + "count_label applies to function count_by only");
    }

    // Labels: constant, captured, from "*", count_by; all distinct.
    std::vector<std::string> label_names = rule.pattern.label_names();
    const auto wildcards =
        static_cast<std::size_t>(std::count(rule.json_path.begin(), rule.json_path.end(), "*"));
    if (wildcard_labels && !wildcard_labels.IsNull()) {
      if (!wildcard_labels.IsSequence()) {
        return Error(wildcard_labels.Mark(), where + "wildcard_labels: want a list");
      }
      for (const YAML::Node& n : wildcard_labels) {
        Result<std::string> name = Scalar("wildcard_labels", n);
        if (!name.ok()) return name.status();
        if (Status s = LabelName("wildcard_labels", n, *name); !s.ok()) return s;
        rule.wildcard_labels.push_back(*name);
      }
    }
    const bool labelled = rule.function == ValueFunction::kValue || rule.function == ValueFunction::kLength;
    if (labelled && rule.wildcard_labels.size() != wildcards) {
      return Error(at, where + "field has " + std::to_string(wildcards) + " '*' but wildcard_labels names " +
                           std::to_string(rule.wildcard_labels.size()));
    }
    if (!labelled && !rule.wildcard_labels.empty()) {
      return Error(at,
                   where + "wildcard_labels do not apply to function " + function + " (it sums over '*')");
    }
    if (!labelled) rule.wildcard_labels.assign(wildcards, "_");  // expansion needs a name; never exposed
    if (labelled) {
      label_names.insert(label_names.end(), rule.wildcard_labels.begin(), rule.wildcard_labels.end());
    }
    if (rule.function == ValueFunction::kCountBy) label_names.push_back(rule.count_label);
    if (labels && !labels.IsNull()) {
      if (!labels.IsMap()) return Error(labels.Mark(), where + "labels: want a map of label: value");
      for (const auto& kv : labels) {
        Result<std::string> name = Scalar("labels", kv.first);
        if (!name.ok()) return name.status();
        Result<std::string> value = Scalar("labels", kv.second);
        if (!value.ok()) return value.status();
        if (Status s = LabelName("labels", kv.first, *name); !s.ok()) return s;
        rule.const_labels.emplace_back(*name, *value);
        label_names.push_back(*name);
      }
    }
    std::set<std::string> distinct;
    for (const std::string& l : label_names) {
      if (!distinct.insert(l).second) {
        return Error(at, where + "label " + QuoteForMessage(l) + " is defined twice");
      }
    }

    if (value_map && !value_map.IsNull()) {
      if (!value_map.IsMap()) return Error(value_map.Mark(), where + "value_map: want a map of text: number");
      if (rule.function != ValueFunction::kValue) {
        return Error(at, where + "value_map applies to function value only");
      }
      for (const auto& kv : value_map) {
        Result<std::string> key = Scalar("value_map", kv.first);
        if (!key.ok()) return key.status();
        Result<double> d = Number("value_map", kv.second);
        if (!d.ok()) return d.status();
        rule.value_map[*key] = *d;
      }
    } else if (rule.value_map_default) {
      return Error(at, where + "value_map_default needs a value_map");
    }

    if (aggregate == "none") {
      rule.aggregate = ValueAggregate::kNone;
    } else if (aggregate == "sum") {
      rule.aggregate = ValueAggregate::kSum;
    } else if (aggregate == "count") {
      rule.aggregate = ValueAggregate::kCount;
    } else if (aggregate == "min") {
      rule.aggregate = ValueAggregate::kMin;
    } else if (aggregate == "max") {
      rule.aggregate = ValueAggregate::kMax;
    } else {
      return Error(at,
                   where + "aggregate: want none, sum, count, min or max, got " + QuoteForMessage(aggregate));
    }
    if (rule.absent_value && (!rule.pattern.label_names().empty() ||
                              rule.pattern.text().find_first_of("*?") != std::string::npos)) {
      return Error(absent_node.Mark(),
                   where + "absent_value needs a fixed path (no wildcards, no {captures})");
    }

    // Metric.
    if (!collectors::IsValidMetricName(rule.metric)) {
      return Error(at, where + "metric " + QuoteForMessage(rule.metric) + " is not a valid metric name");
    }
    for (const char* reserved : kReservedPrefixes) {
      if (rule.metric.rfind(reserved, 0) == 0) {
        return Error(at, where + "metric " + rule.metric + " uses the exporter's own prefix " + reserved);
      }
    }
    const bool total =
        rule.metric.size() > 6 && rule.metric.compare(rule.metric.size() - 6, 6, "_total") == 0;
    if (type == "counter") {
      rule.counter = true;
      if (!total) return Error(at, where + "a counter's name must end in _total");
    } else if (type == "gauge") {
      if (total) return Error(at, where + "a gauge's name must not end in _total");
    } else {
      return Error(at, where + "type: want gauge or counter, got " + QuoteForMessage(type));
    }
    if (auto [it, inserted] = metric_lines_->emplace(rule.metric, at.line + 1); !inserted) {
      return Error(at, where + "metric " + rule.metric + " is already defined by the rule at line " +
                           std::to_string(it->second));
    }
    if (rule.help.empty()) rule.help = "Value rule " + rule.name + " of subtree " + root_ + ".";
    return rule;
  }

  const std::string& root_;
  const std::string& source_;
  std::map<std::string, int>* metric_lines_;
};

}  // namespace

Result<std::shared_ptr<const collectors::ValueRuleSet>> ParseValueRules(
    const YAML::Node& list, const std::string& root, const std::string& source,
    std::map<std::string, int>* metric_lines) {
  try {
    RuleParser parser(root, source, metric_lines);
    return parser.Parse(list);
  } catch (const std::exception& e) {
    return Status::InvalidArgument(source + ": value_rules: " + e.what());
  }
}

}  // namespace zkx::exporter
