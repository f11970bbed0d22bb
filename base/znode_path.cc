// Znode path helpers (see znode_path.h).
#include "base/znode_path.h"

#include <cstddef>

#include "base/quote.h"

namespace zkx {

std::string JoinZnodePath(std::string_view parent, std::string_view name) {
  std::string out;
  out.reserve(parent.size() + 1 + name.size());
  if (parent != "/") out += parent;
  out += '/';
  out += name;
  return out;
}

std::string ZnodeParent(std::string_view path) {
  const std::size_t slash = path.rfind('/');
  if (slash == 0 || slash == std::string_view::npos) return "/";
  return std::string(path.substr(0, slash));
}

bool ZnodePathBelow(std::string_view path, std::string_view root) {
  if (root.empty() || root == "/") return path.size() > 1 && path.front() == '/';
  return path.size() > root.size() && path.starts_with(root) && path[root.size()] == '/';
}

bool ZnodePathInside(std::string_view path, std::string_view root) {
  if (root.empty() || root == "/") return true;
  return path == root || ZnodePathBelow(path, root);
}

std::optional<std::string_view> ZnodePathProblem(std::string_view path) {
  if (path.empty()) return "empty";
  if (path.front() != '/') return "not absolute (must start with '/')";
  if (path == "/") return std::nullopt;
  for (const char c : path) {
    const auto u = static_cast<unsigned char>(c);
    if (u == 0) return "contains a NUL character";
    if (u < 0x20 || u == 0x7f) return "contains a control character";
  }
  std::size_t start = 1;
  while (start <= path.size()) {
    std::size_t end = path.find('/', start);
    if (end == std::string_view::npos) end = path.size();
    const std::string_view segment = path.substr(start, end - start);
    if (segment.empty()) return "empty segment (\"//\")";
    if (segment == "." || segment == "..") return "'.' and '..' segments are not allowed";
    start = end + 1;
  }
  return std::nullopt;
}

Result<std::string> NormalizeZnodePath(std::string_view path) {
  std::string_view trimmed = path;
  if (trimmed.size() > 1 && trimmed.back() == '/') trimmed.remove_suffix(1);  // "/brokers/" -> "/brokers"
  if (const std::optional<std::string_view> problem = ZnodePathProblem(trimmed)) {
    return Status::InvalidArgument("invalid znode path " + Quote(path) + ": " + std::string(*problem));
  }
  return std::string(trimmed);
}

}  // namespace zkx
