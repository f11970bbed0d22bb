#include "collectors/znode_pattern.h"

#include <cstddef>
#include <utility>

#include "base/quote.h"

namespace zkx::collectors {
namespace {

constexpr std::string_view kAnySegments = "**";

// Splits an absolute path ("/a/b") into its segments; "/" has none. Segments may be empty ("//").
std::vector<std::string_view> SplitSegments(std::string_view path) {
  std::vector<std::string_view> segments;
  if (path.size() <= 1) return segments;
  std::size_t start = 1;
  while (true) {
    const std::size_t slash = path.find('/', start);
    if (slash == std::string_view::npos) {
      segments.push_back(path.substr(start));
      break;
    }
    segments.push_back(path.substr(start, slash - start));
    start = slash + 1;
  }
  return segments;
}

// Glob match within one segment: '*' any run (possibly empty), '?' exactly one character.
// Iterative with a single backtrack point: O(|pattern| * |text|) worst case, linear in practice.
bool SegmentMatches(std::string_view pattern, std::string_view text) {
  std::size_t p = 0;
  std::size_t t = 0;
  std::size_t star = std::string_view::npos;  // position of the last '*' seen in pattern
  std::size_t star_t = 0;                     // text position that '*' currently extends to
  while (t < text.size()) {
    if (p < pattern.size() && (pattern[p] == '?' || (pattern[p] != '*' && pattern[p] == text[t]))) {
      ++p;
      ++t;
    } else if (p < pattern.size() && pattern[p] == '*') {
      star = p++;
      star_t = t;
    } else if (star != std::string_view::npos) {
      p = star + 1;
      t = ++star_t;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

}  // namespace

Result<ZnodePattern> ZnodePattern::Parse(std::string_view pattern) {
  auto invalid = [&](std::string_view problem) {
    return Status::InvalidArgument("invalid znode pattern " + Quote(pattern) + ": " + std::string(problem));
  };
  if (pattern.empty()) return invalid("empty");
  if (pattern.front() != '/') return invalid("not absolute (must start with '/')");
  if (pattern.find('\0') != std::string_view::npos) return invalid("contains a NUL character");
  ZnodePattern result;
  result.text_ = std::string(pattern);
  if (pattern == "/") return result;
  if (pattern.back() == '/') return invalid("trailing '/'");
  for (std::string_view segment : SplitSegments(pattern)) {
    if (segment.empty()) return invalid("empty segment (\"//\")");
    if (segment == "." || segment == "..") return invalid("'.' and '..' segments never match a znode path");
    if (segment != kAnySegments && segment.find(kAnySegments) != std::string_view::npos) {
      return invalid("'**' must be a whole segment");
    }
    // Consecutive '**' segments are equivalent to one; collapsing them keeps matching cheap.
    if (segment == kAnySegments && !result.segments_.empty() && result.segments_.back() == kAnySegments) {
      continue;
    }
    result.segments_.emplace_back(segment);
  }
  return result;
}

std::string ZnodePattern::Resolve(std::string_view root, std::string_view pattern) {
  if (!pattern.empty() && pattern.front() == '/') return std::string(pattern);
  std::string out(root);
  if (out.empty() || out.back() != '/') out += '/';
  out += pattern;
  return out;
}

bool ZnodePattern::Matches(std::string_view path) const {
  if (path.empty() || path.front() != '/') return false;
  const std::vector<std::string_view> path_segments = SplitSegments(path);
  for (std::string_view s : path_segments) {
    if (s.empty()) return false;  // not a normalised path
  }
  const std::size_t np = segments_.size();
  const std::size_t ns = path_segments.size();
  // matched[j]: pattern segments [i, np) match path segments [j, ns), for the current i (computed from the
  // end backwards). O(np * ns) segment comparisons, so adversarial patterns like "/**/a/**/a/**/b" stay
  // cheap.
  std::vector<char> next(ns + 1, 0);  // row i + 1
  std::vector<char> cur(ns + 1, 0);   // row i
  next[ns] = 1;                       // the empty pattern matches only the empty rest of the path
  for (std::size_t i = np; i-- > 0;) {
    const std::string& seg = segments_[i];
    if (seg == kAnySegments) {
      // '**' matches zero segments (next[j]) or one more segment and stays ('**' again from j + 1).
      cur[ns] = next[ns];
      for (std::size_t j = ns; j-- > 0;) cur[j] = static_cast<char>(next[j] != 0 || cur[j + 1] != 0);
    } else {
      cur[ns] = 0;
      for (std::size_t j = 0; j < ns; ++j) {
        cur[j] = static_cast<char>(next[j + 1] != 0 && SegmentMatches(seg, path_segments[j]));
      }
    }
    std::swap(cur, next);
  }
  return next[0] != 0;
}

}  // namespace zkx::collectors
