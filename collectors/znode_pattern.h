#pragma once
// ZnodePattern: a glob over znode paths, e.g. "/brokers/ids/*", "/dubbo/*/providers/*", "/config/**".
//   '*'  matches any run of characters within one path segment (never '/')
//   '?'  matches one character other than '/'
//   '**' as a whole segment matches zero or more whole segments
// Matching is exact and case-sensitive; paths are absolute and normalised. Immutable after Parse:
// thread-safe.

#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "base/znode_path.h"  // NormalizeZnodePath, used with patterns

namespace zkx::collectors {

class ZnodePattern {
 public:
  // `pattern` must be absolute; use Resolve() first for patterns relative to a subtree root.
  // Errors (InvalidArgument) name the pattern and the problem: empty, not absolute, empty segment ("//"),
  // '**' mixed with other characters in a segment, a "." or ".." segment (never matches), or a trailing '/'.
  static Result<ZnodePattern> Parse(std::string_view pattern);
  // Joins a relative pattern to `root` ("ids/*" under "/brokers" -> "/brokers/ids/*"); absolute ones
  // unchanged.
  static std::string Resolve(std::string_view root, std::string_view pattern);

  [[nodiscard]] bool Matches(std::string_view path) const;
  [[nodiscard]] const std::string& text() const { return text_; }

 private:
  std::string text_;
  std::vector<std::string> segments_;
};

}  // namespace zkx::collectors
