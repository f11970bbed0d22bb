// The `dirs` replies and the ZOOKEEPER-4703 correction (see dirs_parser.h).
#include "server/dirs_parser.h"

#include <array>
#include <charconv>
#include <string>

#include <nlohmann/json.hpp>

#include "server/admin_json_parser.h"
#include "server/mntr_parser.h"

namespace zkx::server {
namespace {

bool NonNegative(double v) {
  return v >= 0;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

}  // namespace

Result<DirsReply> ParseAdminDirs(std::string_view json) {
  if (json.size() > kMaxAdminJsonBytes) return Status::InvalidArgument("admin: dirs: reply too large");
  const nlohmann::json j = nlohmann::json::parse(json, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) return Status::InvalidArgument("admin: dirs: not a JSON object");
  if (auto e = j.find("error"); e != j.end() && !e->is_null()) {
    return Status::InvalidArgument("admin: dirs: " + (e->is_string() ? e->get<std::string>() : e->dump()));
  }
  DirsReply r;
  for (auto [key, out] : std::array<std::pair<const char*, double*>, 2>{
           {{"datadir_size", &r.datadir_size}, {"logdir_size", &r.logdir_size}}}) {
    auto it = j.find(key);
    if (it == j.end() || !it->is_number() || !NonNegative(it->get<double>())) {
      return Status::InvalidArgument(std::string("admin: dirs: no numeric ") + key);
    }
    *out = it->get<double>();
  }
  return r;
}

Result<DirsReply> ParseDirsWord(std::string_view text) {
  DirsReply r;
  bool data = false, log = false;
  while (!text.empty()) {
    const std::size_t nl = text.find('\n');
    const std::string_view line = Trim(text.substr(0, nl));
    text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
    const std::size_t colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    const std::string_view key = Trim(line.substr(0, colon));
    double value = 0;
    if (!ParseFiniteNumber(Trim(line.substr(colon + 1)), &value) || !NonNegative(value)) continue;
    if (key == "datadir_size") {
      r.datadir_size = value;
      data = true;
    } else if (key == "logdir_size") {
      r.logdir_size = value;
      log = true;
    }
  }
  if (!data || !log) return Status::InvalidArgument("dirs: no datadir_size and logdir_size lines");
  return r;
}

std::optional<bool> DirsSwapped(std::string_view version) {
  int v[3] = {0, 0, 0};
  const char* p = version.data();
  const char* end = version.data() + version.size();
  for (int i = 0; i < 3; ++i) {
    auto [next, ec] = std::from_chars(p, end, v[i]);
    if (ec != std::errc() || next == p) return std::nullopt;
    p = next;
    if (i < 2) {
      if (p == end || *p != '.') return std::nullopt;
      ++p;
    }
  }
  auto below = [&](int a, int b, int c) { return v[0] != a ? v[0] < a : v[1] != b ? v[1] < b : v[2] < c; };
  if (below(3, 8, 4)) return true;                      // 3.5.1 (dirs appears) .. 3.8.3
  if (v[0] == 3 && v[1] == 9 && v[2] < 2) return true;  // 3.9.0, 3.9.1
  return false;
}

std::optional<DirSizes> DirSizesFor(const DirsReply& reply, std::string_view version) {
  const std::optional<bool> swapped = DirsSwapped(version);
  if (!swapped) return std::nullopt;
  if (*swapped) return DirSizes{.snapshot_bytes = reply.logdir_size, .txn_log_bytes = reply.datadir_size};
  return DirSizes{.snapshot_bytes = reply.datadir_size, .txn_log_bytes = reply.logdir_size};
}

}  // namespace zkx::server
