#include "server/srvr_parser.h"

#include <string>

#include "server/mntr_parser.h"

namespace zkx::server {
namespace {

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

}  // namespace

Result<ServerReport> ParseSrvr(std::string_view text) {
  ServerReport r;
  bool mode = false;
  auto add = [&r](const char* name, std::string_view value) {
    double v = 0;
    if (ParseFiniteNumber(Trim(value), &v)) {
      r.samples.push_back(ServerSample{name, {}, v});
    } else {
      ++r.skipped_lines;
    }
  };
  while (!text.empty()) {
    const std::size_t nl = text.find('\n');
    std::string_view line = Trim(text.substr(0, nl));
    text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
    const std::size_t colon = line.find(':');
    if (colon == std::string_view::npos) {
      if (!line.empty()) ++r.skipped_lines;
      continue;
    }
    const std::string_view key = Trim(line.substr(0, colon));
    const std::string_view value = Trim(line.substr(colon + 1));
    if (key == "Zookeeper version") {
      r.version = std::string(value);
    } else if (key == "Mode") {
      r.server_state = std::string(value);
      mode = true;
    } else if (key == "Latency min/avg/max") {
      const std::size_t a = value.find('/');
      const std::size_t b = a == std::string_view::npos ? a : value.find('/', a + 1);
      if (b == std::string_view::npos) {
        ++r.skipped_lines;
        continue;
      }
      add("min_latency", value.substr(0, a));
      add("avg_latency", value.substr(a + 1, b - a - 1));
      add("max_latency", value.substr(b + 1));
    } else if (key == "Received") {
      add("packets_received", value);
    } else if (key == "Sent") {
      add("packets_sent", value);
    } else if (key == "Connections") {
      add("num_alive_connections", value);
    } else if (key == "Outstanding") {
      add("outstanding_requests", value);
    } else if (key == "Node count") {
      add("znode_count", value);
    } else {
      ++r.skipped_lines;  // Zxid, Proposal sizes, ...
    }
  }
  if (!mode) return Status::InvalidArgument("srvr: no Mode line in the reply");
  FillTypedFields(&r);
  return r;
}

}  // namespace zkx::server
