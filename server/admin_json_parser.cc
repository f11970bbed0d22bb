#include "server/admin_json_parser.h"

#include <cmath>
#include <string>

#include <nlohmann/json.hpp>

namespace zkx::server {
namespace {

using Json = nlohmann::json;

// Nesting depth of `text` (brackets outside strings), bounded scan; used to refuse hostile input before
// nlohmann builds (and recursively destroys) a deep tree.
int MaxDepth(std::string_view text) {
  int depth = 0;
  int max_depth = 0;
  bool quoted = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (quoted) {
      if (c == '\\') {
        ++i;
      } else if (c == '"') {
        quoted = false;
      }
      continue;
    }
    if (c == '"') {
      quoted = true;
    } else if (c == '{' || c == '[') {
      if (++depth > max_depth) max_depth = depth;
      if (max_depth > kMaxAdminJsonDepth) return max_depth;
    } else if (c == '}' || c == ']') {
      --depth;
    }
  }
  return max_depth;
}

Result<Json> ParseObject(std::string_view text, const char* what) {
  if (text.size() > kMaxAdminJsonBytes) {
    return Status::InvalidArgument(std::string("admin: ") + what + ": reply too large");
  }
  if (MaxDepth(text) > kMaxAdminJsonDepth) {
    return Status::InvalidArgument(std::string("admin: ") + what + ": nested too deeply");
  }
  Json j = Json::parse(text.begin(), text.end(), nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) {
    return Status::InvalidArgument(std::string("admin: ") + what + ": not a JSON object");
  }
  if (auto e = j.find("error"); e != j.end() && !e->is_null()) {
    std::string message = std::string("admin: ") + what + ": ";
    message += e->is_string() ? e->get_ref<const std::string&>() : std::string("error");
    return Status::InvalidArgument(std::move(message));
  }
  return j;
}

bool Number(const Json& j, double* out) {
  if (!j.is_number()) return false;
  const double v = j.get<double>();
  if (!std::isfinite(v)) return false;
  *out = v;
  return true;
}

}  // namespace

Result<ServerReport> ParseAdminMonitor(std::string_view json) {
  Result<Json> parsed = ParseObject(json, "monitor");
  if (!parsed.ok()) return parsed.status();
  ServerReport r;
  bool any = false;
  for (const auto& [key, value] : parsed->items()) {
    if (key == "command" || key == "error") continue;
    if (value.is_string()) {
      if (key == "version") {
        r.version = value.get<std::string>();
        any = true;
      } else if (key == "server_state") {
        r.server_state = value.get<std::string>();
        any = true;
      } else {
        ++r.skipped_lines;
      }
      continue;
    }
    double v = 0;
    if (!Number(value, &v) || r.samples.size() >= kMaxServerSamples) {
      ++r.skipped_lines;
      continue;
    }
    r.samples.push_back(ServerSample{key, {}, v});
    any = true;
  }
  if (!any) return Status::InvalidArgument("admin: monitor: no key in the reply");
  FillTypedFields(&r);
  return r;
}

Result<WatchSummary> ParseAdminWatchSummary(std::string_view json) {
  Result<Json> parsed = ParseObject(json, "watch_summary");
  if (!parsed.ok()) return parsed.status();
  const Json& j = *parsed;
  WatchSummary w;
  auto get = [&j](const char* key, double* out) {
    auto it = j.find(key);
    return it != j.end() && Number(*it, out);
  };
  if (!get("num_connections", &w.connections) || !get("num_paths", &w.paths) ||
      !get("num_total_watches", &w.total_watches)) {
    return Status::InvalidArgument("admin: watch_summary: missing counts");
  }
  return w;
}

Result<WatchesByPath> ParseAdminWatchesByPath(std::string_view json, const PathFilter& filter,
                                              std::size_t max_paths) {
  Result<Json> parsed = ParseObject(json, "watches_by_path");
  if (!parsed.ok()) return parsed.status();
  auto it = parsed->find("path_to_session_ids");
  if (it == parsed->end() || !it->is_object()) {
    return Status::InvalidArgument("admin: watches_by_path: no path_to_session_ids object");
  }
  WatchesByPath out;
  for (const auto& [path, sessions] : it->items()) {
    ++out.total;
    if (filter && !filter(path)) continue;
    ++out.matched;
    if (out.paths.size() >= max_paths) {
      out.truncated = true;
      continue;
    }
    out.paths.emplace_back(path, sessions.is_array() ? static_cast<double>(sessions.size()) : 0.0);
  }
  return out;
}

}  // namespace zkx::server
