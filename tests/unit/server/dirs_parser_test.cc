// server/dirs_parser: the `dirs` replies (AdminServer JSON and four-letter word, as Debian's 3.8.0 sends
// them) and the ZOOKEEPER-4703 correction by version.
#include "server/dirs_parser.h"

#include <gtest/gtest.h>

namespace zkx::server {
namespace {

TEST(DirsParserTest, AdminReply) {
  // Captured from Debian's 3.8.0 (a 457-byte snapshot.0, an empty transaction-log directory).
  Result<DirsReply> r = ParseAdminDirs(
      "{\n  \"datadir_size\" : 0,\n  \"logdir_size\" : 457,\n  \"command\" : \"dirs\",\n  \"error\" : "
      "null\n}");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->datadir_size, 0);
  EXPECT_EQ(r->logdir_size, 457);
  EXPECT_FALSE(
      ParseAdminDirs(R"({"command":"dirs","error":"This ZooKeeper instance is not currently serving"})")
          .ok());
  EXPECT_FALSE(ParseAdminDirs(R"({"datadir_size":"12","logdir_size":3})").ok());
  EXPECT_FALSE(ParseAdminDirs(R"({"datadir_size":-1,"logdir_size":3})").ok());
  EXPECT_FALSE(ParseAdminDirs("[1,2]").ok());
  EXPECT_FALSE(ParseAdminDirs("{").ok());
}

TEST(DirsParserTest, FourLetterWordReply) {
  Result<DirsReply> r = ParseDirsWord("datadir_size: 67108880\nlogdir_size: 457\n");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->datadir_size, 67108880);
  EXPECT_EQ(r->logdir_size, 457);
  EXPECT_TRUE(ParseDirsWord("datadir_size: 1\r\nlogdir_size: 2\r\n").ok());
  EXPECT_FALSE(ParseDirsWord("This ZooKeeper instance is not currently serving requests\n").ok());
  EXPECT_FALSE(ParseDirsWord("datadir_size: 1\n").ok());
  EXPECT_FALSE(ParseDirsWord("datadir_size: x\nlogdir_size: 2\n").ok());
}

TEST(DirsParserTest, SwappedBeforeTheFix) {
  for (const char* v :
       {"3.5.1-alpha", "3.5.9-83df9301aa5c2a5d284a9940177808c01bc35cef, built on 2021-01-01", "3.6.4",
        "3.7.2", "3.8.0-${mvngit.commit.id}, built on 2023-01-01", "3.8.3", "3.9.0", "3.9.1"}) {
    EXPECT_EQ(DirsSwapped(v), true) << v;
  }
  for (const char* v : {"3.8.4", "3.8.6-abc, built on x", "3.9.2", "3.9.5", "3.10.0", "4.0.0"}) {
    EXPECT_EQ(DirsSwapped(v), false) << v;
  }
  for (const char* v : {"", "unknown", "3.8", "3..0", "x.8.0"}) EXPECT_FALSE(DirsSwapped(v).has_value()) << v;

  const DirsReply reply{.datadir_size = 100, .logdir_size = 7};
  std::optional<DirSizes> old_server = DirSizesFor(reply, "3.8.0");
  ASSERT_TRUE(old_server.has_value());
  EXPECT_EQ(old_server->txn_log_bytes, 100);
  EXPECT_EQ(old_server->snapshot_bytes, 7);
  std::optional<DirSizes> fixed = DirSizesFor(reply, "3.9.2");
  ASSERT_TRUE(fixed.has_value());
  EXPECT_EQ(fixed->snapshot_bytes, 100);
  EXPECT_EQ(fixed->txn_log_bytes, 7);
  EXPECT_FALSE(DirSizesFor(reply, "").has_value());
}

}  // namespace
}  // namespace zkx::server
