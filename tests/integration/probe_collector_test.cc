// The probe collector against a real ZooKeeper server through zk::Session: a healthy server gives success 1
// for create/set/get/delete with growing histograms and promtool-clean families; a hung (paused) and then a
// killed server give success 0 and growing failure counters, and the probe recovers once the server is back;
// the probe's znode does not linger.
#include "collectors/probe_collector.h"

#include <cstdio>
#include <memory>
#include <string>

#include <gtest/gtest.h>
#include <prometheus/text_serializer.h>
#include <sys/wait.h>

#include "tests/support/sessions.h"
#include "tests/support/wait_and_ports.h"
#include "tests/support/zk_ensemble.h"
#include "tests/support/zk_test_client.h"
#include "zk/session.h"

namespace zkx {
namespace {

using collectors::ProbeOp;
using collectors::ProbeSnapshot;
using std::chrono::milliseconds;

constexpr char kParent[] = "/it/probe";

// A short session timeout and quick retries: the tests kill and hang servers.
std::unique_ptr<zk::Session> StartSession(const std::string& hosts) {
  zk::SessionOptions o = test::TestSessionOptions(hosts, milliseconds(4000));
  o.init_retry_backoff = milliseconds(200);
  o.drain_timeout = milliseconds(1000);
  return test::ConnectedSession(std::move(o));
}

collectors::ProbeOptions FastProbe() {
  collectors::ProbeOptions o;
  o.parent = kParent;
  o.interval = milliseconds(200);
  o.timeout = milliseconds(1000);
  return o;
}

const collectors::ProbeOpStats& Op(const ProbeSnapshot& s, ProbeOp op) {
  return s.ops[static_cast<std::size_t>(op)];
}

bool AllSucceeded(const ProbeSnapshot& s) {
  if (s.runs_total == 0) return false;
  for (const ProbeOp op : collectors::kProbeOps) {
    if (!Op(s, op).last_success) return false;
  }
  return true;
}

uint64_t Failures(const ProbeSnapshot& s) {
  uint64_t n = 0;
  for (const ProbeOp op : collectors::kProbeOps) n += Op(s, op).failures_total;
  return n;
}

std::string Scrape(collectors::ProbeCollector& probe) {
  std::vector<prometheus::MetricFamily> families;
  EXPECT_TRUE(probe.Collect(std::chrono::steady_clock::now() + std::chrono::seconds(1), &families).ok());
  return prometheus::TextSerializer().Serialize(families);
}

// `promtool check metrics` on `text`: its output, empty when clean.
std::string Promtool(const std::string& text) {
  const std::string path = ::testing::TempDir() + "/probe_metrics.txt";
  {
    FILE* f = std::fopen(path.c_str(), "w");
    EXPECT_NE(f, nullptr);
    if (f == nullptr) return "cannot write " + path;
    std::fwrite(text.data(), 1, text.size(), f);
    std::fclose(f);
  }
  FILE* p = popen(("/usr/bin/promtool check metrics < " + path + " 2>&1").c_str(), "r");
  if (p == nullptr) return "cannot run promtool";
  std::string out;
  char buf[512];
  while (std::fgets(buf, sizeof buf, p) != nullptr) out += buf;
  const int rc = pclose(p);
  if (!WIFEXITED(rc) || WEXITSTATUS(rc) != 0) out += "(promtool exit status " + std::to_string(rc) + ")";
  return out;
}

// True when the probe's parent has no children (read with an independent client).
bool NoProbeZnode(const std::string& hosts) {
  test::ZkTestClient c;
  if (!c.Connect(hosts).ok()) return false;
  Result<std::vector<std::string>> children = c.GetChildren(kParent);
  return children.ok() && children->empty();
}

TEST(ProbeIntegrationTest, HealthyServerAllOperationsSucceed) {
  test::ZkEnsemble ensemble(test::ZkEnsembleOptions::ShortSessions(1));
  ASSERT_TRUE(ensemble.Start().ok());
  auto session = StartSession(ensemble.ConnectString());
  ASSERT_TRUE(session);
  collectors::ProbeCollector probe(session.get(), FastProbe(), [&session] { return session->Connected(); });
  const std::string before = Scrape(probe);
  EXPECT_EQ(before.find("zookeeper_probe_success"), std::string::npos);  // nothing to say before a run
  probe.Start();
  ASSERT_TRUE(test::WaitFor([&] { return probe.Snapshot()->runs_total >= 3; }, milliseconds(30000)));
  auto first = probe.Snapshot();
  EXPECT_TRUE(AllSucceeded(*first)) << first->last_status.ToString();
  EXPECT_EQ(Failures(*first), 0u);
  ASSERT_TRUE(test::WaitFor([&] { return probe.Snapshot()->runs_total >= first->runs_total + 3; },
                            milliseconds(30000)));
  auto later = probe.Snapshot();
  EXPECT_TRUE(AllSucceeded(*later)) << later->last_status.ToString();
  for (const ProbeOp op : collectors::kProbeOps) {
    EXPECT_GT(Op(*later, op).count, Op(*first, op).count) << ProbeOpName(op);  // histograms grow
    EXPECT_EQ(Op(*later, op).count, later->runs_total);
    std::printf("probe %-6s mean %.2f ms over %llu ops, last %.2f ms\n", std::string(ProbeOpName(op)).c_str(),
                1000 * Op(*later, op).sum_seconds / static_cast<double>(Op(*later, op).count),
                static_cast<unsigned long long>(Op(*later, op).count),
                1000 * later->last_seconds[static_cast<std::size_t>(op)]);
  }

  const std::string text = Scrape(probe);
  for (const char* op : {"create", "set", "get", "delete"}) {
    EXPECT_NE(text.find("zookeeper_probe_success{operation=\"" + std::string(op) + "\"} 1"),
              std::string::npos)
        << text;
  }
  EXPECT_EQ(Promtool(text), "");

  // The parent is persistent; the probe's own znode comes and goes (ephemeral, deleted by each run).
  EXPECT_TRUE(test::WaitFor([&] { return NoProbeZnode(ensemble.ConnectString()); }, milliseconds(10000)));
  probe.Stop();
  session->Stop();
  EXPECT_TRUE(NoProbeZnode(ensemble.ConnectString()));
}

TEST(ProbeIntegrationTest, HungThenKilledServerFailsAndRecovers) {
  test::ZkEnsemble ensemble(test::ZkEnsembleOptions::ShortSessions(1));
  ASSERT_TRUE(ensemble.Start().ok());
  auto session = StartSession(ensemble.ConnectString());
  ASSERT_TRUE(session);
  collectors::ProbeCollector probe(session.get(), FastProbe());
  probe.Start();
  ASSERT_TRUE(test::WaitFor([&] { return AllSucceeded(*probe.Snapshot()); }, milliseconds(30000)));

  // A hung server: replies stop; ops time out, then fail fast once the client declares the connection lost.
  uint64_t failures = Failures(*probe.Snapshot());
  ensemble.Pause(0);
  ASSERT_TRUE(test::WaitFor(
      [&] {
        auto s = probe.Snapshot();
        return !Op(*s, ProbeOp::kCreate).last_success && Failures(*s) >= failures + 2;
      },
      milliseconds(30000)));
  auto hung = probe.Snapshot();
  std::printf("while paused: %s\n", hung->last_status.ToString().c_str());
  EXPECT_EQ(Scrape(probe).find("zookeeper_probe_success{operation=\"create\"} 1"), std::string::npos);
  ensemble.Resume(0);
  ASSERT_TRUE(test::WaitFor([&] { return AllSucceeded(*probe.Snapshot()); }, milliseconds(60000)))
      << probe.Snapshot()->last_status.ToString();

  // A killed server: requests fail at once (not connected) until it is back.
  failures = Failures(*probe.Snapshot());
  ensemble.Kill(0);
  ASSERT_TRUE(test::WaitFor(
      [&] {
        auto s = probe.Snapshot();
        return !Op(*s, ProbeOp::kCreate).last_success && Failures(*s) >= failures + 2;
      },
      milliseconds(30000)));
  auto down = probe.Snapshot();
  std::printf("while killed: %s\n", down->last_status.ToString().c_str());
  // Runs that start while the server is down fail at their first op.
  EXPECT_GT(Op(*down, ProbeOp::kCreate).failures_total, Op(*hung, ProbeOp::kCreate).failures_total);
  ASSERT_TRUE(ensemble.StartStopped().ok());
  ASSERT_TRUE(test::WaitFor([&] { return AllSucceeded(*probe.Snapshot()); }, milliseconds(60000)))
      << probe.Snapshot()->last_status.ToString();
  EXPECT_EQ(Promtool(Scrape(probe)), "");

  // Nothing lingers: leftovers of the failed runs were deleted (or went with an expired session).
  EXPECT_TRUE(test::WaitFor([&] { return NoProbeZnode(ensemble.ConnectString()); }, milliseconds(15000)));
  probe.Stop();
  session->Stop();
}

}  // namespace
}  // namespace zkx
