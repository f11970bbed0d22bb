// PrometheusClient and the dashboard-variable helpers (see prometheus_client.h).
#include "tests/deploy/prometheus_client.h"

#include <cctype>
#include <chrono>
#include <cstdio>
#include <regex>

#include "tests/support/http_get.h"
#include "tests/support/wait_and_ports.h"

namespace zkx::test::deploy {

std::string UrlQuery(const std::string& s) {
  std::string out;
  char buf[4];
  for (char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if (std::isalnum(c) != 0 || c == '_' || c == '-' || c == '.') {
      out += static_cast<char>(c);
    } else {
      std::snprintf(buf, sizeof buf, "%%%02X", c);
      out += buf;
    }
  }
  return out;
}

nlohmann::json PrometheusClient::Api(const std::string& path_and_query) const {
  Result<HttpResponse> r = HttpGet("127.0.0.1", port_, path_and_query);
  if (!r.ok()) return nlohmann::json::value_t::discarded;
  return nlohmann::json::parse(r->body, nullptr, false);
}

Result<nlohmann::json> PrometheusClient::Query(const std::string& promql) const {
  const nlohmann::json j = Api("/api/v1/query?query=" + UrlQuery(promql));
  if (j.is_discarded()) return Status::Unavailable("no answer from Prometheus");
  if (j.value("status", "") != "success")
    return Status::InvalidArgument(j.value("error", std::string("error")));
  return j["data"]["result"];
}

std::vector<std::string> PrometheusClient::LabelValues(const std::string& selector,
                                                       const std::string& label) const {
  std::vector<std::string> out;
  const nlohmann::json j = Api("/api/v1/label/" + label + "/values?match[]=" + UrlQuery(selector));
  if (!j.is_discarded() && j.value("status", "") == "success") {
    for (const auto& x : j["data"]) out.push_back(x.get<std::string>());
  }
  return out;
}

std::vector<nlohmann::json> PrometheusClient::Rules() const {
  std::vector<nlohmann::json> out;
  const nlohmann::json j = Api("/api/v1/rules");
  if (j.is_discarded() || j.value("status", "") != "success") return out;
  for (const auto& g : j["data"]["groups"]) {
    for (const auto& r : g["rules"]) out.push_back(r);
  }
  return out;
}

std::map<std::string, std::set<std::string>> PrometheusClient::ActiveAlerts() const {
  std::map<std::string, std::set<std::string>> out;
  const nlohmann::json j = Api("/api/v1/alerts");
  if (j.is_discarded() || j.value("status", "") != "success") return out;
  for (const auto& a : j["data"]["alerts"]) {
    out[a["labels"]["alertname"].get<std::string>()].insert(a["state"].get<std::string>());
  }
  return out;
}

std::string RegexAlternation(const std::vector<std::string>& values) {
  std::string out = "(";
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (i > 0) out += "|";
    for (char c : values[i]) {
      if (std::string(R"(\^$.|?*+()[]{}')").find(c) != std::string::npos) out += "\\\\";
      out += c;
    }
  }
  return out + ")";
}

std::string Substitute(std::string expr, const std::map<std::string, std::string>& values) {
  for (auto it = values.rbegin(); it != values.rend(); ++it) {  // longer names first ("__rate_interval")
    for (const std::string& ref : {"${" + it->first + "}", "$" + it->first}) {
      for (std::size_t p = expr.find(ref); p != std::string::npos;
           p = expr.find(ref, p + it->second.size())) {
        expr.replace(p, ref.size(), it->second);
      }
    }
  }
  return expr;
}

std::map<std::string, std::string> ResolveDashboardVariables(const nlohmann::json& dashboard,
                                                             const PrometheusClient& prometheus,
                                                             std::vector<std::string>* problems) {
  std::map<std::string, std::string> values = {
      {"__rate_interval", "1m"}, {"__interval", "15s"}, {"__range", "5m"}};
  const std::regex label_values(R"(^label_values\((.*),\s*([A-Za-z_][A-Za-z0-9_]*)\)$)");
  for (const auto& v : dashboard["templating"]["list"]) {
    if (v["type"] != "query") continue;
    const std::string name = v["name"];
    std::smatch m;
    const std::string def = Substitute(v["definition"].get<std::string>(), values);
    if (!std::regex_match(def, m, label_values)) {
      problems->push_back("$" + name + ": not label_values(selector, label): " + def);
      continue;
    }
    std::vector<std::string> got;
    WaitFor(
        [&] {
          got = prometheus.LabelValues(m[1].str(), m[2].str());
          return !got.empty();
        },
        std::chrono::milliseconds(10000), std::chrono::milliseconds(500));
    if (got.empty()) problems->push_back("$" + name + ": " + def + " has no values");
    values[name] = RegexAlternation(got);
  }
  return values;
}

std::vector<DashboardQuery> DashboardQueries(const nlohmann::json& dashboard,
                                             const std::map<std::string, std::string>& values) {
  std::vector<DashboardQuery> out;
  std::string row;
  auto add = [&](const nlohmann::json& p) {
    for (const auto& t : p.value("targets", nlohmann::json::array())) {
      out.push_back({row + " / " + p.value("title", std::string()), Substitute(t["expr"], values)});
    }
  };
  for (const auto& p : dashboard["panels"]) {
    if (p["type"] == "row") {
      row = p.value("title", std::string());
      for (const auto& nested : p.value("panels", nlohmann::json::array())) add(nested);
      continue;
    }
    add(p);
  }
  return out;
}

}  // namespace zkx::test::deploy
