#include "server/mntr_parser.h"

#include <cmath>

#include "base/read_number.h"

namespace zkx::server {
namespace {

bool IsSpace(char c) {
  return c == ' ' || c == '\t' || c == '\r';
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && IsSpace(s.front())) s.remove_prefix(1);
  while (!s.empty() && IsSpace(s.back())) s.remove_suffix(1);
  return s;
}

std::string_view StripZkPrefix(std::string_view key) {
  if (key.starts_with("zk_")) key.remove_prefix(3);
  return key;
}

// Finds the '}' closing a label set that starts at text[0] == '{', honouring quoted values; npos if none.
std::size_t LabelSetEnd(std::string_view text) {
  bool quoted = false;
  for (std::size_t i = 1; i < text.size(); ++i) {
    const char c = text[i];
    if (quoted) {
      if (c == '\\') {
        ++i;
      } else if (c == '"') {
        quoted = false;
      }
    } else if (c == '"') {
      quoted = true;
    } else if (c == '}') {
      return i;
    }
  }
  return std::string_view::npos;
}

}  // namespace

bool IsMetricNameLike(std::string_view name) {
  if (name.empty()) return false;
  for (std::size_t i = 0; i < name.size(); ++i) {
    const char c = name[i];
    const bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':';
    const bool digit = c >= '0' && c <= '9';
    if (!alpha && !(digit && i > 0)) return false;
  }
  return true;
}

bool ParseFiniteNumber(std::string_view text, double* out) {
  if (!text.empty() && text.front() == '+') text.remove_prefix(1);
  double v = 0;
  if (ReadNumber(text, v) != NumberRead::kOk || !std::isfinite(v)) return false;
  *out = v;
  return true;
}

bool ParseLabelSet(std::string_view text, std::vector<std::pair<std::string, std::string>>* out) {
  if (text.size() < 2 || text.front() != '{' || text.back() != '}') return false;
  std::string_view s = text.substr(1, text.size() - 2);
  out->clear();
  while (!s.empty()) {
    const std::size_t eq = s.find('=');
    if (eq == std::string_view::npos) return false;
    std::string_view name = Trim(s.substr(0, eq));
    if (!IsMetricNameLike(name) || name.find(':') != std::string_view::npos) return false;
    s.remove_prefix(eq + 1);
    s = Trim(s);
    if (s.empty() || s.front() != '"') return false;
    std::string value;
    std::size_t i = 1;
    bool closed = false;
    for (; i < s.size(); ++i) {
      const char c = s[i];
      if (c == '\\' && i + 1 < s.size()) {
        const char n = s[++i];
        value += n == 'n' ? '\n' : n;
      } else if (c == '"') {
        closed = true;
        break;
      } else {
        value += c;
      }
    }
    if (!closed) return false;
    out->emplace_back(std::string(name), std::move(value));
    s = Trim(s.substr(i + 1));
    if (!s.empty()) {
      if (s.front() != ',') return false;
      s = Trim(s.substr(1));
    }
  }
  return true;
}

Result<ServerReport> ParseMntr(std::string_view text) {
  ServerReport r;
  bool any_key = false;
  while (!text.empty()) {
    std::size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
    line = Trim(line);
    if (line.empty()) continue;

    // Key: a name, optionally followed by a label set.
    std::size_t key_end = 0;
    while (key_end < line.size() && !IsSpace(line[key_end]) && line[key_end] != '{') ++key_end;
    std::string_view name = line.substr(0, key_end);
    std::string_view rest = line.substr(key_end);
    std::vector<std::pair<std::string, std::string>> labels;
    if (!rest.empty() && rest.front() == '{') {
      const std::size_t close = LabelSetEnd(rest);
      if (close == std::string_view::npos || !ParseLabelSet(rest.substr(0, close + 1), &labels)) {
        ++r.skipped_lines;
        continue;
      }
      rest = rest.substr(close + 1);
    }
    if (!IsMetricNameLike(name) || rest.empty() || !IsSpace(rest.front())) {
      ++r.skipped_lines;
      continue;
    }
    const std::string_view value = Trim(rest);
    const std::string_view key = StripZkPrefix(name);
    if (labels.empty() && key == "version") {
      r.version = std::string(value);
      any_key = true;
      continue;
    }
    if (labels.empty() && key == "server_state") {
      r.server_state = std::string(value);
      any_key = true;
      continue;
    }
    double v = 0;
    if (!ParseFiniteNumber(value, &v) || r.samples.size() >= kMaxServerSamples) {
      ++r.skipped_lines;
      continue;
    }
    r.samples.push_back(ServerSample{std::string(key), std::move(labels), v});
    any_key = true;
  }
  if (!any_key) return Status::InvalidArgument("mntr: no key in the reply");
  FillTypedFields(&r);
  return r;
}

}  // namespace zkx::server
