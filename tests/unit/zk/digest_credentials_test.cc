#include "zk/digest_credentials.h"

#include <cstdio>
#include <fstream>
#include <string>

#include <gtest/gtest.h>
#include <unistd.h>

namespace zkx::zk {
namespace {

constexpr char kSecret[] = "s3cr3t-Pa55";

TEST(DigestCredentialsTest, ParsesUserAndPassword) {
  auto c = ParseDigestCredentials("alice:s3cr3t");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->user, "alice");
  EXPECT_EQ(c->password, "s3cr3t");
  EXPECT_EQ(c->AuthToken(), "alice:s3cr3t");
}

TEST(DigestCredentialsTest, TrimsSurroundingWhitespaceAndNewline) {
  auto c = ParseDigestCredentials("  bob:pw with space \r\n");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->user, "bob");
  EXPECT_EQ(c->password, "pw with space");
}

TEST(DigestCredentialsTest, FirstColonSplits) {
  auto c = ParseDigestCredentials("carol:a:b:c");
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->user, "carol");
  EXPECT_EQ(c->password, "a:b:c");
}

TEST(DigestCredentialsTest, RejectsBadInputWithoutEchoingIt) {
  const std::string bad[] = {
      "",
      " \n",
      std::string("nocolon") + kSecret,
      std::string(":") + kSecret,
      std::string(kSecret) + ":",
      std::string("user:") + kSecret + "\nsecond:" + kSecret,
  };
  for (const std::string& input : bad) {
    auto c = ParseDigestCredentials(input);
    ASSERT_FALSE(c.ok()) << "accepted an invalid input";
    EXPECT_EQ(c.status().code(), StatusCode::kInvalidArgument);
    EXPECT_EQ(c.status().message().find(kSecret), std::string::npos) << c.status().message();
    EXPECT_FALSE(c.status().message().empty());
  }
}

class TempFile {
 public:
  explicit TempFile(const std::string& content) {
    char tmpl[] = "/tmp/zkx_digest_test_XXXXXX";
    const int fd = mkstemp(tmpl);
    EXPECT_GE(fd, 0);
    if (fd >= 0) close(fd);
    path_ = tmpl;
    std::ofstream(path_) << content;
  }
  ~TempFile() { std::remove(path_.c_str()); }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

TEST(DigestCredentialsTest, LoadsFile) {
  TempFile f(std::string("exporter:") + kSecret + "\n");
  auto c = LoadDigestCredentialsFile(f.path());
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->user, "exporter");
  EXPECT_EQ(c->password, kSecret);
}

TEST(DigestCredentialsTest, FileErrorsNameThePathOnly) {
  TempFile f(std::string(":") + kSecret + "\n");
  auto c = LoadDigestCredentialsFile(f.path());
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.status().message().find(f.path()), std::string::npos) << c.status().message();
  EXPECT_EQ(c.status().message().find(kSecret), std::string::npos) << c.status().message();

  auto missing = LoadDigestCredentialsFile("/nonexistent/zkx/creds");
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("/nonexistent/zkx/creds"), std::string::npos);
}

}  // namespace
}  // namespace zkx::zk
