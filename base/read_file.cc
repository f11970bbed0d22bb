// ReadBoundedFile (see read_file.h).
#include "base/read_file.h"

#include <cerrno>
#include <filesystem>
#include <fstream>
#include <system_error>

#include "base/quote.h"

namespace zkx {

Result<std::string> ReadBoundedFile(const std::string& path, std::string_view what, std::size_t max_bytes) {
  const auto fail = [&](const std::string& reason) {
    std::string m = "cannot read ";
    m += what;
    m += ' ';
    m += Quote(path);
    m += ": ";
    m += reason;
    return Status::InvalidArgument(std::move(m));
  };
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) return fail("is a directory");
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    const int err = errno;
    return fail(std::error_code(err, std::generic_category()).message());
  }
  std::string text;
  char buffer[8192];
  while (in.read(buffer, sizeof buffer) || in.gcount() > 0) {
    text.append(buffer, static_cast<std::size_t>(in.gcount()));
    if (text.size() > max_bytes) return fail("larger than " + std::to_string(max_bytes) + " bytes");
  }
  if (in.bad()) return fail("read error");
  return text;
}

}  // namespace zkx
