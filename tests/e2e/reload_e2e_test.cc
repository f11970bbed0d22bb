// SIGHUP end to end: a malformed configuration file (bad duration, unknown key, duplicate root, YAML syntax
// error, missing file) keeps the running configuration, with one error line naming the file (and the line)
// per SIGHUP, while the old subtrees keep being walked and served; then a good file switches the subtrees.
// Also malformed flags and config files at startup that BadFlagsAndConfigsFailWithAClearLine does not cover:
// each exits 1 with one "zookeeper_exporter: ..." line naming the flag, or the file and line.
#include <csignal>
#include <cstdio>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "tests/e2e/e2e_util.h"
#include "tests/support/zk_ensemble.h"
#include "tests/support/zk_test_client.h"

namespace zkx::test::e2e {
namespace {

using std::chrono::milliseconds;

constexpr const char* kKeeping = "SIGHUP: keeping the running configuration";
constexpr const char* kReloaded = "SIGHUP: configuration reloaded";

double Value(const std::string& m, const std::string& series) {
  return SampleValue(m, series).value_or(-1);
}

TEST(ReloadEndToEndTest, BadFileOnSighupKeepsTheRunningConfigGoodFileSwitches) {
  const ScopedTempDir temp;
  const std::string& dir = temp.path();
  ZkEnsemble ensemble(ZkEnsembleOptions{.servers = 1});
  ASSERT_TRUE(ensemble.Start().ok());
  ZkTestClient w;
  ASSERT_TRUE(w.Connect(ensemble.ConnectString()).ok());
  for (const char* root : {"/r1", "/r2"}) {
    ASSERT_TRUE(w.CreateRecursive(std::string(root) + "/a/b").ok());
    ASSERT_TRUE(w.CreateRecursive(std::string(root) + "/c").ok());
  }
  ASSERT_TRUE(w.Create("/r2/only-in-r2", "x").ok());
  const std::string config = dir + "/config.yml";
  WriteFile(config,
            "defaults:\n  refresh_interval: 1s\nsubtrees:\n  - root: /r1\n    znode_patterns: [\"*\"]\n");
  E2eExporter exporter(dir, {"--zookeeper.hosts=" + ensemble.ConnectString(), "--config.file=" + config,
                             "--server.admin-port=0"});
  ASSERT_TRUE(exporter.WaitReady(milliseconds(60000))) << exporter.process().Log();
  ASSERT_EQ(Value(exporter.Metrics(), R"(zookeeper_subtree_znodes{root="/r1"})"), CountZnodes(w, "/r1"));

  // (file text, what the error line must name: "config.yml:<line>" or the problem)
  const std::vector<std::pair<std::string, std::string>> bad = {
      {"defaults:\n  refresh_interval: 1s\nsubtrees:\n  - root: /r2\n    refresh_interval: soon\n",
       "config.yml:5: refresh_interval: invalid duration"},
      {"subtrees:\n  - root: /r2\n    bogus_key: 1\n", "config.yml:3: unknown key \\\"bogus_key\\\""},
      {"subtrees:\n  - root: /r2\n  - root: /r2/\n", "config.yml:3: duplicate subtree root"},
      {"subtrees:\n  - root: /r2\n    znode_patterns: [\"a/**b\"]\n", "config.yml:3: znode_patterns:"},
      {"subtrees:\n  - root: /r2\n    znode_patterns: [unclosed\n", "config.yml:"},
      {"subtrees:\n\t- root: /r2\n", "config.yml:"},
      {",\n", "config.yml:1: YAML syntax error"},  // yaml-cpp's LoadAll never returned on this
      {"", "cannot read config file"},             // the file is removed
  };
  std::size_t bad_reloads = 0;
  for (const auto& [text, want] : bad) {
    if (want == "cannot read config file") {
      std::filesystem::remove(config);
    } else {
      WriteFile(config, text);
    }
    const double refreshes_before =
        Value(exporter.Metrics(), R"(zookeeper_subtree_refreshes_total{root="/r1"})");
    exporter.process().Signal(SIGHUP);
    ++bad_reloads;
    std::vector<std::string> lines;
    ASSERT_TRUE(WaitFor(
        [&] {
          lines = LinesWith(exporter.process().Log(), kKeeping);
          return lines.size() >= bad_reloads;
        },
        milliseconds(10000)))
        << "no error line for: " << text;
    EXPECT_EQ(lines.size(), bad_reloads) << "one error line per SIGHUP";
    const std::string& line = lines.back();
    EXPECT_NE(line.find(config), std::string::npos) << line;  // the file, by its full path
    EXPECT_NE(line.find(want), std::string::npos) << "want \"" << want << "\" in: " << line;
    EXPECT_NE(line.find("level=error"), std::string::npos) << line;
    std::printf("[ figures ] bad reload %zu: %s\n", bad_reloads, line.c_str());
    // The running configuration stays: /r1 keeps being walked and served, /r2 does not appear.
    ASSERT_TRUE(WaitFor(
        [&] {
          return Value(exporter.Metrics(), R"(zookeeper_subtree_refreshes_total{root="/r1"})") >=
                 refreshes_before + 2;
        },
        milliseconds(15000)));
    const std::string m = exporter.Metrics();
    EXPECT_EQ(Value(m, R"(zookeeper_subtree_znodes{root="/r1"})"), CountZnodes(w, "/r1"));
    EXPECT_EQ(Value(m, R"(zookeeper_subtree_last_refresh_success{root="/r1"})"), 1);
    EXPECT_FALSE(SampleValue(m, R"(zookeeper_subtree_znodes{root="/r2"})").has_value());
    Result<HttpResponse> ready = exporter.Get("/readyz");
    EXPECT_TRUE(ready.ok() && ready->status == 200);
  }
  EXPECT_TRUE(LinesWith(exporter.process().Log(), kReloaded).empty());

  // A good file switches: /r2 appears with its fresh count, /r1 vanishes.
  WriteFile(config,
            "defaults:\n  refresh_interval: 1s\nsubtrees:\n  - root: /r2\n    znode_patterns: [\"*\"]\n");
  exporter.process().Signal(SIGHUP);
  const double want_r2 = CountZnodes(w, "/r2");
  std::string m;
  EXPECT_TRUE(WaitFor(
      [&] {
        m = exporter.Metrics();
        return SampleValue(m, R"(zookeeper_subtree_znodes{root="/r2"})") == want_r2 &&
               !SampleValue(m, R"(zookeeper_subtree_znodes{root="/r1"})").has_value() &&
               SampleValue(m, R"(zookeeper_znode_data_bytes{path="/r2/only-in-r2",root="/r2"})") == 1;
      },
      milliseconds(15000)))
      << m.substr(0, 3000);
  EXPECT_EQ(LinesWith(exporter.process().Log(), kReloaded).size(), 1u);
  EXPECT_EQ(LinesWith(exporter.process().Log(), kKeeping).size(), bad_reloads);
  EXPECT_TRUE(exporter.WaitReady(milliseconds(15000)));
  EXPECT_TRUE(exporter.process().Running());
  std::printf(
      "[ figures ] %zu bad reloads kept the running config; the good one switched /r1 -> /r2 (%.0f znodes)\n",
      bad_reloads, want_r2);
}

// A watch-mode subtree that a reload drops while the session stays: its watches go from the server too
// (before 2026-12-05 they stayed in the session's SetWatches, outside the budget, until each fired), and the
// subtree the reload keeps goes on.
TEST(ReloadEndToEndTest, DroppingAWatchModeSubtreeRemovesItsWatches) {
  const ScopedTempDir temp;
  const std::string& dir = temp.path();
  ZkEnsemble ensemble(ZkEnsembleOptions{.servers = 1});
  ASSERT_TRUE(ensemble.Start().ok());
  ZkTestClient w;
  ASSERT_TRUE(w.Connect(ensemble.ConnectString()).ok());
  for (int i = 0; i < 20; ++i) ASSERT_TRUE(w.CreateRecursive("/w/n" + std::to_string(i) + "/c").ok());
  ASSERT_TRUE(w.CreateRecursive("/p/a").ok());
  const std::string config = dir + "/config.yml";
  const std::string kept = "  - root: /p\n    refresh_interval: 1s\n";
  WriteFile(config, "subtrees:\n  - root: /w\n    refresh_mode: watch\n" + kept);
  E2eExporter exporter(dir, {"--zookeeper.hosts=" + ensemble.ConnectString(), "--config.file=" + config,
                             "--server.admin-port=0"});
  ASSERT_TRUE(exporter.WaitReady(milliseconds(60000))) << exporter.process().Log();
  const long watched = static_cast<long>(CountZnodes(w, "/w"));  // a data watch on each
  ASSERT_TRUE(WaitFor([&] { return ensemble.DataWatches(0) == watched; }, milliseconds(15000)))
      << "the server holds " << ensemble.DataWatches(0) << " data watches, want " << watched;

  WriteFile(config, "subtrees:\n" + kept);
  exporter.process().Signal(SIGHUP);
  EXPECT_TRUE(WaitFor(
      [&] {
        return LinesWith(exporter.process().Log(), kReloaded).size() == 1 && ensemble.DataWatches(0) == 0;
      },
      milliseconds(15000)))
      << "the server still holds " << ensemble.DataWatches(0) << " data watches";
  const double refreshes = Value(exporter.Metrics(), R"(zookeeper_subtree_refreshes_total{root="/p"})");
  EXPECT_TRUE(WaitFor(
      [&] {
        return Value(exporter.Metrics(), R"(zookeeper_subtree_refreshes_total{root="/p"})") >= refreshes + 2;
      },
      milliseconds(15000)));
  const std::string m = exporter.Metrics();
  EXPECT_EQ(Value(m, R"(zookeeper_subtree_znodes{root="/p"})"), 2);
  EXPECT_FALSE(SampleValue(m, R"(zookeeper_subtree_znodes{root="/w"})").has_value());
  std::printf(
      "[ figures ] dropping the watch-mode subtree (%ld znodes) took its %ld data watches off the server\n",
      watched, watched);
}

struct ExitRun {
  int code = -1;
  std::string out;
};

// Runs the exporter with `args` (no ensemble needed: every case fails before connecting), waits for its exit.
ExitRun RunExporter(const std::string& dir, std::vector<std::string> args, const std::string& log) {
  args.insert(args.begin(), ZKX_EXPORTER_BIN);
  Result<ChildProcess> p = ChildProcess::Start(args, dir + "/" + log);
  EXPECT_TRUE(p.ok());
  if (!p.ok()) return {};
  std::optional<int> code = p->WaitExit(milliseconds(15000));
  return {code.value_or(-1), p->Log()};
}

TEST(ReloadEndToEndTest, MoreBadFlagsAndConfigsFailWithAClearLine) {
  const ScopedTempDir temp;
  const std::string& dir = temp.path();
  const std::string hosts = "--zookeeper.hosts=127.0.0.1:1";
  struct Case {
    std::string name;
    std::string file_text;  // written to <dir>/<name>.yml when not empty
    std::vector<std::string> args;
    std::string want;  // must appear in the one "zookeeper_exporter: " line
  };
  const std::string f = dir + "/";
  const std::vector<Case> cases = {
      {"syntax",
       "subtrees:\n  - root: /a\n    znode_patterns: [unclosed\n",
       {"--config.file=" + f + "syntax.yml"},
       f + "syntax.yml:"},
      {"duration",
       "defaults:\n  refresh_interval: 1s\n  walk_timeout: 0s\n",
       {"--config.file=" + f + "duration.yml"},
       f + "duration.yml:3: walk_timeout: must be greater than zero"},
      {"negative",
       "defaults:\n  max_znodes: -1\n",
       {"--config.file=" + f + "negative.yml"},
       f + "negative.yml:2: max_znodes: -1 is out of range"},
      {"mode",
       "subtrees:\n  - root: /a\n    refresh_mode: sometimes\n",
       {"--config.file=" + f + "mode.yml"},
       f + "mode.yml:3: refresh_mode: want poll or watch"},
      {"unknown_defaults",
       "defaults:\n  refresh_interval: 1s\n  max_children: 3\n",
       {"--config.file=" + f + "unknown_defaults.yml"},
       f + "unknown_defaults.yml:3: unknown key"},
      {"duplicate",
       "subtrees:\n  - root: /a\n  - root: /b\n  - root: /a/\n",
       {"--config.file=" + f + "duplicate.yml"},
       f + "duplicate.yml:4: duplicate subtree root \"/a\" (first listed at line 2)"},
      {"top_level_list",
       "- root: /a\n",
       {"--config.file=" + f + "top_level_list.yml"},
       f + "top_level_list.yml:1: the top level must be a map"},
      {"two_docs",
       "subtrees: []\n---\nsubtrees: []\n",
       {"--config.file=" + f + "two_docs.yml"},
       f + "two_docs.yml:3: more than one YAML document"},
      {"stray_comma",
       ",\n",
       {"--config.file=" + f + "stray_comma.yml"},
       f + "stray_comma.yml:1: YAML syntax error: unexpected content"},
      {"missing",
       "",
       {"--config.file=" + f + "no-such.yml"},
       "cannot read config file \"" + f + "no-such.yml\""},
      {"directory", "", {"--config.file=" + dir}, "cannot read config file \"" + dir + "\": is a directory"},
      {"relative_flag_root", "", {"--tree.root=brokers"}, "--tree.root"},
      {"refresh_mode_flag", "", {"--tree.refresh-mode=sometimes"}, "--tree.refresh-mode"},
      {"log_level", "", {"--log.level=loud"}, "--log.level"},
      {"scrape_timeout", "", {"--web.scrape-timeout=0s"}, "--web.scrape-timeout"},
      {"max_in_flight", "", {"--zookeeper.max-in-flight=0"}, "--zookeeper.max-in-flight"},
      {"admin_port", "", {"--server.admin-port=70000"}, "--server.admin-port"},
      {"auth_file", "", {"--zookeeper.auth-file=" + f + "no-such-auth"}, f + "no-such-auth"},
      {"web_config",
       "tls_server_config:\n  bogus: 1\n",
       {"--web.config.file=" + f + "web_config.yml"},
       f + "web_config.yml:2: unknown key \"bogus\""},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    if (!c.file_text.empty()) WriteFile(f + c.name + ".yml", c.file_text);
    std::vector<std::string> args = c.args;
    args.insert(args.begin(), hosts);
    const ExitRun run = RunExporter(dir, args, c.name + ".log");
    EXPECT_EQ(run.code, 1) << run.out;
    const std::vector<std::string> lines = LinesWith(run.out, "zookeeper_exporter: ");
    ASSERT_EQ(lines.size(), 1u) << run.out;
    EXPECT_NE(lines[0].find(c.want), std::string::npos) << "want \"" << c.want << "\" in: " << lines[0];
    std::printf("[ figures ] %-18s exit %d: %s\n", c.name.c_str(), run.code, lines[0].c_str());
  }
}

}  // namespace
}  // namespace zkx::test::e2e
