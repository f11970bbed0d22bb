// Issue 16, item 2, against the binary: a malformed --zookeeper.hosts exits 1 with one line, and
// --config.check prints that same line; --config.check also reads the auth file and refuses refresh
// intervals below the floor; a host name that does not resolve is retried quietly with its reason in
// /metrics.
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "tests/e2e/e2e_util.h"

namespace zkx::test::e2e {
namespace {

using std::chrono::milliseconds;

struct Outcome {
  int exit_code = -1;
  std::vector<std::string> lines;  // non-empty output lines (stdout and stderr)
};

Outcome RunToExit(const std::string& dir, std::vector<std::string> args) {
  Result<uint16_t> port = FreeLoopbackPort();
  EXPECT_TRUE(port.ok());
  std::vector<std::string> argv = {ZKX_EXPORTER_BIN,
                                   "--web.listen-address=127.0.0.1:" + std::to_string(port.ok() ? *port : 1)};
  for (auto& a : args) argv.push_back(std::move(a));
  static int n = 0;
  const std::string log = dir + "/run-" + std::to_string(n++) + ".log";
  Result<ChildProcess> p = ChildProcess::Start(argv, log);
  EXPECT_TRUE(p.ok());
  Outcome out;
  if (!p.ok()) return out;
  std::optional<int> code = p->WaitExit(milliseconds(30000));
  EXPECT_TRUE(code.has_value()) << "still running: " << p->Log();
  out.exit_code = code.value_or(-1);
  for (std::string& line : LinesWith(p->Log(), "")) {
    if (!line.empty()) out.lines.push_back(std::move(line));
  }
  return out;
}

// Exit 1 with exactly one line, both at a real start and under --config.check; returns that line.
std::string ExpectOneLineFailure(const std::string& dir, const std::vector<std::string>& args) {
  Outcome start = RunToExit(dir, args);
  std::vector<std::string> check_args = args;
  check_args.push_back("--config.check");
  Outcome check = RunToExit(dir, check_args);
  EXPECT_EQ(start.exit_code, 1);
  EXPECT_EQ(check.exit_code, 1);
  EXPECT_EQ(start.lines.size(), 1u) << ::testing::PrintToString(start.lines);
  EXPECT_EQ(check.lines.size(), 1u) << ::testing::PrintToString(check.lines);
  if (start.lines.size() != 1 || check.lines.size() != 1) return "";
  EXPECT_EQ(start.lines[0], check.lines[0]);
  EXPECT_EQ(start.lines[0].rfind("zookeeper_exporter: ", 0), 0u) << start.lines[0];
  return start.lines[0];
}

TEST(ConnectStringE2eTest, EachMalformedConnectStringExitsOneWithOneLine) {
  ScopedTempDir dir;
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"127.0.0.1:110561", "port \"110561\" is out of range (want 1-65535)"},  // once port 45025
      {"127.0.0.1:abc", "port \"abc\" is not a number"},
      {":2181", "empty host"},
      {"127.0.0.1:", "empty port"},
      {"127.0.0.1:0", "port \"0\" is out of range"},
      {"127.0.0.1:-1", "port \"-1\" is not a number"},
      {"/bad//chroot", "no host"},
      {"127.0.0.1:2181/bad//chroot", "empty segment"},
      {"127.0.0.1:2181/kafka/", "ends with '/'"},
      {"127.0.0.1:2181/a/../b", "'.' or '..' segment"},
      {"fe80::1", "IPv6"},
      {"[::1:2181", "unclosed '['"},
  };
  for (const auto& [hosts, problem] : cases) {
    SCOPED_TRACE(hosts);
    const std::string line = ExpectOneLineFailure(dir.path(), {"--zookeeper.hosts=" + hosts});
    EXPECT_NE(line.find("--zookeeper.hosts: connect string"), std::string::npos) << line;
    EXPECT_NE(line.find(problem), std::string::npos) << line;
  }
}

TEST(ConnectStringE2eTest, GoodConnectStringsPassTheCheck) {
  ScopedTempDir dir;
  for (const std::string hosts :
       {"127.0.0.1:2181", "zk-0.zk,zk-1.zk:2182/kafka", "[::1]:2181/a/b", "::1:2181"}) {
    SCOPED_TRACE(hosts);
    Outcome check = RunToExit(dir.path(), {"--zookeeper.hosts=" + hosts, "--config.check"});
    EXPECT_EQ(check.exit_code, 0);
    ASSERT_FALSE(check.lines.empty());
    EXPECT_EQ(check.lines[0].rfind("configuration OK", 0), 0u) << check.lines[0];
  }
}

TEST(ConnectStringE2eTest, ConfigCheckReadsTheAuthFileAsAStartWould) {
  ScopedTempDir dir;
  const std::string missing = dir.path() + "/no-such-auth";
  std::string line = ExpectOneLineFailure(
      dir.path(), {"--zookeeper.hosts=127.0.0.1:2181", "--zookeeper.auth-file=" + missing});
  EXPECT_NE(line.find(missing), std::string::npos) << line;

  const std::string malformed = dir.path() + "/auth-malformed";
  WriteFile(malformed, "no-colon-here\n");
  line = ExpectOneLineFailure(dir.path(),
                              {"--zookeeper.hosts=127.0.0.1:2181", "--zookeeper.auth-file=" + malformed});
  EXPECT_EQ(line.find("no-colon-here"), std::string::npos) << "the secret is echoed: " << line;

  const std::string good = dir.path() + "/auth-good";
  WriteFile(good, "alice:wonderland\n");
  Outcome ok = RunToExit(
      dir.path(), {"--zookeeper.hosts=127.0.0.1:2181", "--zookeeper.auth-file=" + good, "--config.check"});
  EXPECT_EQ(ok.exit_code, 0);
}

TEST(ConnectStringE2eTest, RefreshIntervalsBelowTheFloorAreRefused) {
  ScopedTempDir dir;
  std::string line = ExpectOneLineFailure(dir.path(), {"--tree.root=/a", "--tree.refresh-interval=1ms"});
  EXPECT_NE(line.find("--tree.refresh-interval: 1ms is below the floor of 1000ms"), std::string::npos)
      << line;
  const std::string config = dir.path() + "/config.yml";
  WriteFile(config, "subtrees:\n  - root: /a\n    refresh_interval: 1ms\n");
  line = ExpectOneLineFailure(dir.path(), {"--config.file=" + config});
  EXPECT_NE(line.find("refresh_interval: 1ms is below the floor of 1000ms"), std::string::npos) << line;
  WriteFile(config, "defaults:\n  resync_interval: 999ms\n");
  line = ExpectOneLineFailure(dir.path(), {"--config.file=" + config});
  EXPECT_NE(line.find("resync_interval: 999ms is below the floor"), std::string::npos) << line;
}

// A name that cannot resolve is not a config error: the exporter serves, retries, says so once, and shows the
// reason in /metrics. The name has a 70-character label: glibc refuses it locally (a DNS label is at most 63
// octets), so no query leaves the machine.
TEST(ConnectStringE2eTest, AnUnresolvableHostIsRetriedQuietlyWithItsReasonInMetrics) {
  ScopedTempDir dir;
  const std::string host = std::string(70, 'z') + ".invalid";
  E2eExporter exporter(dir.path(), {"--zookeeper.hosts=" + host + ":2181", "--tree.root=/a"});
  ASSERT_TRUE(WaitFor([&] { return exporter.Get("/healthz").ok(); }, milliseconds(20000), milliseconds(100)))
      << exporter.process().Log();
  std::string metrics;
  ASSERT_TRUE(WaitFor(
      [&] {
        metrics = exporter.Metrics();
        return metrics.find("zookeeper_session_last_error_info{reason=") != std::string::npos;
      },
      milliseconds(20000), milliseconds(200)))
      << metrics;
  // Ten more seconds of retries (one a second): still one line about it.
  std::this_thread::sleep_for(std::chrono::seconds(10));
  EXPECT_TRUE(exporter.process().Running());
  const std::string log = exporter.process().Log();
  EXPECT_EQ(LinesWith(log, "cannot create a handle").size(), 1u) << log;
  Result<HttpResponse> ready = exporter.Get("/readyz");
  ASSERT_TRUE(ready.ok());
  EXPECT_EQ(ready->status, 503);
}

}  // namespace
}  // namespace zkx::test::e2e
