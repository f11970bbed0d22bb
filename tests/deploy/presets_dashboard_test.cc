// deploy/grafana/zookeeper_presets.json, statically: valid JSON with the datasource, job and instance
// variables; unique ids and no overlapping panels; a row per preset of deploy/examples/; every panel and
// target on ${datasource}; every selector honours $job and $instance; and every metric it queries is one a
// preset defines (a rule's `metric:`) or one of the value rules' own families in README.md. (presets_e2e_test
// runs every query against a live Prometheus.)
#include <regex>
#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <yaml-cpp/yaml.h>

#include "tests/deploy/deploy_test_util.h"

namespace zkx::test::deploy {
namespace {

const std::vector<std::string> kPresets = {"kafka", "solr", "hbase", "dubbo", "curator", "quotas"};

nlohmann::json Dashboard() {
  return nlohmann::json::parse(ReadFile(SourcePath("deploy/grafana/zookeeper_presets.json")));
}

// Metric names the presets define, and the value rules' families README.md documents.
std::set<std::string> KnownMetrics() {
  std::set<std::string> out;
  for (const auto& p : kPresets) {
    const YAML::Node config = YAML::LoadFile(SourcePath("deploy/examples/" + p + ".yml"));
    for (const auto& subtree : config["subtrees"]) {
      for (const auto& rule : subtree["value_rules"]) out.insert(rule["metric"].as<std::string>());
    }
  }
  const std::string readme = ReadFile(SourcePath("README.md"));
  const std::regex value_family(R"(`(zookeeper_value_[a-z_]+)[{`])");
  for (auto it = std::sregex_iterator(readme.begin(), readme.end(), value_family);
       it != std::sregex_iterator(); ++it) {
    out.insert((*it)[1]);
  }
  return out;
}

TEST(PresetsDashboardTest, VariablesRowsAndLayout) {
  const nlohmann::json d = Dashboard();
  EXPECT_GE(d["schemaVersion"].get<int>(), 36);
  EXPECT_NE(d["uid"], "zookeeper-exporter");  // not the main dashboard's uid: both can be imported
  std::set<std::string> names;
  for (const auto& v : d["templating"]["list"]) {
    names.insert(v["name"].get<std::string>());
    if (v["name"] == "datasource") {
      EXPECT_EQ(v["query"], "prometheus");
    } else {
      EXPECT_EQ(v["datasource"]["uid"], "${datasource}");
      EXPECT_EQ(v["definition"].get<std::string>().rfind("label_values(", 0), 0U) << v["definition"];
    }
  }
  EXPECT_EQ(names, (std::set<std::string>{"datasource", "job", "instance"}));

  std::set<int> ids;
  std::set<std::string> rows;
  std::vector<std::vector<bool>> grid(300, std::vector<bool>(24, false));
  for (const auto& p : d["panels"]) {
    EXPECT_TRUE(ids.insert(p["id"].get<int>()).second) << "duplicate id " << p["id"];
    if (p["type"] == "row") rows.insert(p["title"].get<std::string>());
    const auto& g = p["gridPos"];
    const int x = g["x"], y = g["y"], w = g["w"], h = g["h"];
    ASSERT_LE(x + w, 24) << p["title"];
    for (int r = y; r < y + h; ++r) {
      for (int c = x; c < x + w; ++c) {
        EXPECT_FALSE(grid.at(static_cast<std::size_t>(r)).at(static_cast<std::size_t>(c)))
            << p["title"] << " overlaps";
        grid[static_cast<std::size_t>(r)][static_cast<std::size_t>(c)] = true;
      }
    }
    if (p["type"] == "row") continue;
    SCOPED_TRACE(p["title"].get<std::string>());
    EXPECT_EQ(p["datasource"]["uid"], "${datasource}");
    ASSERT_FALSE(p["targets"].empty());
    for (const auto& t : p["targets"]) EXPECT_EQ(t["datasource"]["uid"], "${datasource}");
  }
  for (const auto& preset : kPresets) {
    bool found = false;
    for (const auto& r : rows) found |= r.find("(" + preset + ".yml)") != std::string::npos;
    EXPECT_TRUE(found) << "no row for deploy/examples/" << preset << ".yml";
  }
}

TEST(PresetsDashboardTest, SelectorsHonourTheVariablesAndMetricsExist) {
  const nlohmann::json d = Dashboard();
  const std::set<std::string> known = KnownMetrics();
  ASSERT_GT(known.size(), 30U);
  const std::regex selector(R"(\b(zookeeper_[a-z0-9_]*)\s*(\{[^}]*\})?)");
  const std::regex variable(R"(\$\{?([A-Za-z_][A-Za-z0-9_]*))");
  const std::set<std::string> defined = {"__rate_interval", "__interval", "__range",
                                         "datasource",      "job",        "instance"};
  std::set<std::string> used;
  for (const auto& p : d["panels"]) {
    if (p["type"] == "row") continue;
    for (const auto& t : p["targets"]) {
      const std::string expr = t["expr"];
      SCOPED_TRACE(expr);
      for (const auto& n : MetricNamesInPromQL(expr, {"zookeeper_"})) {
        EXPECT_EQ(known.count(n), 1U) << n << " is neither a preset's metric nor a documented value family";
        used.insert(n);
      }
      const std::string no_groupings = std::regex_replace(
          expr, std::regex(R"(\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\))"), "");
      for (auto it = std::sregex_iterator(no_groupings.begin(), no_groupings.end(), selector);
           it != std::sregex_iterator(); ++it) {
        const std::string name = (*it)[1], matchers = (*it)[2];
        EXPECT_NE(matchers.find(R"(job=~"$job")"), std::string::npos) << name;
        EXPECT_NE(matchers.find(R"(instance=~"$instance")"), std::string::npos) << name;
      }
      for (auto it = std::sregex_iterator(expr.begin(), expr.end(), variable); it != std::sregex_iterator();
           ++it) {
        EXPECT_EQ(defined.count((*it)[1]), 1U) << "undefined variable " << (*it)[1];
      }
    }
  }
  // Every preset metric is on the dashboard.
  for (const auto& n : known) {
    if (n.rfind("zookeeper_value_", 0) == 0) continue;
    EXPECT_EQ(used.count(n), 1U) << n << " (a preset's metric) is on no panel";
  }
}

}  // namespace
}  // namespace zkx::test::deploy
