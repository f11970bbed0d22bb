// Parsing and loading of digest credentials (see digest_credentials.h). No message here may contain the
// input text: it is a secret.
#include "zk/digest_credentials.h"

#include <cerrno>
#include <fstream>
#include <string_view>
#include <system_error>

namespace zkx::zk {
namespace {

constexpr std::size_t kMaxFileBytes = std::size_t{64} * 1024;  // a credentials file is one short line

std::string_view Trim(std::string_view s) {
  constexpr std::string_view kSpace = " \t\r\n\f\v";
  const std::size_t begin = s.find_first_not_of(kSpace);
  if (begin == std::string_view::npos) return {};
  const std::size_t end = s.find_last_not_of(kSpace);
  return s.substr(begin, end - begin + 1);
}

}  // namespace

Result<DigestCredentials> ParseDigestCredentials(const std::string& text) {
  const std::string_view line = Trim(text);
  if (line.empty()) return Status::InvalidArgument("digest credentials are empty (expected user:password)");
  if (line.find_first_of("\r\n") != std::string_view::npos) {
    return Status::InvalidArgument("digest credentials must be a single line (expected user:password)");
  }
  const std::size_t colon = line.find(':');
  if (colon == std::string_view::npos) {
    return Status::InvalidArgument("digest credentials have no ':' separator (expected user:password)");
  }
  DigestCredentials creds;
  creds.user = std::string(line.substr(0, colon));
  creds.password = std::string(line.substr(colon + 1));
  if (creds.user.empty()) return Status::InvalidArgument("digest credentials have an empty user");
  if (creds.password.empty()) return Status::InvalidArgument("digest credentials have an empty password");
  return creds;
}

Result<DigestCredentials> LoadDigestCredentialsFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    const int err = errno;
    return Status::InvalidArgument(
        "cannot open digest credentials file " + path + ": " +
        (err != 0 ? std::error_code(err, std::generic_category()).message() : "unknown error"));
  }
  std::string content;
  char buf[4096];
  while (in.read(buf, sizeof buf) || in.gcount() > 0) {
    content.append(buf, static_cast<std::size_t>(in.gcount()));
    if (content.size() > kMaxFileBytes) {
      return Status::InvalidArgument("digest credentials file " + path + " is too large");
    }
  }
  if (in.bad()) return Status::InvalidArgument("cannot read digest credentials file " + path);
  Result<DigestCredentials> parsed = ParseDigestCredentials(content);
  if (!parsed.ok()) {
    // The parser's messages never echo the input; prefix the file name for the operator.
    return Status(parsed.status().code(),
                  "digest credentials file " + path + ": " + parsed.status().message());
  }
  return parsed;
}

}  // namespace zkx::zk
