#pragma once
// Value rules: metrics from what znodes *say*. A rule names the znodes it applies to with a path pattern
// whose
// `{name}` segments become labels, decodes each matching znode's data (a number, a JSON document, key=value
// text, a regex capture; or no data at all: presence, or a Stat field), optionally maps strings to numbers or
// counts/sizes arrays, and yields samples of one metric family.
//
// Semantics, per znode and rule (DecodeValue):
//   - Every problem is an error with a `reason` (ValueErrorReason): the znode then yields no sample for that
//     rule (or only the branches that decoded, under a JSON `*`), the error is counted in
//     zookeeper_value_errors_total{root,rule,reason}, and nothing ever becomes 0 silently.
//   - A missing key (JSON field, key=value key) or a JSON null is `missing_key`, unless the rule sets
//     `missing_value`, which is then the sample's value (no error).
//   - Map keys match the JSON text of a scalar ("ACTIVE", "-1", "true"). With `value_map_default`, every
//     scalar the map does not name gets the default, numbers included. Without it, a scalar not in the map
//     is its number, and a string that is no number is `unmapped_value` (`not_a_number` without a map).
//   - JSON booleans are 1 and 0; numbers in strings ("1700000000000") are numbers.
// Pure functions over values; a ValueRule is immutable after parsing and shared read-only across threads.

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <regex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/status.h"
#include "zk/znode_stat.h"

namespace zkx::collectors {

using LabelPairs = std::vector<std::pair<std::string, std::string>>;

// A path pattern with captures: "/brokers/topics/{topic}/partitions/{partition}/state".
//   literal segment; '*' / '?' globs within a segment; '**' any number of whole segments;
//   '{name}' one whole segment, captured as label `name`; '{name:**}' one or more whole segments, captured
//   (joined by '/') as label `name`.
class ValuePathPattern {
 public:
  static Result<ValuePathPattern> Parse(std::string_view absolute);
  // True if `path` matches; appends the captures (in pattern order) to *captures when it does.
  bool Match(std::string_view path, LabelPairs* captures) const;
  [[nodiscard]] const std::vector<std::string>& label_names() const { return labels_; }
  [[nodiscard]] const std::string& text() const { return text_; }

  struct Segment {
    enum class Kind { kLiteral, kGlob, kDoubleStar, kCapture, kCaptureMany };
    Kind kind = Kind::kLiteral;
    std::string text;  // literal / glob text, or the capture's label name
  };

 private:
  bool MatchFrom(std::size_t seg, const std::vector<std::string_view>& parts, std::size_t part,
                 LabelPairs* captures) const;
  std::string text_;
  std::vector<Segment> segments_;
  std::vector<std::string> labels_;
};

enum class ValueDecoder {
  kNone,      // no data read: the value is 1 for every matching znode (presence)
  kStat,      // no data read: a Stat field (`field`: num_children, data_length, version, ...)
  kNumber,    // the whole data, trimmed, is a number (or a value_map key)
  kJson,      // a JSON document; `field` is a JSON pointer ("/isr") or a dotted path ("partitions.*")
  kKeyValue,  // lines of key=value; `field` is the key
  kRegex,     // the first capture group of `regex` found in the data (at most kMaxRegexBytes are searched)
};

enum class ValueFunction {
  kValue,    // the scalar itself (one sample per match of a JSON `*`)
  kLength,   // the number of elements of a JSON array or object
  kCount,    // the number of matches of the JSON path (0 when a `*` matches nothing): one sample
  kCountBy,  // one sample per distinct scalar matched, labelled `count_label`, value = how many
};

enum class ValueAggregate { kNone, kSum, kCount, kMin, kMax };  // across znodes with equal labels

enum class ValueErrorReason {
  kReadError,        // the data read failed (other than the znode vanishing)
  kTooLarge,         // data larger than the rule's decoders accept
  kEmpty,            // no data
  kInvalidJson,      // not a JSON document
  kMissingKey,       // the field / key is absent or null
  kNotScalar,        // an object or array where a scalar was wanted
  kNotCountable,     // `length` of something that is not an array or object
  kNotANumber,       // text that is not a number (no value_map)
  kUnmappedValue,    // a string not in value_map (and no value_map_default)
  kNoMatch,          // the regex did not match
  kTooManyValues,    // a JSON `*` or count_by produced more than kMaxValuesPerZnode samples
  kDuplicateSeries,  // two znodes gave the same label set to a rule without `aggregate`
  kCount_,           // number of reasons (not a reason)
};
const char* ValueErrorReasonName(ValueErrorReason reason);

struct ValueRule {
  std::string name;  // the rule's id: the `rule` label of zookeeper_value_errors_total
  ValuePathPattern pattern;
  ValueDecoder decoder = ValueDecoder::kNumber;
  std::string field;                         // as written (json / kv / stat)
  std::vector<std::string> json_path;        // kJson: unescaped segments; "*" expands objects and arrays
  std::vector<std::string> wildcard_labels;  // kJson: one label name per "*" of json_path
  std::string regex_text;
  std::shared_ptr<const std::regex> regex;  // kRegex
  std::map<std::string, double, std::less<>> value_map;
  std::optional<double> value_map_default;
  std::optional<double> missing_value;
  ValueFunction function = ValueFunction::kValue;
  std::string count_label = "value";  // kCountBy
  ValueAggregate aggregate = ValueAggregate::kNone;
  std::optional<double> absent_value;  // a pattern without wildcards: the sample when the znode is absent
  std::string metric;
  std::string help;
  bool counter = false;  // metric type counter (name ends in _total), else gauge
  LabelPairs const_labels;

  [[nodiscard]] bool NeedsData() const {
    return decoder != ValueDecoder::kNone && decoder != ValueDecoder::kStat;
  }
};

// The rules of one subtree, immutable once built. `fingerprint` identifies the configuration (equality of
// SubtreeSpecs: an unchanged rule set keeps its refresher running across SIGHUP).
struct ValueRuleSet {
  std::vector<ValueRule> rules;
  std::string fingerprint;
};

struct ValueSample {
  LabelPairs
      labels;  // from JSON `*` and count_by (path captures and constant labels are added by the caller)
  double value = 0;
};

struct DecodeOutcome {
  std::vector<ValueSample> samples;
  std::optional<ValueErrorReason> error;  // set when something failed (samples may still hold good branches)
};

inline constexpr std::size_t kMaxValuesPerZnode = 1000;
inline constexpr std::size_t kMaxRegexBytes = 4096;
inline constexpr std::size_t kMaxDecodeBytes = std::size_t{1} << 20;  // ZooKeeper's default jute.maxbuffer

// Decodes one znode's data (or Stat) under `rule`. Never throws.
DecodeOutcome DecodeValue(const ValueRule& rule, std::string_view data, const zk::ZnodeStat& stat);

// Field-path helpers, exposed for the config parser and tests.
// "/a/b~1c/*" (JSON pointer, ~0 ~1 escapes) or "a.b.*" (dotted) -> segments; "" or "/" -> whole document.
Result<std::vector<std::string>> ParseJsonFieldPath(std::string_view field);
// The Stat fields kStat accepts.
bool IsStatField(std::string_view field);
// A Prometheus metric / label name.
bool IsValidMetricName(std::string_view name);
bool IsValidLabelName(std::string_view name);

}  // namespace zkx::collectors
