// libFuzzer target: znode glob patterns and path normalisation. Any input parses or fails with a Status;
// normalising is idempotent; a normalised path that also parses as a pattern matches itself (every glob
// character matches itself); '/**' matches every normalised path; matching never crashes on any input.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "base/znode_path.h"
#include "collectors/znode_pattern.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  using zkx::NormalizeZnodePath;
  using zkx::collectors::ZnodePattern;

  // The input split at its first newline: a pattern and a path to match it against.
  const std::size_t nl = text.find('\n');
  const std::string_view pattern_text = text.substr(0, nl);
  const std::string_view path_text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);

  zkx::Result<ZnodePattern> pattern = ZnodePattern::Parse(pattern_text);
  if (pattern.ok()) {
    if (pattern->text() != pattern_text) std::abort();
    (void)pattern->Matches(path_text);
    (void)pattern->Matches(pattern_text);
  } else if (pattern.status().message().rfind("invalid znode pattern \"", 0) != 0) {
    std::abort();
  }
  (void)ZnodePattern::Resolve("/root", pattern_text);

  zkx::Result<std::string> path = NormalizeZnodePath(path_text);
  if (!path.ok()) {
    if (path.status().message().rfind("invalid znode path \"", 0) != 0) std::abort();
    return 0;
  }
  zkx::Result<std::string> again = NormalizeZnodePath(*path);
  if (!again.ok() || *again != *path) std::abort();
  static const ZnodePattern kEverything = *ZnodePattern::Parse("/**");
  if (!kEverything.Matches(*path)) std::abort();
  zkx::Result<ZnodePattern> self = ZnodePattern::Parse(*path);
  if (self.ok() && !self->Matches(*path)) std::abort();
  return 0;
}
