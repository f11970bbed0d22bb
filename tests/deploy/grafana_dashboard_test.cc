// deploy/grafana: the dashboard is valid JSON with a datasource variable and instance / root variables, every
// panel queries ${datasource}, panels do not overlap, every selector honours the variables, and every metric
// it queries is documented. (deploy_e2e_test runs every query against a live Prometheus.)
#include <regex>
#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "tests/deploy/deploy_test_util.h"

namespace zkx::test::deploy {
namespace {

nlohmann::json Dashboard() {
  return nlohmann::json::parse(ReadFile(SourcePath("deploy/grafana/zookeeper_exporter.json")));
}

std::vector<nlohmann::json> Panels(const nlohmann::json& d) {
  std::vector<nlohmann::json> out;
  for (const auto& p : d["panels"]) {
    if (p["type"] != "row") out.push_back(p);
  }
  return out;
}

TEST(GrafanaDashboardTest, HasTheTemplateVariables) {
  const nlohmann::json d = Dashboard();
  EXPECT_GE(d["schemaVersion"].get<int>(), 36);
  std::set<std::string> names;
  for (const auto& v : d["templating"]["list"]) {
    names.insert(v["name"].get<std::string>());
    if (v["name"] == "datasource") {
      EXPECT_EQ(v["type"], "datasource");
      EXPECT_EQ(v["query"], "prometheus");
    } else {
      EXPECT_EQ(v["type"], "query");
      EXPECT_EQ(v["datasource"]["uid"], "${datasource}");
      EXPECT_EQ(v["definition"].get<std::string>().rfind("label_values(", 0), 0U) << v["definition"];
    }
  }
  for (const char* n : {"datasource", "instance", "root"}) EXPECT_EQ(names.count(n), 1U) << n;
}

TEST(GrafanaDashboardTest, PanelsQueryTheDatasourceVariableAndDoNotOverlap) {
  const nlohmann::json d = Dashboard();
  std::set<int> ids;
  std::set<std::string> rows;
  std::vector<std::vector<bool>> grid(200, std::vector<bool>(24, false));
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
  }
  for (const char* r : {"Ensemble", "Exporter session", "Subtrees", "Watches", "Collector health"}) {
    EXPECT_EQ(rows.count(r), 1U) << "no row " << r;
  }
  for (const auto& p : Panels(d)) {
    SCOPED_TRACE(p["title"].get<std::string>());
    EXPECT_EQ(p["datasource"]["uid"], "${datasource}");
    ASSERT_FALSE(p["targets"].empty());
    for (const auto& t : p["targets"]) {
      EXPECT_EQ(t["datasource"]["uid"], "${datasource}");
      EXPECT_FALSE(t["expr"].get<std::string>().empty());
    }
  }
}

TEST(GrafanaDashboardTest, EverySelectorHonoursTheVariablesAndMetricsAreDocumented) {
  const nlohmann::json d = Dashboard();
  const DocumentedMetrics docs = ParseReadmeMetrics(ReadFile(SourcePath("README.md")));
  std::set<std::string> defined = {"__rate_interval", "__interval", "__range"};
  for (const auto& v : d["templating"]["list"]) defined.insert(v["name"].get<std::string>());
  const std::regex selector(R"(\b((?:zookeeper|process)_[a-z0-9_]*)\s*(\{[^}]*\})?)");
  const std::regex variable(R"(\$\{?([A-Za-z_][A-Za-z0-9_]*))");
  for (const auto& p : Panels(d)) {
    for (const auto& t : p["targets"]) {
      const std::string expr = t["expr"];
      SCOPED_TRACE(expr);
      for (const auto& n : MetricNamesInPromQL(expr))
        EXPECT_TRUE(IsDocumented(docs, n)) << n << " undocumented";
      const std::string no_groupings = std::regex_replace(
          expr, std::regex(R"(\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\))"), "");
      for (auto it = std::sregex_iterator(no_groupings.begin(), no_groupings.end(), selector);
           it != std::sregex_iterator(); ++it) {
        const std::string name = (*it)[1], matchers = (*it)[2];
        EXPECT_NE(matchers.find(R"(instance=~"$instance")"), std::string::npos) << name;
        EXPECT_NE(matchers.find(R"(job=~"$job")"), std::string::npos) << name;
        if (name.rfind("zookeeper_subtree_", 0) == 0 || name.rfind("zookeeper_znode_", 0) == 0) {
          EXPECT_NE(matchers.find(R"(root=~"$root")"), std::string::npos) << name;
        }
      }
      for (auto it = std::sregex_iterator(expr.begin(), expr.end(), variable); it != std::sregex_iterator();
           ++it) {
        EXPECT_EQ(defined.count((*it)[1]), 1U) << "undefined variable " << (*it)[1];
      }
    }
  }
}

}  // namespace
}  // namespace zkx::test::deploy
