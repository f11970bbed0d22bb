#include "server/watch_parser.h"

#include <utility>

#include "server/mntr_parser.h"

namespace zkx::server {
namespace {

std::string_view TrimCr(std::string_view s) {
  while (!s.empty() && (s.back() == '\r' || s.back() == ' ')) s.remove_suffix(1);
  return s;
}

// Calls `line` for each line of `text` ("\n" or "\r\n").
template <typename F>
void ForEachLine(std::string_view text, F&& line) {
  while (!text.empty()) {
    const std::size_t nl = text.find('\n');
    line(TrimCr(text.substr(0, nl)));
    text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
  }
}

}  // namespace

Result<WatchSummary> ParseWchs(std::string_view text) {
  WatchSummary w;
  bool have_connections = false;
  bool have_total = false;
  ForEachLine(text, [&](std::string_view line) {
    // "<n> connections watching <m> paths"
    if (const std::size_t at = line.find(" connections watching "); at != std::string_view::npos) {
      std::string_view rest = line.substr(at + 22);
      const std::size_t sp = rest.find(' ');
      double c = 0;
      double p = 0;
      if (ParseFiniteNumber(line.substr(0, at), &c) && ParseFiniteNumber(rest.substr(0, sp), &p)) {
        w.connections = c;
        w.paths = p;
        have_connections = true;
      }
    } else if (line.starts_with("Total watches:")) {
      std::string_view v = line.substr(14);
      while (!v.empty() && v.front() == ' ') v.remove_prefix(1);
      double t = 0;
      if (ParseFiniteNumber(v, &t)) {
        w.total_watches = t;
        have_total = true;
      }
    }
  });
  if (!have_connections || !have_total) return Status::InvalidArgument("wchs: unexpected reply");
  return w;
}

Result<WatchesByPath> ParseWchp(std::string_view text, const PathFilter& filter, std::size_t max_paths) {
  WatchesByPath out;
  bool bad = false;
  bool current_kept = false;  // the current path is in out.paths
  bool have_path = false;
  ForEachLine(text, [&](std::string_view line) {
    if (bad || line.empty()) return;
    if (line.front() == '\t' || line.front() == ' ') {  // a session watching the current path
      if (!have_path) {
        bad = true;
        return;
      }
      if (current_kept) out.paths.back().second += 1;
      return;
    }
    if (line.front() != '/') {
      bad = true;
      return;
    }
    have_path = true;
    ++out.total;
    current_kept = false;
    if (filter && !filter(line)) return;
    ++out.matched;
    if (out.paths.size() >= max_paths) {
      out.truncated = true;
      return;
    }
    out.paths.emplace_back(std::string(line), 0.0);
    current_kept = true;
  });
  if (bad) return Status::InvalidArgument("wchp: unexpected reply");
  return out;
}

}  // namespace zkx::server
