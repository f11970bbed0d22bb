#include "collectors/value_tracker.h"

#include <map>
#include <memory>
#include <regex>
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/support/fake_znode_tree.h"

namespace zkx::collectors {
namespace {

using testing::ElementsAre;
using testing::Pair;

using test::FakeZnodeTree;

// GetData requests answered so far.
int Reads(const FakeZnodeTree& zk) {
  return zk.requests(FakeZnodeTree::Op::kGetData);
}

ValueRule Rule(std::string name, std::string pattern, ValueDecoder decoder, std::string field,
               std::string metric) {
  ValueRule r;
  r.name = std::move(name);
  r.pattern = ValuePathPattern::Parse(pattern).value();
  r.decoder = decoder;
  r.field = field;
  if (decoder == ValueDecoder::kJson) r.json_path = ParseJsonFieldPath(field).value();
  r.metric = std::move(metric);
  return r;
}

std::shared_ptr<const ValueRuleSet> Rules(std::vector<ValueRule> rules) {
  auto set = std::make_shared<ValueRuleSet>();
  set->rules = std::move(rules);
  return set;
}

// A walk's pass: every znode of the tree added, then the changed ones read.
std::shared_ptr<const ValueSnapshot> Pass(ValueTracker& t, FakeZnodeTree& r) {
  for (const auto& [path, stat] : r.Stats()) t.Add(path, stat);
  return t.Finish(r);
}

uint64_t Errors(const ValueSnapshot& s, std::size_t rule, ValueErrorReason reason) {
  return s.errors_total[rule][static_cast<std::size_t>(reason)];
}
uint64_t Failing(const ValueSnapshot& s, std::size_t rule, ValueErrorReason reason) {
  return s.failing[rule][static_cast<std::size_t>(reason)];
}

TEST(ValueTrackerTest, ReadsOnlyWhatChanged) {
  FakeZnodeTree reader;
  reader.Create("/brokers/topics/a", R"({"partitions":{"0":[1,2],"1":[2,1]}})");
  reader.Create("/brokers/topics/a/partitions/0/state", R"({"leader":1,"isr":[1,2]})");
  reader.Create("/brokers/topics/a/partitions/1/state", R"({"leader":-1,"isr":[]})");
  ValueTracker t(Rules({Rule("leader", "/brokers/topics/{topic}/partitions/{partition}/state",
                             ValueDecoder::kJson, "/leader", "kafka_partition_leader")}),
                 100, 16, std::chrono::seconds(5));
  auto s = Pass(t, reader);
  EXPECT_EQ(Reads(reader), 2);  // /brokers/topics/a matches no rule: never read
  ASSERT_EQ(s->series.size(), 2u);
  EXPECT_THAT(s->series[0].labels, ElementsAre(Pair("topic", "a"), Pair("partition", "0")));
  EXPECT_EQ(s->series[0].value, 1);
  EXPECT_EQ(s->series[1].value, -1);

  s = Pass(t, reader);
  EXPECT_EQ(Reads(reader), 2);  // nothing changed: no read
  EXPECT_EQ(s->series.size(), 2u);

  reader.Set("/brokers/topics/a/partitions/1/state", R"({"leader":2,"isr":[2]})");
  s = Pass(t, reader);
  EXPECT_EQ(Reads(reader), 3);  // one changed znode, one read
  EXPECT_EQ(s->series[1].value, 2);
  EXPECT_EQ(s->data_reads_total, 3u);
}

// ZooKeeper rewrites /zookeeper/quota/**/zookeeper_stats in place (same mzxid): those are read every pass,
// anything else that changed without a new mzxid is not.
TEST(ValueTrackerTest, QuotaUsageZnodesAreReadEveryPass) {
  FakeZnodeTree reader;
  reader.Create("/zookeeper/quota/app/a/zookeeper_stats", "count=1,bytes=0");
  reader.Create("/zookeeper/quota/app/a/zookeeper_limits", "count=10,bytes=-1");
  ValueRule usage = Rule("count_usage", "/zookeeper/quota/{quota_path:**}/zookeeper_stats",
                         ValueDecoder::kRegex, "", "quota_count_usage");
  usage.regex_text = "count=(-?[0-9]+)";
  usage.regex = std::make_shared<const std::regex>(usage.regex_text);
  ValueRule limit = Rule("count_limit", "/zookeeper/quota/{quota_path:**}/zookeeper_limits",
                         ValueDecoder::kRegex, "", "quota_count_limit");
  limit.regex_text = "count=(-?[0-9]+)";
  limit.regex = std::make_shared<const std::regex>(limit.regex_text);
  ValueTracker t(Rules({usage, limit}), 100, 16, std::chrono::seconds(5));
  auto s = Pass(t, reader);
  EXPECT_EQ(Reads(reader), 2);
  ASSERT_EQ(s->series.size(), 2u);
  EXPECT_EQ(s->series[0].value, 1);

  // The server's in-place rewrite: new data, the old Stat.
  reader.RewriteInPlace("/zookeeper/quota/app/a/zookeeper_stats", "count=3,bytes=7");
  reader.RewriteInPlace("/zookeeper/quota/app/a/zookeeper_limits",
                        "count=99,bytes=-1");  // not ZooKeeper's way
  s = Pass(t, reader);
  EXPECT_EQ(Reads(reader), 3);  // the usage znode again, the limits znode not (its mzxid is the same)
  ASSERT_EQ(s->series.size(), 2u);
  EXPECT_EQ(s->series[0].value, 3);
  EXPECT_EQ(s->series[1].value, 10);
}

TEST(ValueTrackerTest, ErrorsAreCountedOncePerChangeAndShownWhileFailing) {
  FakeZnodeTree reader;
  reader.Create("/c/x", "not json");
  reader.Create("/c/y", R"({"v":3})");
  ValueTracker t(Rules({Rule("v", "/c/{name}", ValueDecoder::kJson, "/v", "c_v")}), 100, 16,
                 std::chrono::seconds(5));
  auto s = Pass(t, reader);
  ASSERT_EQ(s->series.size(), 1u);  // the bad znode gives no sample, never a 0
  EXPECT_EQ(Errors(*s, 0, ValueErrorReason::kInvalidJson), 1u);
  EXPECT_EQ(Failing(*s, 0, ValueErrorReason::kInvalidJson), 1u);
  s = Pass(t, reader);
  EXPECT_EQ(Errors(*s, 0, ValueErrorReason::kInvalidJson), 1u);   // not re-read, not re-counted
  EXPECT_EQ(Failing(*s, 0, ValueErrorReason::kInvalidJson), 1u);  // still failing
  reader.Set("/c/x", R"({"w":1})");
  s = Pass(t, reader);
  EXPECT_EQ(Errors(*s, 0, ValueErrorReason::kMissingKey), 1u);
  EXPECT_EQ(Failing(*s, 0, ValueErrorReason::kInvalidJson), 0u);
  EXPECT_EQ(s->matched[0], 2u);
}

TEST(ValueTrackerTest, VanishedBetweenWalkAndReadIsNeither) {
  FakeZnodeTree reader;
  reader.Create("/c/x", "1");
  ValueTracker t(Rules({Rule("n", "/c/{n}", ValueDecoder::kNumber, "", "c_n")}), 100, 16,
                 std::chrono::seconds(5));
  t.Add("/c/gone", zk::ZnodeStat{});
  for (const auto& [path, stat] : reader.Stats()) t.Add(path, stat);
  auto s = t.Finish(reader);
  ASSERT_EQ(s->series.size(), 1u);
  EXPECT_THAT(s->series[0].labels, ElementsAre(Pair("n", "x")));
  for (const auto& per_rule : s->failing) {
    for (uint64_t n : per_rule) EXPECT_EQ(n, 0u);
  }
  EXPECT_EQ(s->matched[0], 1u);
}

TEST(ValueTrackerTest, AggregatesDuplicatesAndCapsSeries) {
  FakeZnodeTree reader;
  for (int i = 0; i < 5; ++i) {
    reader.Create("/locks/jobs/_c_u" + std::to_string(i) + "-lock-000000000" + std::to_string(i));
  }
  reader.Create("/locks/other/_c_u-lock-0000000001");
  ValueRule count =
      Rule("lock", "/locks/{lock}/_c_*-lock-*", ValueDecoder::kNone, "", "curator_lock_participants");
  count.aggregate = ValueAggregate::kCount;
  ValueRule dup = Rule("dup", "/locks/*/_c_*", ValueDecoder::kNone, "", "dup");
  ValueRule absent = Rule("master", "/hbase/master", ValueDecoder::kNone, "", "hbase_master_present");
  absent.absent_value = 0;
  ValueTracker t(Rules({count, dup, absent}), 100, 16, std::chrono::seconds(5));
  auto s = Pass(t, reader);
  EXPECT_EQ(Reads(reader), 0);  // presence needs no data
  ASSERT_EQ(s->series.size(), 4u);
  EXPECT_THAT(s->series[0].labels, ElementsAre(Pair("lock", "jobs")));
  EXPECT_EQ(s->series[0].value, 5);
  EXPECT_EQ(s->series[1].value, 1);
  EXPECT_EQ(s->series[2].rule, 1u);  // dup: one series, the rest are errors
  EXPECT_EQ(Failing(*s, 1, ValueErrorReason::kDuplicateSeries), 5u);
  EXPECT_EQ(s->series[3].rule, 2u);
  EXPECT_EQ(s->series[3].value, 0);  // /hbase/master absent

  ValueTracker capped(Rules({count}), 1, 16, std::chrono::seconds(5));
  s = Pass(capped, reader);
  EXPECT_EQ(s->series.size(), 1u);
  EXPECT_TRUE(s->series_truncated);
}

TEST(ValueTrackerTest, ReaderWithoutDataIsAReadError) {
  // A reader that cannot read the data (kInternal): read_error, counted; the next pass retries.
  FakeZnodeTree reader;
  reader.Create("/c", "1");
  reader.FailWith("/c", Status::Internal("x"));
  ValueTracker t(Rules({Rule("n", "/c", ValueDecoder::kNumber, "", "c_n")}), 100, 16,
                 std::chrono::seconds(5));
  t.Add("/c", zk::ZnodeStat{});
  auto s = t.Finish(reader);
  EXPECT_EQ(Errors(*s, 0, ValueErrorReason::kReadError), 1u);
  t.Add("/c", zk::ZnodeStat{});
  s = t.Finish(reader);
  EXPECT_EQ(Errors(*s, 0, ValueErrorReason::kReadError), 2u);
  EXPECT_EQ(Reads(reader), 2);
  EXPECT_TRUE(s->series.empty());
}

}  // namespace
}  // namespace zkx::collectors
