// Caps, end to end: a subtree of 20,000 znodes walked with max_znodes 1,000 and max_znode_series 200 (every
// znode matches the patterns), and a 100-deep chain walked with max_depth 10. Asserts that the caps bite and
// say so (zookeeper_subtree_truncated, zookeeper_subtree_znode_series_truncated), that /metrics stays bounded
// (per-znode series <= the series cap, total series bounded by the caps), and that the exporter's RSS stays
// within a fixed allowance of a control exporter walking a one-znode subtree. A third, uncapped exporter
// over the same 20,000 znodes is measured for reference (printed, and its znode count must be the full tree).
#include <cstdio>
#include <string>

#include <gtest/gtest.h>

#include "tests/e2e/e2e_util.h"
#include "tests/support/sample_trees.h"
#include "tests/support/zk_ensemble.h"
#include "tests/support/zk_test_client.h"

namespace zkx::test::e2e {
namespace {

using std::chrono::milliseconds;

constexpr std::size_t kBigTree = 20000;
constexpr std::size_t kMaxZnodes = 1000;
constexpr std::size_t kMaxSeries = 200;
constexpr int kChainDepth = 100;
constexpr int kMaxDepth = 10;
// Per-znode families: children, data_bytes, version, cversion, aversion, ctime, mtime, ephemeral (+ owner
// info for ephemerals, none here).
constexpr std::size_t kPerZnodeFamilies = 8;
// Series a subtree adds besides its per-znode ones (aggregates, refresh state, mode, skipped{reason}...).
constexpr std::size_t kPerSubtreeSeries = 40;
// RSS allowance over the control exporter. What the caps leave: a snapshot of <= 1,000 znodes' aggregates and
// <= 200 + 11 ZnodeSamples (~150 B each: path + Stat), a walk's transient state bounded by max_in_flight
// replies of <= 10 child names, and /metrics text of ~2,000 series (~200 KB while a scrape builds it): well
// under 2 MB. 16 MB leaves room for allocator arenas of the extra refresher threads. Without the caps the
// same tree costs the uncapped exporter 20,000 samples and 160,000 series (printed below).
constexpr long kRssAllowanceKb = 16 * 1024;

bool WaitRefreshes(const E2eExporter& e, const std::string& root, double n) {
  return WaitFor(
      [&] {
        return SampleValue(e.Metrics(), "zookeeper_subtree_refreshes_total{root=\"" + root + "\"}")
                   .value_or(0) >= n;
      },
      milliseconds(120000), milliseconds(250));
}

TEST(CapsMemoryTest, SubtreeFarBeyondItsCapsStaysBounded) {
  const ScopedTempDir temp;
  const std::string& dir = temp.path();
  ZkEnsemble ensemble(ZkEnsembleOptions{.servers = 3});
  ASSERT_TRUE(ensemble.Start().ok());
  ZkTestClient w;
  ASSERT_TRUE(w.Connect(ensemble.ConnectString()).ok());
  ASSERT_TRUE(CreateSampleTree(w, SyntheticTree(kBigTree, 10, 16, "/big")).ok());
  std::string chain = "/deep";
  for (int i = 1; i <= kChainDepth; ++i) chain += "/d" + std::to_string(i);
  ASSERT_TRUE(w.CreateRecursive(chain, "leaf").ok());
  ASSERT_TRUE(w.Create("/tiny", "t").ok());

  WriteFile(dir + "/capped.yml",
            "defaults:\n  refresh_interval: 2s\nsubtrees:\n"
            "  - root: /big\n    max_znodes: " +
                std::to_string(kMaxZnodes) + "\n    max_znode_series: " + std::to_string(kMaxSeries) +
                "\n    znode_patterns: [\"**\"]\n"
                "  - root: /deep\n    max_depth: " +
                std::to_string(kMaxDepth) +
                "\n    znode_patterns: [\"**\"]\n"
                "  - root: /tiny\n    znode_patterns: [\"**\"]\n");
  WriteFile(dir + "/control.yml",
            "defaults:\n  refresh_interval: 2s\nsubtrees:\n  - root: /tiny\n    znode_patterns: [\"**\"]\n");
  WriteFile(dir + "/uncapped.yml",
            "defaults:\n  refresh_interval: 10s\nsubtrees:\n  - root: /big\n    max_znode_series: 100000\n"
            "    znode_patterns: [\"**\"]\n");
  const std::vector<std::string> common = {"--zookeeper.hosts=" + ensemble.ConnectString(),
                                           "--server.admin-port=0", "--no-collector.watches"};
  auto args = [&](const std::string& config) {
    std::vector<std::string> a = common;
    a.push_back("--config.file=" + dir + "/" + config);
    return a;
  };
  E2eExporter capped(dir, args("capped.yml"), "capped.log");
  E2eExporter control(dir, args("control.yml"), "control.log");
  ASSERT_TRUE(capped.WaitReady(milliseconds(60000))) << capped.process().Log();
  ASSERT_TRUE(control.WaitReady(milliseconds(60000))) << control.process().Log();
  // Several walks each, so that the figures are steady state and not a first walk's.
  ASSERT_TRUE(WaitRefreshes(capped, "/big", 4));
  ASSERT_TRUE(WaitRefreshes(capped, "/deep", 4));
  ASSERT_TRUE(WaitRefreshes(control, "/tiny", 4));
  for (int i = 0; i < 20; ++i) {  // and several scrapes (the /metrics text is built per scrape)
    (void)capped.Metrics();
    (void)control.Metrics();
  }

  const std::string m = capped.Metrics();
  const std::string m_control = control.Metrics();
  ASSERT_FALSE(m.empty());
  ASSERT_FALSE(m_control.empty());
  const ProcFigures capped_proc = ReadProcFigures(capped.pid());
  const ProcFigures control_proc = ReadProcFigures(control.pid());

  // max_znodes: the walk stopped at the cap and says so.
  const double big_znodes = SampleValue(m, R"(zookeeper_subtree_znodes{root="/big"})").value_or(-1);
  EXPECT_GT(big_znodes, 0);
  EXPECT_LE(big_znodes, static_cast<double>(kMaxZnodes));
  EXPECT_EQ(SampleValue(m, R"(zookeeper_subtree_truncated{root="/big"})"), 1);
  EXPECT_EQ(SampleValue(m, R"(zookeeper_subtree_znode_series_truncated{root="/big"})"), 1);
  EXPECT_EQ(SampleValue(m, R"(zookeeper_subtree_last_refresh_success{root="/big"})"), 1);
  // max_znode_series: per-znode series of /big bounded by the cap, in every per-znode family.
  const std::size_t big_znode_series = CountSeries(m, "zookeeper_znode_data_bytes{path=\"/big");
  EXPECT_GT(big_znode_series, 0u);
  EXPECT_LE(big_znode_series, kMaxSeries);
  EXPECT_LE(CountSeries(m, "zookeeper_znode_"), kPerZnodeFamilies * (kMaxSeries + kMaxDepth + 1 + 1));
  // max_depth: the chain is read down to depth 10 (11 znodes), and the walk says it was cut.
  EXPECT_EQ(SampleValue(m, R"(zookeeper_subtree_max_depth{root="/deep"})"), kMaxDepth);
  EXPECT_EQ(SampleValue(m, R"(zookeeper_subtree_znodes{root="/deep"})"), kMaxDepth + 1);
  EXPECT_EQ(SampleValue(m, R"(zookeeper_subtree_truncated{root="/deep"})"), 1);
  EXPECT_EQ(SampleValue(m, R"(zookeeper_subtree_truncated{root="/tiny"})"), 0);
  // The whole exposition: the control's series plus what the two capped subtrees may add.
  const std::size_t series = CountSeries(m);
  const std::size_t control_series = CountSeries(m_control);
  const std::size_t series_bound =
      control_series + kPerZnodeFamilies * (kMaxSeries + kMaxDepth + 1) + 2 * kPerSubtreeSeries;
  EXPECT_LE(series, series_bound);
  // Memory: within the allowance of the control exporter.
  ASSERT_GT(capped_proc.rss_kb, 0);
  ASSERT_GT(control_proc.rss_kb, 0);
  EXPECT_LE(capped_proc.rss_kb, control_proc.rss_kb + kRssAllowanceKb);

  std::printf(
      "[ figures ] /big: %zu znodes in ZooKeeper, max_znodes %zu -> walked %.0f, truncated %.0f; "
      "max_znode_series %zu -> %zu per-znode series per family, series_truncated %.0f\n",
      kBigTree, kMaxZnodes, big_znodes,
      SampleValue(m, R"(zookeeper_subtree_truncated{root="/big"})").value_or(-1), kMaxSeries,
      big_znode_series,
      SampleValue(m, R"(zookeeper_subtree_znode_series_truncated{root="/big"})").value_or(-1));
  std::printf(
      "[ figures ] /deep: chain of depth %d, max_depth %d -> max_depth %.0f, znodes %.0f, truncated %.0f\n",
      kChainDepth, kMaxDepth, SampleValue(m, R"(zookeeper_subtree_max_depth{root="/deep"})").value_or(-1),
      SampleValue(m, R"(zookeeper_subtree_znodes{root="/deep"})").value_or(-1),
      SampleValue(m, R"(zookeeper_subtree_truncated{root="/deep"})").value_or(-1));
  std::printf(
      "[ figures ] /metrics: capped %zu series (%zu bytes, bound %zu), control %zu series (%zu bytes)\n",
      series, m.size(), series_bound, control_series, m_control.size());
  std::printf(
      "[ figures ] RSS: capped %ld kB, control %ld kB (allowance %ld kB); fds capped %d, control %d\n",
      capped_proc.rss_kb, control_proc.rss_kb, kRssAllowanceKb, capped_proc.fds, control_proc.fds);
  RecordProperty("capped_rss_kb", std::to_string(capped_proc.rss_kb));
  RecordProperty("control_rss_kb", std::to_string(control_proc.rss_kb));
  RecordProperty("capped_series", std::to_string(series));

  // Reference: the same tree without caps (its count proves the tree really holds 20,000 znodes).
  E2eExporter uncapped(dir, args("uncapped.yml"), "uncapped.log");
  ASSERT_TRUE(uncapped.WaitReady(milliseconds(120000))) << uncapped.process().Log();
  Result<HttpResponse> full = uncapped.Get("/metrics", milliseconds(60000));
  ASSERT_TRUE(full.ok());
  ASSERT_EQ(full->status, 200);
  EXPECT_EQ(SampleValue(full->body, R"(zookeeper_subtree_znodes{root="/big"})"),
            static_cast<double>(kBigTree));
  EXPECT_EQ(SampleValue(full->body, R"(zookeeper_subtree_truncated{root="/big"})"), 0);
  const ProcFigures uncapped_proc = ReadProcFigures(uncapped.pid());
  std::printf("[ figures ] reference, uncapped: %zu series (%zu bytes), RSS %ld kB\n",
              CountSeries(full->body), full->body.size(), uncapped_proc.rss_kb);
}

}  // namespace
}  // namespace zkx::test::e2e
