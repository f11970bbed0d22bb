// The `value_rules` key of the config file (exporter/value_rules_config.h) and the presets in
// deploy/examples.
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "exporter/config.h"

namespace zkx::exporter {
namespace {

using testing::AllOf;
using testing::HasSubstr;
using testing::StartsWith;

constexpr char kSource[] = "/etc/zkx.yml";

std::string Error(const std::string& rules_yaml, const std::string& root = "/brokers") {
  const std::string yaml = "subtrees:\n  - root: " + root + "\n    value_rules:\n" + rules_yaml;
  Result<FileConfig> r = ParseConfigYaml(yaml, kSource);
  EXPECT_FALSE(r.ok()) << yaml;
  return r.ok() ? "" : r.status().message();
}

TEST(ValueRulesConfigTest, ParsesAFullRule) {
  constexpr char kYaml[] = R"(subtrees:
  - root: /brokers
    value_rules:
      - name: offline
        path: topics/{topic}/partitions/{partition}/state
        decoder: json
        field: /leader
        value_map: {"-1": 1}
        value_map_default: 0
        metric: zookeeper_kafka_partition_offline
        help: Offline.
        labels: {cluster: main}
      - name: replicas
        path: /brokers/topics/{topic}
        decoder: json
        field: partitions.*
        function: length
        wildcard_labels: [partition]
        metric: zookeeper_kafka_partition_replicas
)";
  Result<FileConfig> r = ParseConfigYaml(kYaml, kSource);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->subtrees.size(), 1u);
  const auto& rules = r->subtrees[0].value_rules;
  ASSERT_NE(rules, nullptr);
  ASSERT_EQ(rules->rules.size(), 2u);
  const collectors::ValueRule& offline = rules->rules[0];
  EXPECT_EQ(offline.pattern.text(), "/brokers/topics/{topic}/partitions/{partition}/state");
  EXPECT_EQ(offline.value_map.at("-1"), 1);
  EXPECT_EQ(offline.value_map_default, 0);
  EXPECT_EQ(offline.const_labels.size(), 1u);
  EXPECT_EQ(rules->rules[1].json_path, (std::vector<std::string>{"partitions", "*"}));
  // Same file, same fingerprint: an unchanged rule set keeps its refresher across SIGHUP.
  Result<FileConfig> again = ParseConfigYaml(kYaml, kSource);
  EXPECT_TRUE(r->subtrees[0] == again->subtrees[0]);
}

TEST(ValueRulesConfigTest, ErrorsNameFileAndLine) {
  EXPECT_THAT(Error("      - name: x\n        path: ids/*\n        decoder: jsn\n        metric: m\n"),
              StartsWith("/etc/zkx.yml:4: value_rules: rule x: decoder: want json"));
  EXPECT_THAT(Error("      - name: x\n        path: ids/*\n        bogus: 1\n        metric: m\n"),
              AllOf(StartsWith("/etc/zkx.yml:6:"), HasSubstr("unknown key \"bogus\"")));
  EXPECT_THAT(Error("      - name: x\n        path: /elsewhere\n        metric: m\n"),
              HasSubstr("outside the subtree"));
  EXPECT_THAT(Error("      - name: x\n        path: ids/*\n        decoder: json\n        metric: m\n"),
              HasSubstr("needs a field"));
  EXPECT_THAT(Error("      - name: x\n        path: t/{t}\n        decoder: json\n        field: /p/*\n"
                    "        metric: m\n"),
              HasSubstr("wildcard_labels names 0"));
  EXPECT_THAT(Error("      - name: x\n        path: t/{t}\n        decoder: regex\n        regex: '('\n"
                    "        metric: m\n"),
              HasSubstr("does not compile"));
  EXPECT_THAT(Error("      - name: x\n        path: t/{t}\n        decoder: regex\n        regex: 'a'\n"
                    "        metric: m\n"),
              HasSubstr("capture group"));
  EXPECT_THAT(Error("      - name: x\n        path: t/{t}\n        metric: zookeeper_subtree_x\n"),
              HasSubstr("exporter's own prefix"));
  EXPECT_THAT(Error("      - name: x\n        path: t/{t}\n        metric: m_total\n"),
              HasSubstr("must not end in _total"));
  EXPECT_THAT(Error("      - name: x\n        path: t/{t}\n        metric: m\n        type: counter\n"),
              HasSubstr("must end in _total"));
  EXPECT_THAT(Error("      - name: x\n        path: t/{t}\n        metric: m\n        labels: {t: a}\n"),
              HasSubstr("defined twice"));
  EXPECT_THAT(Error("      - name: x\n        path: t/{t}\n        metric: m\n        absent_value: 0\n"),
              HasSubstr("fixed path"));
  EXPECT_THAT(
      Error("      - name: x\n        path: t/{t}\n        metric: m\n      - name: y\n        path: t\n"
            "        metric: m\n"),
      HasSubstr("already defined by the rule at line 4"));
  EXPECT_THAT(
      Error("      - name: x\n        path: t/{t}\n        metric: m\n      - name: x\n        path: t\n"
            "        metric: m2\n"),
      HasSubstr("duplicate rule name"));
  EXPECT_THAT(Error("      - name: x\n        path: t/{t}\n        decoder: stat\n        field: size\n      "
                    "  metric: m\n"),
              HasSubstr("num_children"));
  EXPECT_THAT(
      Error("      - name: x\n        path: t/{t}\n        metric: m\n        value_map_default: 1\n"),
      HasSubstr("needs a value_map"));
  EXPECT_THAT(Error("      - name: x\n        path: t/{bad-name}\n        metric: m\n"),
              HasSubstr("label name"));
}

TEST(ValueRulesConfigTest, MetricNamesAreUniqueAcrossSubtrees) {
  constexpr char kYaml[] = R"(subtrees:
  - root: /a
    value_rules: [{name: x, path: /a, decoder: none, metric: m}]
  - root: /b
    value_rules: [{name: x, path: /b, decoder: none, metric: m}]
)";
  Result<FileConfig> r = ParseConfigYaml(kYaml, kSource);
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.status().message(), AllOf(StartsWith("/etc/zkx.yml:5:"), HasSubstr("already defined")));
}

class PresetTest : public testing::TestWithParam<const char*> {};

TEST_P(PresetTest, LoadsOnItsOwn) {
  const std::string path = std::string(ZKX_SOURCE_DIR) + "/deploy/examples/" + GetParam();
  Result<FileConfig> r = LoadConfigFile(path);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  std::size_t rules = 0;
  for (const auto& spec : r->subtrees) rules += spec.value_rules ? spec.value_rules->rules.size() : 0;
  EXPECT_GT(rules, 0u);
}

INSTANTIATE_TEST_SUITE_P(Presets, PresetTest,
                         testing::Values("kafka.yml", "solr.yml", "hbase.yml", "dubbo.yml", "curator.yml",
                                         "quotas.yml"));

// The quota preset's rules on the formats of 3.4-3.6 and 3.7+ (StatsTrack.toString).
TEST(QuotaPresetTest, DecodesEveryVersionsFormat) {
  Result<FileConfig> r = LoadConfigFile(std::string(ZKX_SOURCE_DIR) + "/deploy/examples/quotas.yml");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->subtrees.size(), 1u);
  std::map<std::string, const collectors::ValueRule*> rules;
  for (const auto& rule : r->subtrees[0].value_rules->rules) rules[rule.name] = &rule;
  auto decode = [&](const std::string& rule, std::string_view data) -> std::optional<double> {
    collectors::DecodeOutcome o = collectors::DecodeValue(*rules.at(rule), data, zk::ZnodeStat{});
    if (o.error || o.samples.size() != 1) return std::nullopt;
    return o.samples[0].value;
  };
  // 3.4-3.6
  EXPECT_EQ(decode("count_limit", "count=10,bytes=-1"), 10);
  EXPECT_EQ(decode("bytes_limit", "count=10,bytes=-1"), -1);
  EXPECT_EQ(decode("count_hard_limit", "count=10,bytes=-1"), -1);
  // 3.7+: hard limits after the compatibility '=' and ';'
  constexpr char kNew[] = "count=-1,bytes=-1=;byteHardLimit=4096;countHardLimit=20";
  EXPECT_EQ(decode("count_limit", kNew), -1);
  EXPECT_EQ(decode("bytes_hard_limit", kNew), 4096);
  EXPECT_EQ(decode("count_hard_limit", kNew), 20);
  EXPECT_EQ(decode("count_usage", "count=4,bytes=120"), 4);
  EXPECT_EQ(decode("bytes_usage", "count=4,bytes=120"), 120);
  EXPECT_FALSE(decode("bytes_usage", "garbage"));  // no_match: an error, not a 0
  collectors::LabelPairs captures;
  EXPECT_TRUE(
      rules.at("count_usage")->pattern.Match("/zookeeper/quota/app/tenants/a/zookeeper_stats", &captures));
  ASSERT_EQ(captures.size(), 1u);
  EXPECT_EQ(captures[0].second, "app/tenants/a");
}

}  // namespace
}  // namespace zkx::exporter
