#include "server/connect_string.h"

#include <gtest/gtest.h>

namespace zkx::server {
namespace {

TEST(ConnectStringTest, HostsAndChroot) {
  Result<ConnectString> c = ParseConnectString("zk-0.zk:2181, zk-1.zk:2182,10.0.0.3:2183/kafka/prod/");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  ASSERT_EQ(c->servers.size(), 3u);
  EXPECT_EQ(c->servers[0], (HostPort{"zk-0.zk", 2181}));
  EXPECT_EQ(c->servers[1], (HostPort{"zk-1.zk", 2182}));
  EXPECT_EQ(c->servers[2].ToString(), "10.0.0.3:2183");
  EXPECT_EQ(c->chroot, "/kafka/prod");
}

TEST(ConnectStringTest, DefaultPortRootChrootAndDuplicates) {
  Result<ConnectString> c = ParseConnectString("localhost,localhost:2181/");
  ASSERT_TRUE(c.ok());
  ASSERT_EQ(c->servers.size(), 1u);
  EXPECT_EQ(c->servers[0].port, kDefaultClientPort);
  EXPECT_EQ(c->chroot, "");
}

TEST(ConnectStringTest, Ipv6Forms) {
  Result<ConnectString> c = ParseConnectString("::1:2181,[fe80::1]:2182,[::2]");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  ASSERT_EQ(c->servers.size(), 3u);
  EXPECT_EQ(c->servers[0], (HostPort{"::1", 2181}));
  EXPECT_EQ(c->servers[0].ToString(), "[::1]:2181");
  EXPECT_EQ(c->servers[1], (HostPort{"fe80::1", 2182}));
  EXPECT_EQ(c->servers[2], (HostPort{"::2", 2181}));
}

TEST(ConnectStringTest, Errors) {
  for (const char* bad : {"", "/chroot", "host:0", "host:65536", "host:12x", ":2181", "a,,b", "[::1", "[]:1",
                          "[::1]x", "h:1//a"}) {
    Result<ConnectString> c = ParseConnectString(bad);
    EXPECT_FALSE(c.ok()) << bad;
    if (!c.ok()) {
      EXPECT_EQ(c.status().code(), StatusCode::kInvalidArgument) << bad;
    }
  }
  EXPECT_TRUE(ParseConnectString("a:1,").ok());  // a trailing comma is tolerated
}

}  // namespace
}  // namespace zkx::server
