// deploy/prometheus: every alert has promtool unit tests where it fires and where it stays quiet, every
// recording rule is tested, and rules and their tests only use metrics README.md documents. (promtool check
// rules and promtool test rules themselves run as the ctest tests deploy_promtool_*.)
#include <filesystem>
#include <map>
#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include "tests/deploy/deploy_test_util.h"

namespace zkx::test::deploy {
namespace {

const std::string kDir = SourcePath("deploy/prometheus");

std::vector<YAML::Node> Rules() {
  std::vector<YAML::Node> rules;
  for (const char* file : {"alerts.yml", "recording_rules.yml"}) {
    const YAML::Node doc = YAML::LoadFile(kDir + "/" + file);
    for (const auto& group : doc["groups"]) {
      for (const auto& rule : group["rules"]) rules.push_back(rule);
    }
  }
  return rules;
}

std::vector<YAML::Node> TestFiles() {
  std::vector<YAML::Node> docs;
  for (const auto& f : std::filesystem::directory_iterator(kDir + "/tests")) {
    if (f.path().extension() == ".yml") docs.push_back(YAML::LoadFile(f.path().string()));
  }
  return docs;
}

TEST(PrometheusRulesTest, EveryAlertHasFiringAndQuietUnitTests) {
  std::map<std::string, std::pair<int, int>> cases;  // alert -> (firing, quiet)
  for (const auto& rule : Rules()) {
    if (rule["alert"]) cases[rule["alert"].as<std::string>()] = {0, 0};
  }
  ASSERT_FALSE(cases.empty());
  for (const auto& doc : TestFiles()) {
    for (const auto& test : doc["tests"]) {
      for (const auto& t : test["alert_rule_test"]) {
        auto it = cases.find(t["alertname"].as<std::string>());
        ASSERT_NE(it, cases.end()) << "a test for an unknown alert " << t["alertname"];
        (t["exp_alerts"] && t["exp_alerts"].size() > 0 ? it->second.first : it->second.second)++;
      }
    }
  }
  for (const auto& [alert, n] : cases) {
    EXPECT_GT(n.first, 0) << alert << " has no test where it fires";
    EXPECT_GT(n.second, 0) << alert << " has no test where it stays quiet";
  }
}

TEST(PrometheusRulesTest, EveryRecordingRuleIsTested) {
  std::set<std::string> tested;
  for (const auto& doc : TestFiles()) {
    for (const auto& test : doc["tests"]) {
      for (const auto& t : test["promql_expr_test"]) tested.insert(t["expr"].as<std::string>());
    }
  }
  for (const auto& rule : Rules()) {
    if (rule["record"]) {
      EXPECT_EQ(tested.count(rule["record"].as<std::string>()), 1U) << rule["record"];
    }
  }
}

TEST(PrometheusRulesTest, AlertsHaveSeverityAndAnnotations) {
  const std::set<std::string> severities = {"critical", "warning", "info"};
  for (const auto& rule : Rules()) {
    if (!rule["alert"]) continue;
    SCOPED_TRACE(rule["alert"].as<std::string>());
    ASSERT_TRUE(rule["labels"]["severity"]);
    EXPECT_EQ(severities.count(rule["labels"]["severity"].as<std::string>()), 1U);
    EXPECT_TRUE(rule["annotations"]["summary"]);
    EXPECT_TRUE(rule["annotations"]["description"]);
  }
}

TEST(PrometheusRulesTest, RulesAndTheirTestsUseDocumentedMetrics) {
  const DocumentedMetrics docs = ParseReadmeMetrics(ReadFile(SourcePath("README.md")));
  ASSERT_FALSE(docs.names.empty());
  std::set<std::string> used;
  for (const auto& rule : Rules()) {
    for (const auto& n : MetricNamesInPromQL(rule["expr"].as<std::string>())) used.insert(n);
  }
  for (const auto& doc : TestFiles()) {
    for (const auto& test : doc["tests"]) {
      for (const auto& s : test["input_series"]) {
        const std::string series = s["series"].as<std::string>();
        const std::string name = series.substr(0, series.find('{'));
        if (name != "up") used.insert(name);
      }
    }
  }
  ASSERT_FALSE(used.empty());
  for (const auto& n : used)
    EXPECT_TRUE(IsDocumented(docs, n)) << n << " is not in README.md's metric reference";
}

}  // namespace
}  // namespace zkx::test::deploy
