#pragma once
// HTTP basic authentication against bcrypt hashes (exporter-toolkit's basic_auth_users), verified with the
// system's crypt (libxcrypt's crypt_rn); no bcrypt of our own.
//
// Timing: an unknown user name costs one bcrypt against a dummy hash made at the users' highest cost, so the
// answer time does not reveal which names exist; the computed hash is compared with the stored one in
// constant time. Successful verifications are cached (SHA-256 of user, password and hash; bounded), as
// exporter-toolkit does, so a scrape every few seconds does not pay a bcrypt each time; only someone who
// already holds valid credentials can observe the faster cached answer. Secrets: passwords are never logged,
// stored (only in the digest) or put in a Status message. Thread-safety: BasicAuthenticator is immutable
// after Create except for its cache, which a mutex guards; Check and Verify may be called from any thread
// concurrently.

#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_set>
#include <utility>

#include "base/mutex.h"
#include "base/status.h"
#include "base/thread_annotations.h"

namespace zkx::exporter {

// "$2a$", "$2b$" or "$2y$", a two-digit cost 04-31, "$", 53 characters of bcrypt's base64. Nothing else.
bool IsBcryptHash(std::string_view hash);
// The cost of a hash that IsBcryptHash accepts.
int BcryptCost(std::string_view hash);

// Equal sizes and bytes, in time that depends only on the sizes.
bool ConstantTimeEquals(std::string_view a, std::string_view b);

// Standard base64 (RFC 4648 section 4), padding optional; nullopt on any other character.
std::optional<std::string> Base64Decode(std::string_view text);

// The user and password of an "Authorization: Basic <base64(user:password)>" header value (scheme
// case-insensitive); nullopt when absent or malformed.
std::optional<std::pair<std::string, std::string>> ParseBasicAuthorization(std::string_view header);

class BasicAuthenticator {
 public:
  // `users`: name -> bcrypt hash (IsBcryptHash). Computes the dummy hash (one bcrypt). InvalidArgument when
  // `users` is empty or a hash is not bcrypt; Internal when crypt fails.
  static Result<std::unique_ptr<BasicAuthenticator>> Create(const std::map<std::string, std::string>& users);

  enum class Outcome { kAllowed, kNoCredentials, kDenied };
  // Checks an Authorization header value ("" when absent). `user` (optional) receives the user name sent, for
  // logging; never the password.
  Outcome Check(std::string_view authorization_header, std::string* user = nullptr) const;
  // True when `password` is `user`'s. One bcrypt (unless cached), whether or not the user exists.
  bool Verify(std::string_view user, std::string_view password) const;
  // True only when `user` exists and this password was verified before (the cache): no bcrypt. Lets the HTTP
  // server serve known-good credentials before it applies LoginGuard's limits to everything else.
  bool VerifyCached(std::string_view user, std::string_view password) const;

  BasicAuthenticator(const BasicAuthenticator&) = delete;
  BasicAuthenticator& operator=(const BasicAuthenticator&) = delete;
  ~BasicAuthenticator();

 private:
  BasicAuthenticator() = default;
  bool CacheContains(const std::string& key) const;
  void CacheInsert(std::string key) const;

  std::map<std::string, std::string, std::less<>> users_;  // immutable after Create
  std::string dummy_hash_;                                 // immutable after Create
  mutable Mutex mu_;
  mutable std::unordered_set<std::string> verified_ GUARDED_BY(mu_);  // SHA-256 digests of verified triples
};

}  // namespace zkx::exporter
