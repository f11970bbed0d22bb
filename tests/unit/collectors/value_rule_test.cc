#include "collectors/value_rule.h"

#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace zkx::collectors {
namespace {

using testing::ElementsAre;
using testing::Pair;

ValuePathPattern P(std::string_view text) {
  Result<ValuePathPattern> p = ValuePathPattern::Parse(text);
  EXPECT_TRUE(p.ok()) << p.status().ToString();
  return p.ok() ? std::move(p).value() : ValuePathPattern();
}

ValueRule Json(std::string_view field, ValueFunction f = ValueFunction::kValue,
               std::vector<std::string> wildcard_labels = {}) {
  ValueRule r;
  r.name = "r";
  r.decoder = ValueDecoder::kJson;
  r.field = std::string(field);
  r.json_path = ParseJsonFieldPath(field).value();
  r.function = f;
  r.wildcard_labels = std::move(wildcard_labels);
  return r;
}

DecodeOutcome D(const ValueRule& r, std::string_view data) {
  return DecodeValue(r, data, zk::ZnodeStat{});
}

double One(const DecodeOutcome& o) {
  EXPECT_FALSE(o.error.has_value()) << ValueErrorReasonName(*o.error);
  EXPECT_EQ(o.samples.size(), 1u);
  return o.samples.empty() ? -12345 : o.samples[0].value;
}

ValueErrorReason Err(const DecodeOutcome& o) {
  EXPECT_TRUE(o.error.has_value());
  return o.error.value_or(ValueErrorReason::kCount_);
}

TEST(ValuePathPatternTest, CapturesSegments) {
  LabelPairs got;
  const ValuePathPattern p = P("/brokers/topics/{topic}/partitions/{partition}/state");
  EXPECT_TRUE(p.Match("/brokers/topics/orders/partitions/3/state", &got));
  EXPECT_THAT(got, ElementsAre(Pair("topic", "orders"), Pair("partition", "3")));
  EXPECT_FALSE(p.Match("/brokers/topics/orders/partitions/3", nullptr));
  EXPECT_FALSE(p.Match("/brokers/topics/orders/partitions/3/state/x", nullptr));
  EXPECT_THAT(p.label_names(), ElementsAre("topic", "partition"));
}

TEST(ValuePathPatternTest, GlobsAndDoubleStar) {
  LabelPairs got;
  EXPECT_TRUE(P("/**/{lock}/_c_*-lock-*").Match("/app/locks/jobs/_c_ab-12-lock-0000000001", &got));
  EXPECT_THAT(got, ElementsAre(Pair("lock", "jobs")));
  got.clear();
  EXPECT_TRUE(P("/{lock_path:**}/_c_*-latch-*").Match("/app/leader/_c_x-latch-0000000003", &got));
  EXPECT_THAT(got, ElementsAre(Pair("lock_path", "app/leader")));
  EXPECT_FALSE(P("/{lock_path:**}/_c_*-latch-*").Match("/_c_x-latch-0000000003", nullptr));
  EXPECT_TRUE(P("/a/**").Match("/a", nullptr));
  EXPECT_TRUE(P("/a/?b").Match("/a/xb", nullptr));
  EXPECT_FALSE(P("/a/?b").Match("/a/xxb", nullptr));
  EXPECT_TRUE(P("/").Match("/", nullptr));
}

TEST(ValuePathPatternTest, RejectsBadPatterns) {
  EXPECT_FALSE(ValuePathPattern::Parse("a/b").ok());
  EXPECT_FALSE(ValuePathPattern::Parse("/a//b").ok());
  EXPECT_FALSE(ValuePathPattern::Parse("/a/{x").ok());
  EXPECT_FALSE(ValuePathPattern::Parse("/a/x{y}").ok());
  EXPECT_FALSE(ValuePathPattern::Parse("/{a}/{a}").ok());
  EXPECT_FALSE(ValuePathPattern::Parse("/{__a}").ok());
  EXPECT_FALSE(ValuePathPattern::Parse("/a**").ok());
  EXPECT_FALSE(ValuePathPattern::Parse("/**/**/**").ok());
  EXPECT_FALSE(ValuePathPattern::Parse("/a/").ok());
}

TEST(JsonFieldPathTest, PointerAndDotted) {
  EXPECT_THAT(ParseJsonFieldPath("/a/b~1c/~0d").value(), ElementsAre("a", "b/c", "~d"));
  EXPECT_THAT(ParseJsonFieldPath("partitions.*").value(), ElementsAre("partitions", "*"));
  EXPECT_TRUE(ParseJsonFieldPath("/").value().empty());
  EXPECT_FALSE(ParseJsonFieldPath("a..b").ok());
  EXPECT_FALSE(ParseJsonFieldPath("/a~2").ok());
}

// Kafka's formats: /controller, /brokers/topics/T/partitions/P/state, /brokers/topics/T.
constexpr char kController[] = R"({"version":1,"brokerid":2,"timestamp":"1700000000000"})";
constexpr char kState[] = R"({"controller_epoch":3,"leader":-1,"version":1,"leader_epoch":7,"isr":[1]})";
constexpr char kTopic[] =
    R"({"version":2,"partitions":{"0":[1,2,3],"1":[2,3,1]},"adding_replicas":{},"removing_replicas":{}})";

TEST(DecodeJsonTest, FieldsLengthsAndMaps) {
  EXPECT_EQ(One(D(Json("/brokerid"), kController)), 2);
  EXPECT_EQ(One(D(Json("timestamp"), kController)), 1700000000000.0);  // a number in a string
  EXPECT_EQ(One(D(Json("/isr", ValueFunction::kLength), kState)), 1);
  EXPECT_EQ(One(D(Json("/leader"), kState)), -1);

  ValueRule offline = Json("/leader");
  offline.value_map = {{"-1", 1}};
  offline.value_map_default = 0;
  EXPECT_EQ(One(D(offline, kState)), 1);
  EXPECT_EQ(One(D(offline, R"({"leader":3})")), 0);

  ValueRule state = Json("/state");
  state.value_map = {{"ACTIVE", 1}, {"DOWN", 0}};
  EXPECT_EQ(One(D(state, R"({"state":"DOWN"})")), 0);
  EXPECT_EQ(Err(D(state, R"({"state":"RECOVERING"})")), ValueErrorReason::kUnmappedValue);
  EXPECT_EQ(One(D(Json("/b"), R"({"b":true})")), 1);
}

TEST(DecodeJsonTest, WildcardsBecomeLabels) {
  const DecodeOutcome o = D(Json("/partitions/*", ValueFunction::kLength, {"partition"}), kTopic);
  ASSERT_FALSE(o.error.has_value());
  ASSERT_EQ(o.samples.size(), 2u);
  EXPECT_THAT(o.samples[0].labels, ElementsAre(Pair("partition", "0")));
  EXPECT_EQ(o.samples[0].value, 3);
  // The preferred leader: the first replica.
  const DecodeOutcome first = D(Json("/partitions/*/0", ValueFunction::kValue, {"partition"}), kTopic);
  ASSERT_EQ(first.samples.size(), 2u);
  EXPECT_EQ(first.samples[1].value, 2);
  EXPECT_EQ(One(D(Json("/partitions", ValueFunction::kLength), kTopic)), 2);
  EXPECT_EQ(One(D(Json("/partitions/*", ValueFunction::kCount), kTopic)), 2);
  EXPECT_EQ(One(D(Json("/adding_replicas/*", ValueFunction::kCount), kTopic)), 0);
}

TEST(DecodeJsonTest, CountByGroupsScalars) {
  // Solr's state.json: replicas per state.
  constexpr char kSolr[] = R"({"c1":{"shards":{"shard1":{"replicas":{
      "core_node1":{"state":"active"},"core_node2":{"state":"down"}}},
    "shard2":{"replicas":{"core_node3":{"state":"active"}}}}}})";
  ValueRule r = Json("/*/shards/*/replicas/*/state", ValueFunction::kCountBy, {"_", "_", "_"});
  r.count_label = "state";
  const DecodeOutcome o = D(r, kSolr);
  ASSERT_FALSE(o.error.has_value());
  ASSERT_EQ(o.samples.size(), 2u);
  EXPECT_THAT(o.samples[0].labels, ElementsAre(Pair("state", "active")));
  EXPECT_EQ(o.samples[0].value, 2);
  EXPECT_EQ(o.samples[1].value, 1);
}

TEST(DecodeJsonTest, MissingAndUndecodableAreErrorsNotZero) {
  EXPECT_EQ(Err(D(Json("/nope"), kController)), ValueErrorReason::kMissingKey);
  EXPECT_EQ(Err(D(Json("/a"), R"({"a":null})")), ValueErrorReason::kMissingKey);
  EXPECT_EQ(Err(D(Json("/a"), "{not json")), ValueErrorReason::kInvalidJson);
  EXPECT_EQ(Err(D(Json("/a"), "")), ValueErrorReason::kEmpty);
  EXPECT_EQ(Err(D(Json("/isr"), kState)), ValueErrorReason::kNotScalar);
  EXPECT_EQ(Err(D(Json("/leader", ValueFunction::kLength), kState)), ValueErrorReason::kNotCountable);
  EXPECT_EQ(Err(D(Json("/a"), R"({"a":"x"})")), ValueErrorReason::kNotANumber);
  ValueRule with_default = Json("/nope");
  with_default.missing_value = 0;
  EXPECT_EQ(One(D(with_default, kController)), 0);
  // A '*' branch that lacks the key: the other branches still count, and the error is reported.
  const DecodeOutcome partial = D(Json("/*/x", ValueFunction::kValue, {"k"}), R"({"a":{"x":1},"b":{"y":2}})");
  EXPECT_EQ(partial.samples.size(), 1u);
  EXPECT_EQ(Err(partial), ValueErrorReason::kMissingKey);
}

TEST(DecodeJsonTest, TooManyValues) {
  std::string big = "[";
  for (int i = 0; i < 1500; ++i) big += (i ? ",1" : "1");
  big += "]";
  EXPECT_EQ(Err(D(Json("/*", ValueFunction::kValue, {"i"}), big)), ValueErrorReason::kTooManyValues);
}

TEST(DecodeTextTest, NumberKeyValueRegex) {
  ValueRule number;
  number.decoder = ValueDecoder::kNumber;
  EXPECT_EQ(One(D(number, " 42\n")), 42);
  EXPECT_EQ(One(D(number, "+1.5e3")), 1500);
  EXPECT_EQ(Err(D(number, "42x")), ValueErrorReason::kNotANumber);
  EXPECT_EQ(Err(D(number, "  ")), ValueErrorReason::kEmpty);

  ValueRule kv;
  kv.decoder = ValueDecoder::kKeyValue;
  kv.field = "count";
  EXPECT_EQ(One(D(kv, "# comment\nname = x\ncount= 7 \n")), 7);
  EXPECT_EQ(Err(D(kv, "name=x")), ValueErrorReason::kMissingKey);

  ValueRule re;
  re.decoder = ValueDecoder::kRegex;
  re.regex = std::make_shared<std::regex>(R"(epoch=(\d+))");
  EXPECT_EQ(One(D(re, "id=1 epoch=19 x")), 19);
  EXPECT_EQ(Err(D(re, "id=1")), ValueErrorReason::kNoMatch);
  EXPECT_EQ(Err(D(re, std::string(kMaxRegexBytes + 1, 'a'))), ValueErrorReason::kTooLarge);
}

TEST(DecodeTest, PresenceAndStatNeedNoData) {
  ValueRule none;
  none.decoder = ValueDecoder::kNone;
  EXPECT_FALSE(none.NeedsData());
  EXPECT_EQ(One(DecodeValue(none, {}, {})), 1);
  ValueRule stat;
  stat.decoder = ValueDecoder::kStat;
  stat.field = "num_children";
  zk::ZnodeStat s;
  s.num_children = 5;
  EXPECT_EQ(One(DecodeValue(stat, {}, s)), 5);
  EXPECT_TRUE(IsStatField("mtime"));
  EXPECT_FALSE(IsStatField("nope"));
}

}  // namespace
}  // namespace zkx::collectors
