// Unit tests for basic auth: bcrypt verification through libxcrypt, header parsing, constant-time compare.
#include "exporter/basic_auth.h"

#include <cstdlib>
#include <memory>
#include <string>

#include <crypt.h>
#include <gtest/gtest.h>

namespace zkx::exporter {
namespace {

// A bcrypt hash of `password` at cost 4 (fast), made with the system's crypt like htpasswd would.
std::string Bcrypt(const std::string& password, const char* prefix = "$2b$") {
  char* salt = crypt_gensalt_ra(prefix, 4, nullptr, 0);
  EXPECT_NE(salt, nullptr);
  crypt_data data{};
  const char* hash = crypt_r(password.c_str(), salt, &data);
  std::free(salt);
  EXPECT_NE(hash, nullptr);
  return hash != nullptr ? hash : "";
}

std::string BasicHeader(const std::string& user_colon_password) {
  static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  unsigned bits = 0;
  int nbits = 0;
  for (char ch : user_colon_password) {
    const auto c = static_cast<unsigned char>(ch);
    bits = (bits << 8U) | c;
    nbits += 8;
    while (nbits >= 6) {
      nbits -= 6;
      out += kAlphabet[(bits >> static_cast<unsigned>(nbits)) & 0x3FU];
    }
  }
  if (nbits > 0) out += kAlphabet[(bits << static_cast<unsigned>(6 - nbits)) & 0x3FU];
  while (out.size() % 4 != 0) out += '=';
  return "Basic " + out;
}

TEST(BcryptHashTest, AcceptsOnlyBcrypt) {
  const std::string h = Bcrypt("secret");
  EXPECT_TRUE(IsBcryptHash(h));
  EXPECT_EQ(BcryptCost(h), 4);
  std::string y = h;
  y[2] = 'y';
  EXPECT_TRUE(IsBcryptHash(y));
  y[2] = 'a';
  EXPECT_TRUE(IsBcryptHash(y));
  y[2] = 'x';
  EXPECT_FALSE(IsBcryptHash(y));
  EXPECT_FALSE(IsBcryptHash("secret"));
  EXPECT_FALSE(IsBcryptHash(""));
  EXPECT_FALSE(IsBcryptHash(h.substr(0, 59)));
  EXPECT_FALSE(IsBcryptHash(h + "x"));
  EXPECT_FALSE(IsBcryptHash("$2b$03" + h.substr(6)));  // cost below 4
  EXPECT_FALSE(IsBcryptHash("$2b$32" + h.substr(6)));  // cost above 31
  std::string bad = h;
  bad[40] = '!';
  EXPECT_FALSE(IsBcryptHash(bad));
  // SHA-512 crypt and MD5 crypt are refused.
  EXPECT_FALSE(IsBcryptHash("$6$saltsalt$abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyzab"));
  EXPECT_FALSE(IsBcryptHash("$1$saltsalt$abcdefghijklmnopqrstuv"));
}

TEST(ConstantTimeEqualsTest, ComparesBytesAndSizes) {
  EXPECT_TRUE(ConstantTimeEquals("", ""));
  EXPECT_TRUE(ConstantTimeEquals("abc", "abc"));
  EXPECT_FALSE(ConstantTimeEquals("abc", "abd"));
  EXPECT_FALSE(ConstantTimeEquals("abc", "ab"));
  EXPECT_FALSE(ConstantTimeEquals("", "a"));
  EXPECT_FALSE(ConstantTimeEquals(std::string("a\0b", 3), std::string("a\0c", 3)));
  EXPECT_TRUE(ConstantTimeEquals(std::string("a\0b", 3), std::string("a\0b", 3)));
}

TEST(Base64Test, DecodesStandardAlphabet) {
  EXPECT_EQ(*Base64Decode("YWxpY2U6c2VjcmV0"), "alice:secret");
  EXPECT_EQ(*Base64Decode("YQ=="), "a");
  EXPECT_EQ(*Base64Decode("YQ"), "a");
  EXPECT_EQ(*Base64Decode("YWI="), "ab");
  EXPECT_EQ(*Base64Decode(""), "");
  EXPECT_EQ(*Base64Decode("+/+/"), "\xfb\xff\xbf");
  EXPECT_FALSE(Base64Decode("YW*j").has_value());
  EXPECT_FALSE(Base64Decode("Y").has_value());
  EXPECT_FALSE(Base64Decode("YW j").has_value());
}

TEST(ParseBasicAuthorizationTest, SplitsAtTheFirstColon) {
  auto c = ParseBasicAuthorization(BasicHeader("alice:pa:ss"));
  ASSERT_TRUE(c.has_value());
  EXPECT_EQ(c->first, "alice");
  EXPECT_EQ(c->second, "pa:ss");
  c = ParseBasicAuthorization("bAsIc   " + BasicHeader("bob:").substr(6) + "  ");
  ASSERT_TRUE(c.has_value());
  EXPECT_EQ(c->first, "bob");
  EXPECT_EQ(c->second, "");
  EXPECT_FALSE(ParseBasicAuthorization("").has_value());
  EXPECT_FALSE(ParseBasicAuthorization("Basic").has_value());
  EXPECT_FALSE(ParseBasicAuthorization("Bearer YWxpY2U6c2VjcmV0").has_value());
  EXPECT_FALSE(ParseBasicAuthorization("BasicYWxpY2U6c2VjcmV0").has_value());
  EXPECT_FALSE(ParseBasicAuthorization(BasicHeader("no-colon")).has_value());
  EXPECT_FALSE(ParseBasicAuthorization("Basic !!!!").has_value());
}

class BasicAuthenticatorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Result<std::unique_ptr<BasicAuthenticator>> a = BasicAuthenticator::Create(
        {{"alice", Bcrypt("alice-secret")}, {"bob", Bcrypt("bob-secret", "$2y$")}});
    ASSERT_TRUE(a.ok()) << a.status().ToString();
    auth_ = std::move(a).value();
  }
  std::unique_ptr<BasicAuthenticator> auth_;
};

TEST_F(BasicAuthenticatorTest, RightPasswordWrongPasswordUnknownUser) {
  EXPECT_TRUE(auth_->Verify("alice", "alice-secret"));
  EXPECT_TRUE(auth_->Verify("alice", "alice-secret"));  // the cached path
  EXPECT_TRUE(auth_->Verify("bob", "bob-secret"));
  EXPECT_FALSE(auth_->Verify("alice", "bob-secret"));
  EXPECT_FALSE(auth_->Verify("alice", "alice-secret "));
  EXPECT_FALSE(auth_->Verify("alice", ""));
  EXPECT_FALSE(auth_->Verify("Alice", "alice-secret"));
  EXPECT_FALSE(auth_->Verify("carol", "alice-secret"));
  EXPECT_FALSE(auth_->Verify("", ""));
  EXPECT_FALSE(auth_->Verify("alice", std::string("alice-secret\0x", 14)));  // NUL cannot reach crypt
  // The dummy hash of unknown users never matches, whatever the password.
  EXPECT_FALSE(auth_->Verify("carol", "zookeeper_exporter: no such user"));
}

TEST_F(BasicAuthenticatorTest, ChecksAuthorizationHeaders) {
  std::string user;
  EXPECT_EQ(auth_->Check(BasicHeader("alice:alice-secret"), &user), BasicAuthenticator::Outcome::kAllowed);
  EXPECT_EQ(user, "alice");
  EXPECT_EQ(auth_->Check(BasicHeader("alice:wrong"), &user), BasicAuthenticator::Outcome::kDenied);
  EXPECT_EQ(auth_->Check(BasicHeader("mallory:alice-secret"), &user), BasicAuthenticator::Outcome::kDenied);
  EXPECT_EQ(user, "mallory");
  EXPECT_EQ(auth_->Check(""), BasicAuthenticator::Outcome::kNoCredentials);
  EXPECT_EQ(auth_->Check("Bearer token"), BasicAuthenticator::Outcome::kDenied);
}

TEST(BasicAuthenticatorCreateTest, RefusesNonBcryptAndEmpty) {
  EXPECT_FALSE(BasicAuthenticator::Create({}).ok());
  Result<std::unique_ptr<BasicAuthenticator>> plain = BasicAuthenticator::Create({{"alice", "hunter2"}});
  ASSERT_FALSE(plain.ok());
  EXPECT_EQ(plain.status().message().find("hunter2"),
            std::string::npos);  // never echo what might be a password
}

}  // namespace
}  // namespace zkx::exporter
