// The quota preset (deploy/examples/quotas.yml) against quotas made by ZooKeeper's own CLI: a real 3.8
// server, Debian's zkCli.sh running `setquota -n/-b` (soft) and `-N/-B` (hard, 3.7+) on paths at depths 1 to
// 3, then the exporter's tree collector loading the preset as --config.file would. The usage and limits it
// reports must match an independent account: the limits the test gave zkCli, and the znodes and data bytes
// the test counts itself by walking each quota path with the C client. Then usage changes (creates, deletes,
// a hard limit refusing a create) must show on the next pass although ZooKeeper rewrites zookeeper_stats
// without a new mzxid, and `delquota` must make a quota's series vanish. The raw text zkCli left in
// zookeeper_limits and zookeeper_stats is checked against the format quotas.yml documents.
#include <chrono>
#include <cstdio>
#include <map>
#include <memory>
#include <optional>
#include <regex>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>
#include <zookeeper/zookeeper.h>

#include "collectors/tree_collector.h"
#include "exporter/config.h"
#include "tests/support/wait_and_ports.h"
#include "tests/support/zk_cli.h"
#include "tests/support/zk_ensemble.h"
#include "tests/support/zk_test_client.h"
#include "zk/session.h"

namespace zkx {
namespace {

using std::chrono::milliseconds;
using Families = std::vector<prometheus::MetricFamily>;

std::optional<double> Value(const Families& families, const std::string& name,
                            const std::string& quota_path) {
  for (const auto& f : families) {
    if (f.name != name) continue;
    for (const auto& m : f.metric) {
      for (const auto& l : m.label) {
        if (l.name == "quota_path" && l.value == quota_path) return m.gauge.value;
      }
    }
  }
  return std::nullopt;
}

// What zkCli was told, per quota path: -1 where no limit was set (ZooKeeper's own "none").
struct Limits {
  double count = -1, bytes = -1, count_hard = -1, bytes_hard = -1;
};
// What the test counts by walking the quota path: znodes (the quota root included) and data bytes.
struct Usage {
  double count = 0, bytes = 0;
};

Usage CountUnder(test::ZkTestClient& c, const std::string& path) {
  Usage u;
  u.count = 1;
  u.bytes = static_cast<double>(c.Get(path).value().size());
  const std::vector<std::string> children = c.GetChildren(path).value();
  for (const std::string& child : children) {
    const Usage sub = CountUnder(c, path + "/" + child);
    u.count += sub.count;
    u.bytes += sub.bytes;
  }
  return u;
}

class QuotaCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(ensemble_.Start().ok());
    server_ = ensemble_.ServerAddress(0);
    ASSERT_TRUE(writer_.Connect(ensemble_.ConnectString()).ok());
    zk::SessionOptions o;
    o.hosts = ensemble_.ConnectString();
    o.session_timeout = milliseconds(10000);
    session_ = std::move(zk::Session::Create(o)).value();
    session_->Start();
    ASSERT_TRUE(test::WaitFor([&] { return session_->Connected(); }, milliseconds(30000)));
  }
  void TearDown() override {
    if (collector_) collector_->Stop();
  }

  // Runs zkCli with `commands`; fails the test if zkCli could not run or reported an exception.
  void ZkCli(const std::vector<std::string>& commands) {
    Result<std::string> out = test::RunZkCli(server_, commands);
    ASSERT_TRUE(out.ok()) << out.status().ToString();
    EXPECT_EQ(out->find("Exception"), std::string::npos) << *out;
  }

  // quotas.yml as --config.file loads it, walked every second (its 60 s interval is the only change).
  void StartPreset() {
    Result<exporter::FileConfig> file =
        exporter::LoadConfigFile(std::string(ZKX_SOURCE_DIR) + "/deploy/examples/quotas.yml");
    ASSERT_TRUE(file.ok()) << file.status().ToString();
    Result<std::vector<collectors::SubtreeSpec>> specs = exporter::EffectiveSubtrees(*file, {}, std::nullopt);
    ASSERT_TRUE(specs.ok());
    ASSERT_EQ(specs->size(), 1U);
    EXPECT_EQ((*specs)[0].refresh_mode, collectors::RefreshMode::kPoll);  // the preset pins poll mode
    (*specs)[0].refresh_interval = milliseconds(1000);
    collector_ =
        std::make_unique<collectors::TreeCollector>(session_.get(), [this] { return session_->Connected(); });
    collector_->Configure(std::move(specs).value());
    ASSERT_TRUE(test::WaitFor([&] { return collector_->AllWalkedOnce(); }, milliseconds(30000)));
  }

  Families Scrape() {
    Families out;
    EXPECT_TRUE(collector_->Collect(std::chrono::steady_clock::now() + std::chrono::seconds(5), &out).ok());
    return out;
  }

  // Every quota's six series against `limits` and the test's own count; true if all agree.
  bool Agree(const Families& f, const std::map<std::string, Limits>& limits, std::string* why) {
    why->clear();
    for (const auto& [path, want] : limits) {
      const std::string label = path.substr(1);
      const Usage usage = CountUnder(writer_, path);
      const std::vector<std::pair<const char*, double>> expected = {
          {"zookeeper_quota_count_usage", usage.count},
          {"zookeeper_quota_bytes_usage", usage.bytes},
          {"zookeeper_quota_count_limit", want.count},
          {"zookeeper_quota_bytes_limit", want.bytes},
          {"zookeeper_quota_count_hard_limit", want.count_hard},
          {"zookeeper_quota_bytes_hard_limit", want.bytes_hard}};
      for (const auto& [name, value] : expected) {
        const std::optional<double> got = Value(f, name, label);
        if (got != value) {
          *why += std::string(name) + "{quota_path=\"" + label +
                  "\"} = " + (got ? std::to_string(*got) : std::string("absent")) + ", want " +
                  std::to_string(value) + "\n";
        }
      }
    }
    return why->empty();
  }

  // Hard limits are refused only when the server enforces quotas (off by default in 3.7+).
  static test::ZkEnsembleOptions EnforcingQuotas() {
    test::ZkEnsembleOptions o{.servers = 1};
    o.jvm_flags.push_back("-Dzookeeper.enforceQuota=true");
    return o;
  }
  test::ZkEnsemble ensemble_{EnforcingQuotas()};
  std::string server_;
  test::ZkTestClient writer_;
  std::unique_ptr<zk::Session> session_;
  std::unique_ptr<collectors::TreeCollector> collector_;  // stopped before the session goes
};

TEST_F(QuotaCliTest, UsageAndLimitsMatchWhatZkCliSetAndWhatTheTreeHolds) {
  // The quota roots and some data under them (quotas need an existing path).
  for (const char* p : {"/tenant", "/apps/team/a", "/apps/team/b", "/apps/other/c"}) {
    ASSERT_TRUE(writer_.CreateRecursive(p, "root-data").ok()) << p;
  }
  for (int i = 0; i < 4; ++i) {
    ASSERT_TRUE(
        writer_
            .Create("/tenant/n" + std::to_string(i), std::string(static_cast<std::size_t>(10 * (i + 1)), 'x'))
            .ok());
    ASSERT_TRUE(writer_.Create("/apps/team/a/n" + std::to_string(i), "0123456789").ok());
  }
  ASSERT_TRUE(writer_.CreateRecursive("/apps/team/b/deep/er/still", "abc").ok());

  // ZooKeeper 3.8's zkCli takes one of -n -b -N -B per setquota; a second setquota on the same path adds to
  // what is there.
  std::map<std::string, Limits> limits;
  limits["/tenant"] = {.count = 10, .bytes = 1000};
  limits["/apps/team/a"] = {.count_hard = 6, .bytes_hard = 4096};
  limits["/apps/team/b"] = {.count = 3, .count_hard = 50};
  limits["/apps/other/c"] = {.bytes = 5};
  ZkCli({"setquota -n 10 /tenant", "setquota -b 1000 /tenant", "setquota -N 6 /apps/team/a",
         "setquota -B 4096 /apps/team/a", "setquota -n 3 /apps/team/b", "setquota -N 50 /apps/team/b",
         "setquota -b 5 /apps/other/c"});

  // The text zkCli left is the format quotas.yml documents (3.7+: soft limits, then hard ones after ';').
  const std::regex limits_format(
      R"(count=-?[0-9]+,bytes=-?[0-9]+=;byteHardLimit=-?[0-9]+;countHardLimit=-?[0-9]+)");
  const std::regex stats_format(R"(count=[0-9]+,bytes=[0-9]+)");
  for (const auto& [path, want] : limits) {
    const std::string l = writer_.Get("/zookeeper/quota" + path + "/zookeeper_limits").value();
    const std::string s = writer_.Get("/zookeeper/quota" + path + "/zookeeper_stats").value();
    std::printf("[ figures ] %s: zookeeper_limits \"%s\", zookeeper_stats \"%s\"\n", path.c_str(), l.c_str(),
                s.c_str());
    EXPECT_TRUE(std::regex_match(l, limits_format)) << path << ": " << l;
    EXPECT_TRUE(std::regex_match(s, stats_format)) << path << ": " << s;
  }

  StartPreset();
  std::string why;
  EXPECT_TRUE(test::WaitFor([&] { return Agree(Scrape(), limits, &why); }, milliseconds(5000))) << why;
  // Nothing failed to decode.
  for (const auto& f : Scrape()) EXPECT_NE(f.name, "zookeeper_value_failing_znodes");

  // Usage changes: ZooKeeper rewrites zookeeper_stats in place, under the same mzxid.
  const int64_t mzxid_before = [&] {
    struct Stat st {};
    return zoo_exists(writer_.handle(), "/zookeeper/quota/tenant/zookeeper_stats", 0, &st) == ZOK ? st.mzxid
                                                                                                  : -1;
  }();
  ASSERT_TRUE(writer_.Create("/tenant/late", std::string(300, 'y')).ok());
  ASSERT_TRUE(writer_.Delete("/apps/team/b/deep/er/still").ok());
  ASSERT_TRUE(writer_.Create("/apps/team/a/n4", "z").ok());  // 6 znodes: the hard limit
  EXPECT_FALSE(writer_.Create("/apps/team/a/n5", "z").ok()) << "the hard count limit did not refuse";
  struct Stat after {};
  ASSERT_EQ(zoo_exists(writer_.handle(), "/zookeeper/quota/tenant/zookeeper_stats", 0, &after), ZOK);
  EXPECT_EQ(after.mzxid, mzxid_before) << "ZooKeeper now bumps mzxid on quota usage: the re-read may go";
  EXPECT_TRUE(
      test::WaitFor([&] { return Agree(Scrape(), limits, &why); }, milliseconds(10000), milliseconds(200)))
      << why;
  EXPECT_EQ(Value(Scrape(), "zookeeper_quota_count_usage", "apps/team/a"), 6);

  // delquota: the quota's series go with it.
  ZkCli({"delquota /apps/other/c"});
  limits.erase("/apps/other/c");
  EXPECT_TRUE(test::WaitFor(
      [&] { return !Value(Scrape(), "zookeeper_quota_bytes_limit", "apps/other/c").has_value(); },
      milliseconds(10000), milliseconds(200)));
  EXPECT_TRUE(Agree(Scrape(), limits, &why)) << why;
}

}  // namespace
}  // namespace zkx
