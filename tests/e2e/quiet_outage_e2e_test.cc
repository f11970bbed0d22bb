// Issue 16, item 3, against the binary: a total ZooKeeper outage at the default log level.
// The exporter walks a subtree every second and is scraped every 5 s, like a Prometheus would. The only
// server is killed and brought back after 90 s. The first line of the outage and of the recovery (the
// session's state transitions) must come at once; in between, each distinct message may be written once and
// then summarised once per interval.
//
// The hourly figure: the limiter writes a message that repeats all hour at most 1 + 8 times (the first line,
// then summaries at 1, 3, 7, 15, 25, 35, 45 and 55 min: the interval doubles from 1 to 10 min; proved with a
// fake clock in log_repeat_limiter_test.cc). So an hour of outage writes at most 9 x K lines for the K
// distinct messages seen here, plus the two transitions. The test asserts that bound is at most 200 and that
// the 90 s observed fit the schedule (at most one first line and one summary per message).
#include <atomic>
#include <chrono>
#include <map>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "exporter/log_repeat_limiter.h"
#include "tests/e2e/e2e_util.h"
#include "tests/support/zk_ensemble.h"

namespace zkx::test::e2e {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using Clock = std::chrono::steady_clock;

constexpr std::size_t kLinesPerMessagePerHour = 9;
constexpr std::size_t kTargetLinesPerHour = 200;

// The msg="..." of a logfmt line (escapes left as they are: enough to tell messages apart).
std::string MessageOf(const std::string& line) {
  const auto at = line.find(" msg=\"");
  if (at == std::string::npos) return line;
  std::string out;
  for (std::size_t i = at + 6; i < line.size(); ++i) {
    if (line[i] == '\\' && i + 1 < line.size()) {
      out += line[i];
      out += line[++i];
      continue;
    }
    if (line[i] == '"') break;
    out += line[i];
  }
  return out;
}

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> out;
  for (std::string& l : LinesWith(text, "")) {
    if (!l.empty()) out.push_back(std::move(l));
  }
  return out;
}

TEST(QuietOutageE2eTest, AnOutageWritesTheSessionTransitionsAtOnceAndLittleElse) {
  ScopedTempDir dir;
  ZkEnsemble ensemble(ZkEnsembleOptions{});
  ASSERT_TRUE(ensemble.Start().ok());
  {
    ZkTestClient w;
    ASSERT_TRUE(w.Connect(ensemble.ConnectString()).ok());
    ASSERT_TRUE(w.CreateRecursive("/quiet/a/b", "x").ok());
  }
  E2eExporter exporter(dir.path(), {"--zookeeper.hosts=" + ensemble.ConnectString(), "--tree.root=/quiet",
                                    "--tree.refresh-interval=1s", "--zookeeper.session-timeout=10s"});
  ASSERT_TRUE(exporter.WaitReady(milliseconds(60000))) << exporter.process().Log();

  std::atomic<bool> scraping{true};
  std::thread scraper([&] {
    while (scraping.load()) {
      (void)exporter.Get("/metrics", milliseconds(4000));
      for (int i = 0; i < 50 && scraping.load(); ++i) std::this_thread::sleep_for(milliseconds(100));
    }
  });

  const std::size_t before = Lines(exporter.process().Log()).size();
  ensemble.Kill(0);
  const auto killed = Clock::now();
  ASSERT_TRUE(
      WaitFor([&] { return !LinesWith(exporter.process().Log(), "zookeeper: session connected ->").empty(); },
              milliseconds(15000), milliseconds(50)))
      << exporter.process().Log();
  const double outage_line_after = std::chrono::duration<double>(Clock::now() - killed).count();

  std::this_thread::sleep_for(seconds(90) - (Clock::now() - killed));
  const std::vector<std::string> at_restart = Lines(exporter.process().Log());
  const double outage_seconds = std::chrono::duration<double>(Clock::now() - killed).count();
  ASSERT_TRUE(ensemble.Restart(0).ok());
  const auto restarted = Clock::now();
  ASSERT_TRUE(WaitFor(
      [&] {
        return !LinesWith(exporter.process().Log(), "-> connected").empty() &&
               LinesWith(exporter.process().Log(), "-> connected").size() >= 2;
      },
      milliseconds(30000), milliseconds(50)))
      << exporter.process().Log();
  const double recovery_line_after = std::chrono::duration<double>(Clock::now() - restarted).count();
  scraping = false;
  scraper.join();

  // The outage's lines: from the kill to the restart.
  std::vector<std::string> outage(at_restart.begin() + static_cast<long>(std::min(before, at_restart.size())),
                                  at_restart.end());
  std::size_t transitions = 0;
  std::map<std::string, std::size_t> per_message;  // RepeatKey of the message (summary suffix removed)
  for (const std::string& line : outage) {
    std::string msg = MessageOf(line);
    if (msg.rfind("zookeeper: session ", 0) == 0) {
      ++transitions;
      continue;
    }
    if (const auto at = msg.find(" (repeated "); at != std::string::npos) msg.resize(at);
    ++per_message[zkx::exporter::RepeatKey(msg)];
  }
  const std::size_t distinct = per_message.size();
  const std::size_t hour_bound = distinct * kLinesPerMessagePerHour + transitions;
  std::printf(
      "outage %.1fs: %zu lines (%zu session transitions, %zu distinct messages); first outage line "
      "after %.2fs, recovery line %.2fs after the restart; hourly bound %zu lines\n",
      outage_seconds, outage.size(), transitions, distinct, outage_line_after, recovery_line_after,
      hour_bound);
  for (const auto& [key, n] : per_message) std::printf("  %zu x %s\n", n, key.c_str());

  EXPECT_EQ(transitions, 1u);                                        // connected -> connecting, once
  for (const auto& [key, n] : per_message) EXPECT_LE(n, 2u) << key;  // the first line and one summary
  EXPECT_LE(hour_bound, kTargetLinesPerHour);
}

}  // namespace
}  // namespace zkx::test::e2e
