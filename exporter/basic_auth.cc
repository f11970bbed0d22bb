#include "exporter/basic_auth.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <cstring>

#include <crypt.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

namespace zkx::exporter {
namespace {

constexpr std::size_t kBcryptHashSize = 60;
constexpr std::size_t kMaxCachedVerifications = 1024;
constexpr const char* kDummyPassword = "zookeeper_exporter: no such user";

bool IsBcryptBase64(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '/';
}

// crypt_rn(password, setting) or "" on failure. The work area is wiped afterwards.
std::string Crypt(std::string_view password, const std::string& setting) {
  if (password.find('\0') != std::string_view::npos) return "";
  const std::string phrase(password);
  auto data = std::make_unique<crypt_data>();  // zeroed: "initialized" = 0
  const char* out =
      crypt_rn(phrase.c_str(), setting.c_str(), data.get(), static_cast<int>(sizeof(crypt_data)));
  std::string result = out != nullptr && out[0] != '*' ? std::string(out) : std::string();
  OPENSSL_cleanse(data.get(), sizeof(crypt_data));
  return result;
}

// SHA-256 of the length-prefixed parts (no ambiguity between "a:bc" and "ab:c").
std::string CacheKey(std::string_view user, std::string_view password, std::string_view hash) {
  std::string material;
  for (std::string_view part : {user, password, hash}) {
    material += std::to_string(part.size());
    material += ':';
    material += part;
  }
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int size = 0;
  const bool ok =
      EVP_Digest(material.data(), material.size(), digest.data(), &size, EVP_sha256(), nullptr) == 1;
  OPENSSL_cleanse(material.data(), material.size());
  if (!ok) return "";
  return {reinterpret_cast<const char*>(digest.data()), size};
}

int Base64Value(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}

}  // namespace

bool IsBcryptHash(std::string_view hash) {
  if (hash.size() != kBcryptHashSize) return false;
  if (hash.substr(0, 4) != "$2a$" && hash.substr(0, 4) != "$2b$" && hash.substr(0, 4) != "$2y$") return false;
  if (!std::isdigit(static_cast<unsigned char>(hash[4])) ||
      !std::isdigit(static_cast<unsigned char>(hash[5])) || hash[6] != '$') {
    return false;
  }
  const int cost = BcryptCost(hash);
  if (cost < 4 || cost > 31) return false;
  return std::all_of(hash.begin() + 7, hash.end(), IsBcryptBase64);
}

int BcryptCost(std::string_view hash) {
  if (hash.size() < 6) return -1;
  return (hash[4] - '0') * 10 + (hash[5] - '0');
}

bool ConstantTimeEquals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  if (a.empty()) return true;
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

std::optional<std::string> Base64Decode(std::string_view text) {
  while (!text.empty() && text.back() == '=') text.remove_suffix(1);
  if (text.size() % 4 == 1) return std::nullopt;
  std::string out;
  out.reserve(text.size() * 3 / 4);
  unsigned bits = 0;
  int nbits = 0;
  for (char c : text) {
    const int v = Base64Value(c);
    if (v < 0) return std::nullopt;
    bits = (bits << 6U) | static_cast<unsigned>(v);
    nbits += 6;
    if (nbits >= 8) {
      nbits -= 8;
      out += static_cast<char>((bits >> static_cast<unsigned>(nbits)) & 0xFFU);
    }
  }
  return out;
}

std::optional<std::pair<std::string, std::string>> ParseBasicAuthorization(std::string_view header) {
  while (!header.empty() && header.front() == ' ') header.remove_prefix(1);
  constexpr std::string_view kScheme = "basic";
  if (header.size() <= kScheme.size()) return std::nullopt;
  for (std::size_t i = 0; i < kScheme.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(header[i])) != kScheme[i]) return std::nullopt;
  }
  header.remove_prefix(kScheme.size());
  if (header.front() != ' ') return std::nullopt;
  while (!header.empty() && header.front() == ' ') header.remove_prefix(1);
  while (!header.empty() && header.back() == ' ') header.remove_suffix(1);
  std::optional<std::string> decoded = Base64Decode(header);
  if (!decoded) return std::nullopt;
  const std::size_t colon = decoded->find(':');
  if (colon == std::string::npos) {
    OPENSSL_cleanse(decoded->data(), decoded->size());
    return std::nullopt;
  }
  std::pair<std::string, std::string> out(decoded->substr(0, colon), decoded->substr(colon + 1));
  OPENSSL_cleanse(decoded->data(), decoded->size());
  return out;
}

Result<std::unique_ptr<BasicAuthenticator>> BasicAuthenticator::Create(
    const std::map<std::string, std::string>& users) {
  if (users.empty()) return Status::InvalidArgument("basic auth: no users");
  int cost = 4;
  for (const auto& [name, hash] : users) {
    if (!IsBcryptHash(hash)) {
      return Status::InvalidArgument("basic auth: the hash of user \"" + name + "\" is not a bcrypt hash");
    }
    cost = std::max(cost, BcryptCost(hash));
  }
  std::array<char, CRYPT_GENSALT_OUTPUT_SIZE> salt{};
  if (crypt_gensalt_rn("$2b$", static_cast<unsigned long>(cost), nullptr, 0, salt.data(),
                       static_cast<int>(salt.size())) == nullptr) {
    return Status::Internal("basic auth: crypt_gensalt_rn failed for bcrypt");
  }
  std::unique_ptr<BasicAuthenticator> auth(new BasicAuthenticator());
  auth->dummy_hash_ = Crypt(kDummyPassword, salt.data());
  if (!IsBcryptHash(auth->dummy_hash_)) {
    return Status::Internal("basic auth: the system's crypt has no bcrypt");
  }
  for (const auto& [name, hash] : users) auth->users_.emplace(name, hash);
  return auth;
}

BasicAuthenticator::~BasicAuthenticator() = default;

bool BasicAuthenticator::CacheContains(const std::string& key) const {
  const MutexLock lock(mu_);
  return verified_.count(key) > 0;
}

void BasicAuthenticator::CacheInsert(std::string key) const {
  const MutexLock lock(mu_);
  if (verified_.size() >= kMaxCachedVerifications) verified_.clear();
  verified_.insert(std::move(key));
}

bool BasicAuthenticator::Verify(std::string_view user, std::string_view password) const {
  const auto it = users_.find(user);
  const bool known = it != users_.end();
  const std::string& hash = known ? it->second : dummy_hash_;
  std::string key = CacheKey(user, password, hash);
  // The cache is consulted for unknown users too (never a hit): the same work either way.
  const bool cached = !key.empty() && CacheContains(key);
  if (known && cached) return true;
  const std::string computed = Crypt(password, hash);
  const bool match = !computed.empty() && ConstantTimeEquals(computed, hash);
  if (!known || !match) return false;
  if (!key.empty()) CacheInsert(std::move(key));
  return true;
}

bool BasicAuthenticator::VerifyCached(std::string_view user, std::string_view password) const {
  const auto it = users_.find(user);
  const bool known = it != users_.end();
  const std::string key = CacheKey(user, password, known ? it->second : dummy_hash_);
  const bool cached = !key.empty() && CacheContains(key);  // looked up for unknown users too: same work
  return known && cached;
}

BasicAuthenticator::Outcome BasicAuthenticator::Check(std::string_view authorization_header,
                                                      std::string* user) const {
  if (authorization_header.empty()) return Outcome::kNoCredentials;
  std::optional<std::pair<std::string, std::string>> credentials =
      ParseBasicAuthorization(authorization_header);
  if (!credentials) return Outcome::kDenied;
  if (user != nullptr) *user = credentials->first;
  const bool ok = Verify(credentials->first, credentials->second);
  OPENSSL_cleanse(credentials->second.data(), credentials->second.size());
  return ok ? Outcome::kAllowed : Outcome::kDenied;
}

}  // namespace zkx::exporter
