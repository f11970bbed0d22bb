#include "server/mntr_parser.h"

#include <algorithm>

#include <gtest/gtest.h>

#include "server/srvr_parser.h"
#include "tests/unit/server/test_files.h"

namespace zkx::server {
namespace {

const ServerSample* Find(const ServerReport& r, const std::string& name) {
  auto it =
      std::find_if(r.samples.begin(), r.samples.end(), [&](const ServerSample& s) { return s.name == name; });
  return it == r.samples.end() ? nullptr : &*it;
}

TEST(MntrParserTest, Captured38Leader) {
  Result<ServerReport> r = ParseMntr(testdata::Read("mntr_3.8_leader.txt"));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->server_state, "leader");
  EXPECT_EQ(ShortVersion(r->version), "3.8.0");
  EXPECT_EQ(r->znode_count, 778);
  EXPECT_EQ(r->watch_count, 10);
  EXPECT_EQ(r->ephemerals_count, 4);
  EXPECT_EQ(r->approximate_data_size, 62896);
  EXPECT_EQ(r->alive_connections, 2);
  EXPECT_EQ(r->outstanding_requests, 0);
  EXPECT_DOUBLE_EQ(*r->avg_latency_ms, 0.9167);
  EXPECT_EQ(r->max_latency_ms, 3);
  EXPECT_EQ(r->packets_received, 15);
  EXPECT_EQ(r->packets_sent, 14);
  EXPECT_EQ(r->open_file_descriptors, 49);
  EXPECT_EQ(r->max_file_descriptors, 20000);
  EXPECT_EQ(r->synced_followers, 2);
  EXPECT_EQ(r->followers, 2);  // 3.5+: learners
  EXPECT_EQ(r->pending_syncs, 0);
  EXPECT_EQ(r->uptime_ms, 11480);
  EXPECT_EQ(r->skipped_lines, 1u);  // zk_peer_state's text
  EXPECT_GT(r->samples.size(), 500u);
  ASSERT_NE(Find(*r, "p999_readlatency"), nullptr);
}

TEST(MntrParserTest, Captured38FollowerHasNoLeaderFields) {
  Result<ServerReport> r = ParseMntr(testdata::Read("mntr_3.8_follower.txt"));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->server_state, "follower");
  EXPECT_EQ(r->znode_count, 778);
  EXPECT_FALSE(r->followers);
  EXPECT_FALSE(r->synced_followers);
  EXPECT_FALSE(r->pending_syncs);
}

TEST(MntrParserTest, Handwritten34Leader) {
  Result<ServerReport> r = ParseMntr(testdata::Read("mntr_3.4_leader.txt"));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(ShortVersion(r->version), "3.4.14");
  EXPECT_EQ(r->server_state, "leader");
  EXPECT_EQ(r->znode_count, 25193);
  EXPECT_EQ(r->watch_count, 4312);
  EXPECT_EQ(r->followers, 2);
  EXPECT_EQ(r->synced_followers, 2);
  EXPECT_EQ(r->max_latency_ms, 254);
  EXPECT_EQ(r->packets_received, 1452386);
  EXPECT_FALSE(r->uptime_ms);
  EXPECT_EQ(r->skipped_lines, 0u);
}

TEST(MntrParserTest, LabelledKeysCrlfAndGarbage) {
  Result<ServerReport> r = ParseMntr(testdata::Read("mntr_3.6_labelled.txt"));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->server_state, "follower");
  EXPECT_EQ(ShortVersion(r->version), "3.6.3");
  EXPECT_EQ(r->znode_count, 5);
  EXPECT_DOUBLE_EQ(*r->avg_latency_ms, 0.4286);
  const ServerSample* w = Find(*r, "write_per_namespace");
  ASSERT_NE(w, nullptr);
  EXPECT_EQ(w->labels, (std::vector<std::pair<std::string, std::string>>{{"key", "brokers"}}));
  EXPECT_EQ(w->value, 84);
  const ServerSample* q = Find(*r, "read_per_namespace");
  ASSERT_NE(q, nullptr);
  EXPECT_EQ(q->labels.size(), 2u);
  EXPECT_EQ(q->value, 307.5);
  const ServerSample* l = Find(*r, "request_latency");
  ASSERT_NE(l, nullptr);
  ASSERT_EQ(l->labels.size(), 2u);
  EXPECT_EQ(l->labels[1].second, "a b,\"c\"}");
  EXPECT_EQ(Find(*r, "negative")->value, -1);
  EXPECT_NE(Find(*r, "big_int"), nullptr);
  EXPECT_EQ(Find(*r, "huge"), nullptr);
  EXPECT_EQ(Find(*r, "not_a_number"), nullptr);
  EXPECT_EQ(Find(*r, "broken"), nullptr);
  // broken label set, "this is not...", not_a_number, huge, peer_state
  EXPECT_EQ(r->skipped_lines, 5u);
  // Labelled samples never feed the typed fields.
  EXPECT_EQ(r->watch_count, 0);
}

TEST(MntrParserTest, RefusalsAndEmptyAreErrors) {
  EXPECT_FALSE(ParseMntr("").ok());
  EXPECT_FALSE(ParseMntr("\n\r\n").ok());
  EXPECT_FALSE(ParseMntr("mntr is not executed because it is not in the whitelist.\n").ok());
  EXPECT_FALSE(ParseMntr("{{{{\n}}}}\n\x01\x02").ok());
}

TEST(MntrParserTest, NumbersAndLabelSets) {
  double v = 0;
  EXPECT_TRUE(ParseFiniteNumber("12", &v));
  EXPECT_TRUE(ParseFiniteNumber("+0.5", &v));
  EXPECT_EQ(v, 0.5);
  for (const char* bad : {"", "nan", "inf", "-inf", "1e999", "1x", "0x10", " 1"}) {
    EXPECT_FALSE(ParseFiniteNumber(bad, &v)) << bad;
  }
  std::vector<std::pair<std::string, std::string>> labels;
  EXPECT_TRUE(ParseLabelSet("{}", &labels));
  EXPECT_TRUE(ParseLabelSet(R"({a="1", b="x\\y"})", &labels));
  ASSERT_EQ(labels.size(), 2u);
  EXPECT_EQ(labels[1].second, "x\\y");
  for (const char* bad : {"{", "{a}", "{a=1}", "{a=\"1\" b=\"2\"}", "{1a=\"x\"}", "{a=\"x}"}) {
    EXPECT_FALSE(ParseLabelSet(bad, &labels)) << bad;
  }
}

TEST(SrvrParserTest, Captured38) {
  Result<ServerReport> r = ParseSrvr(testdata::Read("srvr_3.8_leader.txt"));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->server_state, "leader");
  EXPECT_EQ(ShortVersion(r->version), "3.8.0");
  EXPECT_EQ(r->min_latency_ms, 0);
  EXPECT_DOUBLE_EQ(*r->avg_latency_ms, 1.8462);
  EXPECT_EQ(r->max_latency_ms, 13);
  EXPECT_EQ(r->packets_received, 20);
  EXPECT_EQ(r->packets_sent, 21);
  EXPECT_EQ(r->alive_connections, 2);
  EXPECT_EQ(r->outstanding_requests, 0);
  EXPECT_EQ(r->znode_count, 778);
  EXPECT_FALSE(r->watch_count);
  EXPECT_FALSE(ParseSrvr("This ZooKeeper instance is not currently serving requests\n").ok());
  EXPECT_FALSE(ParseSrvr("").ok());
}

}  // namespace
}  // namespace zkx::server
