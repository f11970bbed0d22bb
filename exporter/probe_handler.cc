#include "exporter/probe_handler.h"

#include <algorithm>
#include <thread>
#include <utility>

#include "base/quote.h"
#include "collectors/family_builder.h"
#include "collectors/family_sink.h"
#include "exporter/exposition_response.h"
#include "server/connect_string.h"

namespace zkx::exporter {
namespace {

// How long before the deadline a first scrape stops waiting for the walk: time to gather and serialise.
constexpr std::chrono::milliseconds kGatherReserve{250};
constexpr std::chrono::milliseconds kPollStep{20};

HttpResponse Error(int status, const std::string& message) {
  return {status, "text/plain; charset=utf-8", message + "\n", {}};
}

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

Result<std::string> Decode(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '+') {
      out += ' ';
    } else if (text[i] == '%') {
      const int hi = i + 2 < text.size() ? HexDigit(text[i + 1]) : -1;
      const int lo = i + 2 < text.size() ? HexDigit(text[i + 2]) : -1;
      if (hi < 0 || lo < 0) {
        return Status::InvalidArgument("bad %-escape in the query string");
      }
      out += static_cast<char>(hi * 16 + lo);
      i += 2;
    } else {
      out += text[i];
    }
  }
  return out;
}

void AddGauge(collectors::FamilySink out, const char* name, const char* help, double value) {
  auto f = collectors::MakeFamily(name, help, prometheus::MetricType::Gauge);
  collectors::AddSample(&f, value);
  out.Add(std::move(f));
}

}  // namespace

Result<std::map<std::string, std::string>> ParseQueryString(std::string_view query) {
  std::map<std::string, std::string> out;
  while (!query.empty()) {
    const auto amp = query.find('&');
    const std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    if (pair.empty()) continue;
    const auto eq = pair.find('=');
    Result<std::string> name = Decode(pair.substr(0, eq));
    if (!name.ok()) return name.status();
    Result<std::string> value =
        Decode(eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1));
    if (!value.ok()) return value.status();
    if (!out.emplace(*name, *value).second) {
      return Status::InvalidArgument("parameter " + QuoteForMessage(*name) + " given more than once");
    }
  }
  return out;
}

HttpResponse ServeProbe(TargetManager& manager, const HttpRequest& request,
                        std::chrono::steady_clock::time_point deadline) {
  const auto started = std::chrono::steady_clock::now();
  Result<std::map<std::string, std::string>> params = ParseQueryString(request.query);
  if (!params.ok()) return Error(400, params.status().message());
  for (const auto& [name, value] : *params) {
    if (name != "target" && name != "module") {
      return Error(400, "unknown parameter " + QuoteForMessage(name) + " (want target, module)");
    }
  }
  auto target_param = params->find("target");
  if (target_param == params->end() || target_param->second.empty()) {
    return Error(400, "missing parameter target (a ZooKeeper connect string, e.g. target=zk-0:2181/kafka)");
  }
  Result<server::ConnectString> target = server::ParseConnectString(target_param->second);
  if (!target.ok()) return Error(400, "bad target: " + target.status().message());
  auto module_param = params->find("module");
  const std::string module = module_param == params->end() ? "" : module_param->second;

  Result<TargetManager::Acquired> acquired = manager.Acquire(*target, module);
  if (!acquired.ok()) {
    const Status& s = acquired.status();
    switch (s.code()) {
      case StatusCode::kInvalidArgument: return Error(400, s.message());
      case StatusCode::kPermissionDenied: return Error(403, s.message());
      case StatusCode::kResourceExhausted: return Error(503, s.message());
      default: return Error(500, s.message());
    }
  }
  ProbeTarget& t = *acquired->target;
  if (acquired->created) {
    // A new target: wait for its session and first walk, but answer in time with what there is.
    const auto stop_waiting = deadline - kGatherReserve;
    while (!(t.Connected() && t.Walked()) && std::chrono::steady_clock::now() + kPollStep < stop_waiting) {
      std::this_thread::sleep_for(kPollStep);
    }
  }
  std::vector<std::string> pieces = t.Scrape(deadline);
  const collectors::FamilySink sink(&pieces);
  AddGauge(sink, "zookeeper_exporter_target_connected",
           "1 when the exporter's session to this target is connected.", t.Connected() ? 1 : 0);
  AddGauge(sink, "zookeeper_exporter_target_walked",
           "1 when every subtree of this target has been walked successfully at least once.",
           t.Walked() ? 1 : 0);
  AddGauge(sink, "zookeeper_exporter_target_first_scrape",
           "1 when this scrape created the target (its session and walks started now).",
           acquired->created ? 1 : 0);
  AddGauge(sink, "zookeeper_exporter_probe_duration_seconds", "How long this /probe request took.",
           std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
  acquired->target.reset();
  return ExpositionResponse(std::move(pieces), request.accept_encoding);
}

}  // namespace zkx::exporter
