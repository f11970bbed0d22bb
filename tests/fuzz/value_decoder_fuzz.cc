// Fuzzes the value-rule decoders (collectors/value_rule.cc) with a fixed set of rules covering every decoder
// and function: whatever a znode holds, DecodeValue returns samples or a reason, never crashes, never throws.
// The first byte picks the rule; the rest is the znode's data. The path-pattern matcher is fuzzed too.
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "collectors/value_rule.h"

namespace {

using zkx::collectors::ParseJsonFieldPath;
using zkx::collectors::ValueDecoder;
using zkx::collectors::ValueFunction;
using zkx::collectors::ValuePathPattern;
using zkx::collectors::ValueRule;

ValueRule Json(std::string_view field, ValueFunction f, std::vector<std::string> labels) {
  ValueRule r;
  r.decoder = ValueDecoder::kJson;
  r.json_path = ParseJsonFieldPath(field).value();
  r.function = f;
  r.wildcard_labels = std::move(labels);
  return r;
}

std::vector<ValueRule> MakeRules() {
  std::vector<ValueRule> rules;
  rules.push_back(Json("/leader", ValueFunction::kValue, {}));
  rules.push_back(Json("/isr", ValueFunction::kLength, {}));
  rules.push_back(Json("/partitions/*", ValueFunction::kLength, {"p"}));
  rules.push_back(Json("/*/shards/*/replicas/*/state", ValueFunction::kCountBy, {"_", "_", "_"}));
  rules.push_back(Json("/a/*/b/*", ValueFunction::kCount, {"_", "_"}));
  ValueRule mapped = Json("/state", ValueFunction::kValue, {});
  mapped.value_map = {{"ACTIVE", 1}, {"-1", 2}};
  rules.push_back(mapped);
  ValueRule number;
  number.decoder = ValueDecoder::kNumber;
  rules.push_back(number);
  ValueRule kv;
  kv.decoder = ValueDecoder::kKeyValue;
  kv.field = "count";
  rules.push_back(kv);
  ValueRule re;
  re.decoder = ValueDecoder::kRegex;
  re.regex = std::make_shared<std::regex>(R"(([0-9]+)(?:\.([0-9]+))?)");
  rules.push_back(re);
  // The quota preset's regexes (deploy/examples/quotas.yml) over StatsTrack text.
  ValueRule quota;
  quota.decoder = ValueDecoder::kRegex;
  quota.regex = std::make_shared<std::regex>("(?:^|[,;])countHardLimit=(-?[0-9]+)");
  quota.missing_value = -1;
  rules.push_back(quota);
  return rules;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  static const std::vector<ValueRule> rules = MakeRules();
  static const ValuePathPattern pattern = ValuePathPattern::Parse("/{a:**}/x/**/{b}/_c_*-lock-*").value();
  if (size == 0) return 0;
  const ValueRule& rule = rules[data[0] % rules.size()];
  const std::string_view text(reinterpret_cast<const char*>(data + 1), size - 1);
  (void)zkx::collectors::DecodeValue(rule, text, zkx::zk::ZnodeStat{});
  zkx::collectors::LabelPairs captures;
  (void)pattern.Match(text, &captures);
  (void)ValuePathPattern::Parse(text);
  (void)ParseJsonFieldPath(text);
  return 0;
}
