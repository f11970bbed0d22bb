#pragma once
// ReadBoundedFile: the whole content of a small file the operator names (a config file, a web config), read
// at most `max_bytes` so that a wrong path (a device, a huge log) fails fast instead of eating memory.
// Errors are InvalidArgument, one line: "cannot read <what> "<path>": <reason>", reason being "is a
// directory", the errno text, "larger than <max_bytes> bytes" or "read error"; the path is quoted with
// Quote. The content never appears in an error.
// Thread-safety: a pure function of the file system.

#include <cstddef>
#include <string>
#include <string_view>

#include "base/status.h"

namespace zkx {

Result<std::string> ReadBoundedFile(const std::string& path, std::string_view what, std::size_t max_bytes);

}  // namespace zkx
