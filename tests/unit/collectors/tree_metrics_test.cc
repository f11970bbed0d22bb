#include "collectors/tree_metrics.h"

#include <map>
#include <string>

#include <gtest/gtest.h>
#include <prometheus/text_serializer.h>

namespace zkx::collectors {
namespace {

// "name{labels}" -> value, from the text exposition: what a scraper would see.
std::map<std::string, std::string> Samples(const std::vector<prometheus::MetricFamily>& families) {
  std::map<std::string, std::string> out;
  std::istringstream in(prometheus::TextSerializer().Serialize(families));
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    const auto space = line.rfind(' ');
    out[line.substr(0, space)] = line.substr(space + 1);
  }
  return out;
}

std::vector<prometheus::MetricFamily> Built(const std::vector<TreeEntry>& entries) {
  std::vector<prometheus::MetricFamily> families;
  BuildTreeFamilies(entries, &families);
  return families;
}

std::shared_ptr<const SubtreeView> ViewWith(std::shared_ptr<const SubtreeSnapshot> snap, Status last,
                                            uint64_t refreshes, uint64_t failures) {
  auto v = std::make_shared<SubtreeView>();
  v->last_success = std::move(snap);
  v->last_status = std::move(last);
  v->refreshes_total = refreshes;
  v->refresh_failures_total = failures;
  return v;
}

TEST(TreeMetricsTest, AclAuditSeriesOnlyForAuditedSubtreesWithBoundedSchemes) {
  auto audited = std::make_shared<SubtreeSnapshot>();
  audited->root = "/config";
  audited->root_exists = true;
  AclAuditResult acl;
  acl.tally.audited = 40;
  acl.tally.world_readable = 12;
  acl.tally.world_writable = 3;
  acl.truncated = true;
  // Ten schemes: the first eight (in name order) get their own series, the rest are summed into "other".
  for (uint64_t i = 0; i < 10; ++i) acl.tally.znodes_by_scheme["s" + std::to_string(i)] = 1 + i;
  audited->acl = acl;
  auto plain = std::make_shared<SubtreeSnapshot>();
  plain->root = "/plain";
  plain->root_exists = true;

  auto samples = Samples(Built({{"/config", std::chrono::seconds(30), ViewWith(audited, Status::Ok(), 1, 0)},
                                {"/plain", std::chrono::seconds(30), ViewWith(plain, Status::Ok(), 1, 0)}}));
  EXPECT_EQ(samples["zookeeper_subtree_acl_audited_znodes{root=\"/config\"}"], "40");
  EXPECT_EQ(samples["zookeeper_subtree_acl_audit_truncated{root=\"/config\"}"], "1");
  EXPECT_EQ(samples["zookeeper_subtree_acl_world_readable_znodes{root=\"/config\"}"], "12");
  EXPECT_EQ(samples["zookeeper_subtree_acl_world_writable_znodes{root=\"/config\"}"], "3");
  EXPECT_EQ(samples["zookeeper_subtree_acl_scheme_znodes{root=\"/config\",scheme=\"s0\"}"], "1");
  EXPECT_EQ(samples["zookeeper_subtree_acl_scheme_znodes{root=\"/config\",scheme=\"s7\"}"], "8");
  EXPECT_EQ(samples.count("zookeeper_subtree_acl_scheme_znodes{root=\"/config\",scheme=\"s8\"}"), 0U);
  EXPECT_EQ(samples["zookeeper_subtree_acl_scheme_znodes{root=\"/config\",scheme=\"other\"}"], "19");
  EXPECT_EQ(samples.count("zookeeper_subtree_acl_audited_znodes{root=\"/plain\"}"), 0U);
}

TEST(TreeMetricsTest, SnapshotBecomesSubtreeAndZnodeSeries) {
  auto snap = std::make_shared<SubtreeSnapshot>();
  snap->root = "/brokers/ids";
  snap->root_exists = true;
  snap->znodes = 4;
  snap->data_bytes = 300;
  snap->ephemeral_znodes = 3;
  snap->max_depth = 1;
  snap->largest_znode_bytes = 120;
  snap->largest_znode_path = "/brokers/ids/2";
  snap->completed_at = std::chrono::system_clock::time_point(std::chrono::seconds(1700000000));
  snap->duration = std::chrono::milliseconds(1500);
  zk::ZnodeStat eph;
  eph.ephemeral_owner = 0x100000abcLL;
  eph.data_length = 120;
  eph.mtime_ms = 1700000000500;
  eph.version = 4;
  snap->znode_samples.push_back({"/brokers/ids/2", eph});

  auto samples =
      Samples(Built({{"/brokers/ids", std::chrono::seconds(30), ViewWith(snap, Status::Ok(), 2, 0)}}));
  EXPECT_EQ(samples["zookeeper_subtree_znodes{root=\"/brokers/ids\"}"], "4");
  EXPECT_EQ(samples["zookeeper_subtree_data_bytes{root=\"/brokers/ids\"}"], "300");
  EXPECT_EQ(samples["zookeeper_subtree_ephemeral_znodes{root=\"/brokers/ids\"}"], "3");
  EXPECT_EQ(samples["zookeeper_subtree_largest_znode_bytes{root=\"/brokers/ids\"}"], "120");
  EXPECT_EQ(samples["zookeeper_subtree_largest_znode_info{root=\"/brokers/ids\",path=\"/brokers/ids/2\"}"],
            "1");
  EXPECT_EQ(samples["zookeeper_subtree_truncated{root=\"/brokers/ids\"}"], "0");
  EXPECT_EQ(samples["zookeeper_subtree_last_refresh_timestamp_seconds{root=\"/brokers/ids\"}"], "1700000000");
  EXPECT_EQ(samples["zookeeper_subtree_refresh_duration_seconds{root=\"/brokers/ids\"}"], "1.5");
  EXPECT_EQ(samples["zookeeper_subtree_last_refresh_success{root=\"/brokers/ids\"}"], "1");
  EXPECT_EQ(samples["zookeeper_subtree_refreshes_total{root=\"/brokers/ids\"}"], "2");
  EXPECT_EQ(samples["zookeeper_subtree_refresh_interval_seconds{root=\"/brokers/ids\"}"], "30");
  const std::string z = "{path=\"/brokers/ids/2\",root=\"/brokers/ids\"}";
  EXPECT_EQ(samples["zookeeper_znode_data_bytes" + z], "120");
  EXPECT_EQ(samples["zookeeper_znode_version" + z], "4");
  EXPECT_EQ(samples["zookeeper_znode_ephemeral" + z], "1");
  EXPECT_EQ(samples["zookeeper_znode_mtime_timestamp_seconds" + z], "1700000000.5");
  EXPECT_EQ(samples["zookeeper_znode_ephemeral_owner_info{path=\"/brokers/ids/2\",root=\"/brokers/ids\","
                    "session_id=\"0x100000abc\"}"],
            "1");
}

TEST(TreeMetricsTest, NoSnapshotYetMeansNoGaugesOnlyCounters) {
  auto samples =
      Samples(Built({{"/x", std::chrono::seconds(5), ViewWith(nullptr, Status::Unavailable("down"), 1, 1)}}));
  EXPECT_EQ(samples.count("zookeeper_subtree_znodes{root=\"/x\"}"), 0u);
  EXPECT_EQ(samples["zookeeper_subtree_last_refresh_success{root=\"/x\"}"], "0");
  EXPECT_EQ(samples["zookeeper_subtree_refresh_failures_total{root=\"/x\"}"], "1");
}

TEST(TreeMetricsTest, StaleSnapshotIsStillServedAfterAFailedRefresh) {
  auto snap = std::make_shared<SubtreeSnapshot>();
  snap->root = "/a";
  snap->root_exists = true;
  snap->znodes = 9;
  auto samples =
      Samples(Built({{"/a", std::chrono::seconds(5), ViewWith(snap, Status::Unavailable("x"), 3, 1)}}));
  EXPECT_EQ(samples["zookeeper_subtree_znodes{root=\"/a\"}"], "9");
  EXPECT_EQ(samples["zookeeper_subtree_last_refresh_success{root=\"/a\"}"], "0");
}

TEST(TreeMetricsTest, VanishedZnodeVanishesFromTheNextBuild) {
  auto before = std::make_shared<SubtreeSnapshot>();
  before->root = "/s";
  before->root_exists = true;
  before->znode_samples = {{"/s", {}}, {"/s/gone", {}}};
  auto after = std::make_shared<SubtreeSnapshot>(*before);
  after->znode_samples.pop_back();
  auto s1 = Samples(Built({{"/s", std::chrono::seconds(5), ViewWith(before, Status::Ok(), 1, 0)}}));
  auto s2 = Samples(Built({{"/s", std::chrono::seconds(5), ViewWith(after, Status::Ok(), 2, 0)}}));
  EXPECT_EQ(s1.count("zookeeper_znode_children{path=\"/s/gone\",root=\"/s\"}"), 1u);
  EXPECT_EQ(s2.count("zookeeper_znode_children{path=\"/s/gone\",root=\"/s\"}"), 0u);
}

// The families, one per znode stat, are built one at a time for a text sink: the text it makes is what the
// serializer makes of all of them at once, in the same order.
TEST(TreeMetricsTest, TextSinkHasTheSerialisedFamilies) {
  auto snap = std::make_shared<SubtreeSnapshot>();
  snap->root = "/t";
  snap->root_exists = true;
  snap->znodes = 3;
  for (int i = 0; i < 3; ++i) {
    ZnodeSample z;
    z.path = "/t/n" + std::to_string(i);
    z.stat.version = i;
    z.stat.ephemeral_owner = i == 1 ? 0x1234 : 0;
    snap->znode_samples.push_back(z);
  }
  const std::vector<TreeEntry> entries{{"/t", std::chrono::seconds(5), ViewWith(snap, Status::Ok(), 1, 0)}};
  std::vector<std::string> pieces;
  BuildTreeFamilies(entries, FamilySink(&pieces));
  const auto families = Built(entries);
  ASSERT_EQ(pieces.size(), families.size());
  std::string text;
  for (const std::string& piece : pieces) text += piece;
  EXPECT_EQ(text, prometheus::TextSerializer().Serialize(families));
  EXPECT_NE(
      text.find("zookeeper_znode_ephemeral_owner_info{path=\"/t/n1\",root=\"/t\",session_id=\"0x1234\"} 1"),
      std::string::npos)
      << text;
  EXPECT_NE(text.find("zookeeper_znode_version{path=\"/t/n2\",root=\"/t\"} 2"), std::string::npos);
}

TEST(TreeMetricsTest, NoEmptyFamilies) {
  for (const auto& f : Built({})) EXPECT_FALSE(f.metric.empty()) << f.name;
  EXPECT_TRUE(Built({}).empty());
}

}  // namespace
}  // namespace zkx::collectors

namespace zkx::collectors {
namespace {

TEST(TreeMetricsWatchTest, RefreshModeAndChangesByType) {
  auto watch = std::make_shared<SubtreeView>();
  watch->configured_mode = RefreshMode::kWatch;
  watch->watch.mode = RefreshMode::kWatch;
  watch->watch.created_total = 3;
  watch->watch.deleted_total = 2;
  watch->watch.data_changed_total = 7;
  watch->watch.children_changed_total = 4;
  watch->watch.watched_bytes = 1234;
  auto fallen = std::make_shared<SubtreeView>();
  fallen->configured_mode = RefreshMode::kWatch;
  fallen->watch.mode = RefreshMode::kPoll;
  auto poll = std::make_shared<SubtreeView>();
  const auto s = Samples(Built({{"/w", std::chrono::seconds(30), watch},
                                {"/f", std::chrono::seconds(30), fallen},
                                {"/p", std::chrono::seconds(30), poll}}));
  EXPECT_EQ(s.at(R"(zookeeper_subtree_refresh_mode{mode="watch",root="/w"})"), "1");
  EXPECT_EQ(s.at(R"(zookeeper_subtree_refresh_mode{mode="poll",root="/w"})"), "0");
  EXPECT_EQ(s.at(R"(zookeeper_subtree_refresh_mode{mode="poll",root="/f"})"), "1");
  EXPECT_EQ(s.at(R"(zookeeper_subtree_refresh_mode{mode="poll",root="/p"})"), "1");
  EXPECT_EQ(s.at(R"(zookeeper_subtree_changes_total{root="/w",type="created"})"), "3");
  EXPECT_EQ(s.at(R"(zookeeper_subtree_changes_total{root="/w",type="deleted"})"), "2");
  EXPECT_EQ(s.at(R"(zookeeper_subtree_changes_total{root="/w",type="data_changed"})"), "7");
  EXPECT_EQ(s.at(R"(zookeeper_subtree_changes_total{root="/w",type="children_changed"})"), "4");
  EXPECT_EQ(s.at(R"(zookeeper_subtree_watched_path_bytes{root="/w"})"), "1234");
  EXPECT_EQ(s.count(R"(zookeeper_subtree_changes_total{root="/p",type="created"})"), 0U);  // poll: none
}

}  // namespace
}  // namespace zkx::collectors
