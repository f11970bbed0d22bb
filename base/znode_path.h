#pragma once
// Znode path helpers shared by every layer: the only place that knows how znode paths are joined, split,
// compared by segment and validated. A znode path is absolute ("/", "/a", "/a/b"); these helpers do not
// touch ZooKeeper.
// Thread-safety: pure functions.

#include <optional>
#include <string>
#include <string_view>

#include "base/status.h"

namespace zkx {

// "/" + "a" -> "/a"; "/a" + "b" -> "/a/b". `name` is one segment (no '/').
std::string JoinZnodePath(std::string_view parent, std::string_view name);

// "/a/b" -> "/a"; "/a" -> "/"; "/" -> "/".
std::string ZnodeParent(std::string_view path);

// True when `path` is strictly below `root` on a segment boundary: "/a/b" is below "/a", "/ab" is not, "/a"
// is not below itself. Everything but "/" is below "/".
bool ZnodePathBelow(std::string_view path, std::string_view root);

// True when `path` is `root` or below it (ZnodePathBelow). An empty root means "/" (everything is inside).
bool ZnodePathInside(std::string_view path, std::string_view root);

// Why `path` is not a valid znode path, or nothing when it is: must start with '/', no empty segments ("//"),
// no "." or ".." segments, no NUL or other control characters, no trailing '/' except for "/" itself.
std::optional<std::string_view> ZnodePathProblem(std::string_view path);

// Normalises a znode path: one trailing '/' is removed ("/brokers/" -> "/brokers"; "/" stays "/"), then the
// rules of ZnodePathProblem apply. Returns the normalised path or InvalidArgument
// "invalid znode path \"...\": <problem>".
Result<std::string> NormalizeZnodePath(std::string_view path);

}  // namespace zkx
