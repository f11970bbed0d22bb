#pragma once
// A real Prometheus seen from a test: its HTTP API on 127.0.0.1 (instant queries, label values, rules,
// alerts), and Grafana's way of turning a dashboard's template variables into the PromQL it sends.
// Thread-safety: PrometheusClient holds only a port; free functions have no shared state.

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/status.h"

namespace zkx::test::deploy {

// Percent-encodes everything but [A-Za-z0-9_.-] (for a query string).
std::string UrlQuery(const std::string& s);

class PrometheusClient {
 public:
  explicit PrometheusClient(uint16_t port) : port_(port) {}
  // GET on the API; the parsed JSON, or a discarded value when there was no answer.
  [[nodiscard]] nlohmann::json Api(const std::string& path_and_query) const;
  // An instant query's result vector, or an error (no answer; the query's own error).
  [[nodiscard]] Result<nlohmann::json> Query(const std::string& promql) const;
  // label_values(selector, label) as Grafana asks for it: /api/v1/label/<label>/values?match[]=selector.
  [[nodiscard]] std::vector<std::string> LabelValues(const std::string& selector,
                                                     const std::string& label) const;
  // Every rule of every group (/api/v1/rules), or empty without an answer.
  [[nodiscard]] std::vector<nlohmann::json> Rules() const;
  // alertname -> the states ("pending", "firing") of its active alerts (/api/v1/alerts).
  [[nodiscard]] std::map<std::string, std::set<std::string>> ActiveAlerts() const;

 private:
  uint16_t port_;
};

// Grafana's formatting of a multi-value variable inside a regex matcher: (a|b), regex characters escaped
// (the escape doubled, as the value sits in a PromQL string).
std::string RegexAlternation(const std::vector<std::string>& values);
// Replaces $name and ${name} by values[name], longer names first.
std::string Substitute(std::string expr, const std::map<std::string, std::string>& values);

// The dashboard's query variables resolved in order, as Grafana does (label_values(selector, label) through
// the label values API; every value selected), plus $__rate_interval, $__interval and $__range. A variable
// that is not label_values(...) or has no values is reported in *problems.
std::map<std::string, std::string> ResolveDashboardVariables(const nlohmann::json& dashboard,
                                                             const PrometheusClient& prometheus,
                                                             std::vector<std::string>* problems);

struct DashboardQuery {
  std::string panel;  // "<row> / <panel title>"
  std::string expr;   // variables substituted
};
// Every target of every panel (rows' nested panels included), variables substituted.
std::vector<DashboardQuery> DashboardQueries(const nlohmann::json& dashboard,
                                             const std::map<std::string, std::string>& values);

}  // namespace zkx::test::deploy
