#include "server/connect_string.h"

#include <gtest/gtest.h>

namespace zkx::server {
namespace {

TEST(ConnectStringTest, HostsAndChroot) {
  Result<ConnectString> c = ParseConnectString("zk-0.zk:2181, zk-1.zk:2182,10.0.0.3:2183/kafka/prod");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  ASSERT_EQ(c->servers.size(), 3u);
  EXPECT_EQ(c->servers[0], (HostPort{"zk-0.zk", 2181}));
  EXPECT_EQ(c->servers[1], (HostPort{"zk-1.zk", 2182}));
  EXPECT_EQ(c->servers[2].ToString(), "10.0.0.3:2183");
  EXPECT_EQ(c->chroot, "/kafka/prod");
  EXPECT_EQ(ClientConnectString(*c), "zk-0.zk:2181,zk-1.zk:2182,10.0.0.3:2183/kafka/prod");
}

TEST(ConnectStringTest, DefaultPortRootChrootAndDuplicates) {
  Result<ConnectString> c = ParseConnectString("localhost,localhost:2181/");
  ASSERT_TRUE(c.ok());
  ASSERT_EQ(c->servers.size(), 1u);
  EXPECT_EQ(c->servers[0].port, kDefaultClientPort);
  EXPECT_EQ(c->chroot, "");
  // The C client needs a port on every host: a host given without one is handed over with 2181.
  EXPECT_EQ(ClientConnectString(*c), "localhost:2181");
}

TEST(ConnectStringTest, PortBoundsAndLeadingZeros) {
  Result<ConnectString> c = ParseConnectString("a:1,b:65535,c:02181");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->servers[0].port, 1);
  EXPECT_EQ(c->servers[1].port, 65535);
  EXPECT_EQ(c->servers[2].port, 2181);
}

TEST(ConnectStringTest, Ipv6Forms) {
  Result<ConnectString> c = ParseConnectString("::1:2181,[fe80::1]:2182,[::2],[fe80::3%eth0]:2183");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  ASSERT_EQ(c->servers.size(), 4u);
  EXPECT_EQ(c->servers[0], (HostPort{"::1", 2181}));
  EXPECT_EQ(c->servers[0].ToString(), "[::1]:2181");
  EXPECT_EQ(c->servers[1], (HostPort{"fe80::1", 2182}));
  EXPECT_EQ(c->servers[2], (HostPort{"::2", 2181}));
  EXPECT_EQ(c->servers[3], (HostPort{"fe80::3%eth0", 2183}));
  // The C client wants IPv6 without brackets: it splits host and port at the last ':'.
  EXPECT_EQ(ClientConnectString(*c), "::1:2181,fe80::1:2182,::2:2181,fe80::3%eth0:2183");
}

TEST(ConnectStringTest, ClientFormParsesBackToTheSame) {
  for (const char* text : {"[::1]:2181/a", "127.0.0.1:2181,[::1]:2182/x/y", "h/z"}) {
    Result<ConnectString> c = ParseConnectString(text);
    ASSERT_TRUE(c.ok()) << text;
    Result<ConnectString> again = ParseConnectString(ClientConnectString(*c));
    ASSERT_TRUE(again.ok()) << text;
    EXPECT_EQ(again->servers, c->servers) << text;
    EXPECT_EQ(again->chroot, c->chroot) << text;
  }
}

struct BadCase {
  const char* text;
  const char* problem;  // a part of the one-line message
};

TEST(ConnectStringTest, ErrorsNameTheProblemOnOneLine) {
  const BadCase cases[] = {
      {"", "no host"},
      {"   ", "no host"},
      {"/chroot", "no host"},
      {"127.0.0.1:110561", "port \"110561\" is out of range (want 1-65535)"},  // once wrapped to 45025
      {"host:65536", "out of range"},
      {"host:0", "port \"0\" is out of range"},
      {"127.0.0.1:0", "out of range"},
      {"127.0.0.1:-1", "port \"-1\" is not a number"},
      {"127.0.0.1:+1", "not a number"},
      {"127.0.0.1:abc", "port \"abc\" is not a number"},
      {"host:12x", "not a number"},
      {"127.0.0.1:", "empty port"},
      {":2181", "empty host"},
      {"a,,b", "empty host between commas"},
      {",a", "empty host between commas"},
      {"a b:2181", "bad character in host"},
      {"host!:2181", "bad character in host"},
      {"[::1", "unclosed '['"},
      {"[]:1", "not an IPv6 address in brackets"},
      {"[zk-0]:1", "not an IPv6 address"},
      {"[::1]x", "want ':port' after ']'"},
      {"fe80::1", "neither host:port nor an IPv6 literal"},  // IPv6 needs a port (or brackets)
      {"h:1//a", "empty segment"},
      {"/bad//chroot", "no host"},
      {"h:1/bad//chroot", "empty segment"},
      {"h:1/kafka/", "ends with '/'"},
      {"h:1/a/./b", "'.' or '..' segment"},
      {"h:1/a/..", "'.' or '..' segment"},
      {"h:1/a\nb", "control character"},
  };
  for (const BadCase& bad : cases) {
    Result<ConnectString> c = ParseConnectString(bad.text);
    ASSERT_FALSE(c.ok()) << bad.text;
    EXPECT_EQ(c.status().code(), StatusCode::kInvalidArgument) << bad.text;
    const std::string m = c.status().message();
    EXPECT_NE(m.find(bad.problem), std::string::npos) << bad.text << " -> " << m;
    EXPECT_EQ(m.rfind("connect string \"", 0), 0u) << m;
    EXPECT_EQ(m.find('\n'), std::string::npos) << m;
  }
  EXPECT_TRUE(ParseConnectString("a:1,").ok());  // a trailing comma is tolerated
  // inet_pton stops at a NUL: "::1:2" must not pass for "::1:2\0\0@:1]" (found by the fuzzer).
  EXPECT_FALSE(ParseConnectString(std::string_view("::1:2\0\0@\0:1]:2182", 17)).ok());
}

}  // namespace
}  // namespace zkx::server
