#pragma once
// Digest credentials for ZooKeeper ("user:password"). They come only from a file or an environment variable,
// never from argv, and never appear in logs, labels or error messages: there is deliberately no operator<<.

#include <string>

#include "base/status.h"

namespace zkx::zk {

struct DigestCredentials {
  std::string user;
  std::string password;
  // "user:password", as zoo_add_auth("digest", ...) wants it.
  [[nodiscard]] std::string AuthToken() const { return user + ":" + password; }
};

// Parses "user:password" (one line; surrounding whitespace and a trailing newline are ignored).
// Errors never echo the input.
Result<DigestCredentials> ParseDigestCredentials(const std::string& text);
// Reads the file at `path` and parses it. Errors name the file, never its content.
Result<DigestCredentials> LoadDigestCredentialsFile(const std::string& path);

}  // namespace zkx::zk
