#include "server/admin_json_parser.h"

#include <string>

#include <gtest/gtest.h>

#include "server/mntr_parser.h"
#include "server/watch_parser.h"
#include "tests/unit/server/test_files.h"

namespace zkx::server {
namespace {

TEST(AdminJsonParserTest, CapturedMonitorMatchesMntrFields) {
  Result<ServerReport> r = ParseAdminMonitor(testdata::Read("admin_monitor_3.8_leader.json"));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->server_state, "leader");
  EXPECT_EQ(ShortVersion(r->version), "3.8.0");
  EXPECT_EQ(r->znode_count, 778);
  EXPECT_EQ(r->watch_count, 10);
  EXPECT_EQ(r->ephemerals_count, 4);
  EXPECT_EQ(r->synced_followers, 2);
  EXPECT_EQ(r->followers, 2);
  EXPECT_DOUBLE_EQ(*r->avg_latency_ms, 3.0625);
  EXPECT_EQ(r->max_file_descriptors, 20000);
  EXPECT_GT(r->samples.size(), 500u);
  EXPECT_EQ(r->skipped_lines, 1u);  // peer_state

  Result<ServerReport> f = ParseAdminMonitor(testdata::Read("admin_monitor_3.8_follower.json"));
  ASSERT_TRUE(f.ok());
  EXPECT_EQ(f->server_state, "follower");
  EXPECT_FALSE(f->synced_followers);
}

TEST(AdminJsonParserTest, ErrorsAndHostileInput) {
  EXPECT_FALSE(ParseAdminMonitor("").ok());
  EXPECT_FALSE(ParseAdminMonitor("[1,2]").ok());
  EXPECT_FALSE(ParseAdminMonitor("{\"command\":\"monitor\",\"error\":null}").ok());  // no key
  Result<ServerReport> e = ParseAdminMonitor(
      R"({"command":"monitor","error":"This ZooKeeper instance is not currently serving requests"})");
  ASSERT_FALSE(e.ok());
  EXPECT_NE(e.status().message().find("not currently serving"), std::string::npos);
  EXPECT_FALSE(ParseAdminMonitor(std::string(100000, '[')).ok());
  EXPECT_FALSE(ParseAdminMonitor("{\"a\": 1").ok());
  Result<ServerReport> odd =
      ParseAdminMonitor(R"({"znode_count": 1e400, "watch_count": "7", "x": {"y": 1}, "z": 2})");
  // 1e400 is not a valid double for nlohmann: the whole document is rejected, and that's fine.
  Result<ServerReport> odd2 = ParseAdminMonitor(
      R"({"znode_count": -3, "watch_count": "7", "x": {"y": 1}, "z": 18446744073709551615})");
  ASSERT_TRUE(odd2.ok());
  EXPECT_EQ(odd2->znode_count, -3);
  EXPECT_FALSE(odd2->watch_count);
  EXPECT_EQ(odd2->skipped_lines, 2u);
  (void)odd;
}

TEST(AdminJsonParserTest, WatchSummaryAndByPath) {
  Result<WatchSummary> s = ParseAdminWatchSummary(testdata::Read("admin_watch_summary_3.8.json"));
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ(s->connections, 1);
  EXPECT_EQ(s->paths, 5);
  EXPECT_EQ(s->total_watches, 5);
  EXPECT_FALSE(ParseAdminWatchSummary(R"({"num_connections":1})").ok());

  const std::string by_path = testdata::Read("admin_watches_by_path_3.8.json");
  Result<WatchesByPath> all = ParseAdminWatchesByPath(by_path, nullptr, 100);
  ASSERT_TRUE(all.ok()) << all.status().ToString();
  EXPECT_EQ(all->total, 5u);
  EXPECT_EQ(all->matched, 5u);
  EXPECT_FALSE(all->truncated);
  for (const auto& [path, n] : all->paths) EXPECT_EQ(n, 1) << path;

  auto brokers = [](std::string_view p) { return p.starts_with("/brokers"); };
  Result<WatchesByPath> capped = ParseAdminWatchesByPath(by_path, brokers, 2);
  ASSERT_TRUE(capped.ok());
  EXPECT_EQ(capped->matched, 3u);
  EXPECT_EQ(capped->paths.size(), 2u);
  EXPECT_TRUE(capped->truncated);
}

TEST(WatchParserTest, CapturedWchsAndWchp) {
  Result<WatchSummary> s = ParseWchs(testdata::Read("wchs_3.8.txt"));
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->connections, 1);
  EXPECT_EQ(s->paths, 5);
  EXPECT_EQ(s->total_watches, 5);
  EXPECT_FALSE(ParseWchs("wchs is not executed because it is not in the whitelist.\n").ok());
  EXPECT_FALSE(ParseWchs("").ok());

  const std::string wchp = testdata::Read("wchp_3.8.txt");
  Result<WatchesByPath> all = ParseWchp(wchp, nullptr, 100);
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->total, 5u);
  ASSERT_EQ(all->paths.size(), 5u);
  EXPECT_EQ(all->paths[0], (std::pair<std::string, double>{"/controller", 1}));
  Result<WatchesByPath> two = ParseWchp(
      "/a\n\t0x1\n\t0x2\r\n/b\n\t0x1\n/c\n", [](std::string_view p) { return p != "/b"; }, 1);
  ASSERT_TRUE(two.ok());
  EXPECT_EQ(two->total, 3u);
  EXPECT_EQ(two->matched, 2u);
  ASSERT_EQ(two->paths.size(), 1u);
  EXPECT_EQ(two->paths[0].second, 2);
  EXPECT_TRUE(two->truncated);
  EXPECT_TRUE(ParseWchp("", nullptr, 10).ok());  // no watches
  EXPECT_FALSE(ParseWchp("\t0x1\n", nullptr, 10).ok());
  EXPECT_FALSE(ParseWchp("wchp is not executed because it is not in the whitelist.\n", nullptr, 10).ok());
}

}  // namespace
}  // namespace zkx::server
