#pragma once
// The `value_rules` list of a subtree in the configuration file (see README "Value rules"):
//
//   subtrees:
//     - root: /brokers
//       value_rules:
//         - name: partition_leader                        # the rule's id (label `rule` of the error counter)
//           path: topics/{topic}/partitions/{partition}/state   # relative to root, or absolute inside it
//           decoder: json          # json | number | kv | regex | none (presence: 1) | stat (a Stat field)
//           field: /leader         # json: JSON pointer or dotted path ("*" expands); kv: key; stat: field
//           regex: 'id=(\d+)'      # regex: the first capture group is the value
//           function: value        # value | length | count | count_by
//           wildcard_labels: [p]   # json: one label name per "*" of field
//           count_label: state     # count_by: the label holding each distinct value (default "value")
//           value_map: {ACTIVE: 1} # scalar text -> number
//           value_map_default: 0   # for scalars not in value_map (else they are errors)
//           missing_value: 0       # for a missing key (else it is an error)
//           aggregate: none        # none | sum | count | min | max, across znodes with equal labels
//           absent_value: 0        # fixed paths only: the value when the znode does not exist
//           metric: zookeeper_kafka_partition_leader
//           help: Leader broker id of the partition (-1 offline).
//           type: gauge            # gauge | counter (name must end in _total)
//           labels: {cluster: main}
//
// Every problem is "<source>:<line>: <problem>", like the rest of the file. Metric names are unique across
// the whole file (`metric_lines` collects them) and may not use the exporter's own prefixes.
// Thread-safety: pure functions.

#include <map>
#include <memory>
#include <string>

#include <yaml-cpp/yaml.h>

#include "base/status.h"
#include "collectors/value_rule.h"

namespace zkx::exporter {

// `list` is the value of a subtree's `value_rules` key; `root` is the subtree's normalised root.
// `metric_lines`: metric name -> line of the rule that defines it, shared by every subtree of one file.
Result<std::shared_ptr<const collectors::ValueRuleSet>> ParseValueRules(
    const YAML::Node& list, const std::string& root, const std::string& source,
    std::map<std::string, int>* metric_lines);

}  // namespace zkx::exporter
