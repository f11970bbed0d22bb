#include "collectors/collector_set.h"

#include <atomic>
#include <chrono>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "collectors/family_builder.h"
#include "collectors/session_collector.h"

namespace zkx::collectors {
namespace {

class FakeCollector final : public Collector {
 public:
  enum class Mode { kOk, kFail, kThrow, kSlow };
  explicit FakeCollector(Mode mode) : mode_(mode) {}
  Status Collect(std::chrono::steady_clock::time_point, collectors::FamilySink out) override {
    calls_.fetch_add(1);
    auto f = MakeFamily("fake_value", "A value.", prometheus::MetricType::Gauge);
    AddSample(&f, 7);
    out.Add(f);
    switch (mode_) {
      case Mode::kOk: return Status::Ok();
      case Mode::kFail: return Status::Unavailable("server down");
      case Mode::kThrow: throw std::runtime_error("boom");
      case Mode::kSlow: std::this_thread::sleep_for(std::chrono::milliseconds(600)); return Status::Ok();
    }
    return Status::Ok();
  }
  std::atomic<int> calls_{0};

 private:
  Mode mode_;
};

const prometheus::MetricFamily* Find(const std::vector<prometheus::MetricFamily>& fs,
                                     const std::string& name) {
  for (const auto& f : fs) {
    if (f.name == name) return &f;
  }
  return nullptr;
}

double SuccessOf(const std::vector<prometheus::MetricFamily>& fs, const std::string& collector) {
  const auto* f = Find(fs, "zookeeper_exporter_collector_success");
  for (const auto& m : f->metric) {
    if (m.label.at(0).value == collector) return m.gauge.value;
  }
  return -1;
}

TEST(CollectorSetTest, FailingThrowingAndSlowCollectorsNeverFailTheScrape) {
  CollectorSet set;
  set.Add("ok", std::make_shared<FakeCollector>(FakeCollector::Mode::kOk));
  set.Add("fail", std::make_shared<FakeCollector>(FakeCollector::Mode::kFail));
  set.Add("throw", std::make_shared<FakeCollector>(FakeCollector::Mode::kThrow));
  set.Add("slow", std::make_shared<FakeCollector>(FakeCollector::Mode::kSlow));
  auto families = set.Gather(std::chrono::steady_clock::now() + std::chrono::milliseconds(200));
  EXPECT_EQ(SuccessOf(families, "ok"), 1);
  EXPECT_EQ(SuccessOf(families, "fail"), 0);
  EXPECT_EQ(SuccessOf(families, "throw"), 0);
  EXPECT_EQ(SuccessOf(families, "slow"), 0);
  ASSERT_NE(Find(families, "zookeeper_exporter_collector_duration_seconds"), nullptr);
  auto results = set.LastResults();
  ASSERT_EQ(results.size(), 4u);
  EXPECT_NE(results[1].error.find("server down"), std::string::npos);
  EXPECT_NE(results[2].error.find("boom"), std::string::npos);
  EXPECT_NE(results[3].error.find("deadline"), std::string::npos);
}

TEST(CollectorSetTest, CollectorsRunConcurrently) {
  CollectorSet set;
  for (int i = 0; i < 4; ++i) {
    set.Add("slow" + std::to_string(i), std::make_shared<FakeCollector>(FakeCollector::Mode::kSlow));
  }
  auto families = set.Gather(std::chrono::steady_clock::now() + std::chrono::seconds(30));
  // Four 600 ms collectors in sequence would take 2.4 s; concurrently they all finish, each reporting ~0.6 s.
  for (int i = 0; i < 4; ++i) EXPECT_EQ(SuccessOf(families, "slow" + std::to_string(i)), 1);
  const auto* fake = Find(families, "fake_value");
  ASSERT_NE(fake, nullptr);
}

// What /metrics serves: the same scrape as text, one piece per family, collectors in Add() order (a failed
// one's families are kept, as Gather keeps them), then the set's own two families.
TEST(CollectorSetTest, TextHasOnePiecePerCollectorThenTheSetsOwn) {
  CollectorSet set;
  set.Add("ok", std::make_shared<FakeCollector>(FakeCollector::Mode::kOk));
  set.Add("fail", std::make_shared<FakeCollector>(FakeCollector::Mode::kFail));
  const auto pieces = set.GatherText(std::chrono::steady_clock::now() + std::chrono::seconds(30));
  ASSERT_EQ(pieces.size(), 4u);
  const std::string fake = "# HELP fake_value A value.\n# TYPE fake_value gauge\nfake_value 7\n";
  EXPECT_EQ(pieces[0], fake);
  EXPECT_EQ(pieces[1], fake);
  EXPECT_NE(pieces[2].find("# TYPE zookeeper_exporter_collector_duration_seconds gauge"), std::string::npos);
  EXPECT_NE(pieces[3].find("zookeeper_exporter_collector_success{collector=\"ok\"} 1\n"), std::string::npos)
      << pieces[3];
  EXPECT_NE(pieces[3].find("zookeeper_exporter_collector_success{collector=\"fail\"} 0\n"),
            std::string::npos);
}

TEST(SessionFamiliesTest, ExactlyOneStateIsSet) {
  zk::SessionStats stats;
  stats.state = zk::SessionState::kConnected;
  stats.negotiated_timeout = std::chrono::milliseconds(4000);
  stats.connects_total = 2;
  stats.expirations_total = 1;
  stats.watches = 5;
  stats.watched_path_bytes = 120;
  stats.watch_events_total = 9;
  auto families = BuildSessionFamilies(stats, 3);
  // The exporter's own watches are the session collector's (so that they show without the watches collector).
  ASSERT_NE(Find(families, "zookeeper_session_watches"), nullptr);
  EXPECT_EQ(Find(families, "zookeeper_session_watches")->metric.at(0).gauge.value, 5);
  ASSERT_NE(Find(families, "zookeeper_session_watched_path_bytes"), nullptr);
  EXPECT_EQ(Find(families, "zookeeper_session_watched_path_bytes")->metric.at(0).gauge.value, 120);
  ASSERT_NE(Find(families, "zookeeper_session_watch_events_total"), nullptr);
  EXPECT_EQ(Find(families, "zookeeper_session_watch_events_total")->metric.at(0).counter.value, 9);
  const auto* state = Find(families, "zookeeper_session_state");
  ASSERT_NE(state, nullptr);
  ASSERT_EQ(state->metric.size(), 6u);
  double sum = 0;
  for (const auto& m : state->metric) {
    sum += m.gauge.value;
    if (m.label.at(0).value == "connected") {
      EXPECT_EQ(m.gauge.value, 1);
    }
  }
  EXPECT_EQ(sum, 1);
  EXPECT_EQ(Find(families, "zookeeper_session_timeout_seconds")->metric.at(0).gauge.value, 4);
  EXPECT_EQ(Find(families, "zookeeper_session_connects_total")->metric.at(0).counter.value, 2);
  EXPECT_EQ(Find(families, "zookeeper_session_expirations_total")->metric.at(0).counter.value, 1);
  EXPECT_EQ(Find(families, "zookeeper_session_in_flight_requests")->metric.at(0).gauge.value, 3);
}

// Issue 17: the session's real watches, orphan removals, confirmed authentications and the xid budget.
TEST(SessionFamiliesTest, WatchesAuthAndXidBudget) {
  zk::SessionStats stats;
  stats.watches = 8;
  stats.watched_path_bytes = 1234;
  stats.orphan_watches_removed_total = 5;
  stats.auth_accepted_total = 2;
  stats.requests_issued_total = 77;
  stats.xid_requests_remaining = 999;
  auto families = BuildSessionFamilies(stats, 0);
  EXPECT_EQ(Find(families, "zookeeper_session_watches")->metric.at(0).gauge.value, 8);
  EXPECT_EQ(Find(families, "zookeeper_session_watched_path_bytes")->metric.at(0).gauge.value, 1234);
  EXPECT_EQ(Find(families, "zookeeper_session_orphan_watches_removed_total")->metric.at(0).counter.value, 5);
  EXPECT_EQ(Find(families, "zookeeper_session_auth_accepted_total")->metric.at(0).counter.value, 2);
  EXPECT_EQ(Find(families, "zookeeper_client_requests_total")->metric.at(0).counter.value, 77);
  EXPECT_EQ(Find(families, "zookeeper_client_xid_requests_remaining")->metric.at(0).gauge.value, 999);
  // One session: no per-watch-session families.
  EXPECT_EQ(Find(families, "zookeeper_watch_session_watched_path_bytes"), nullptr);
}

// --zookeeper.watch-sessions > 1: the watch families are summed over the watch sessions, and each session's
// own SetWatches bytes (the figure jute.maxbuffer bounds) is exported too; the rest stays the main session's.
TEST(SessionFamiliesTest, WatchSessionsAreSummedAndShownOneByOne) {
  zk::SessionStats main;
  main.state = zk::SessionState::kConnected;
  main.connects_total = 1;
  main.watches = 10;
  main.watched_path_bytes = 100;
  main.watch_events_total = 1;
  std::vector<zk::SessionStats> extra(2);
  extra[0].state = zk::SessionState::kConnecting;
  extra[0].connects_total = 7;
  extra[0].watches = 20;
  extra[0].watched_path_bytes = 200;
  extra[0].watch_events_total = 2;
  extra[1].state = zk::SessionState::kConnected;
  extra[1].watches = 30;
  extra[1].watched_path_bytes = 300;
  extra[1].orphan_watches_removed_total = 4;
  auto families = BuildSessionFamilies(main, 0, extra);
  EXPECT_EQ(Find(families, "zookeeper_session_watches")->metric.at(0).gauge.value, 60);
  EXPECT_EQ(Find(families, "zookeeper_session_watched_path_bytes")->metric.at(0).gauge.value, 600);
  EXPECT_EQ(Find(families, "zookeeper_session_watch_events_total")->metric.at(0).counter.value, 3);
  EXPECT_EQ(Find(families, "zookeeper_session_orphan_watches_removed_total")->metric.at(0).counter.value, 4);
  EXPECT_EQ(Find(families, "zookeeper_session_connects_total")->metric.at(0).counter.value, 1);  // the main's
  const auto* bytes = Find(families, "zookeeper_watch_session_watched_path_bytes");
  ASSERT_NE(bytes, nullptr);
  ASSERT_EQ(bytes->metric.size(), 3u);
  for (std::size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(bytes->metric[i].label.at(0).name, "session");
    EXPECT_EQ(bytes->metric[i].label.at(0).value, std::to_string(i));
    EXPECT_EQ(bytes->metric[i].gauge.value, 100.0 * static_cast<double>(i + 1));
  }
  EXPECT_EQ(Find(families, "zookeeper_watch_session_watches")->metric.at(2).gauge.value, 30);
  const auto* connected = Find(families, "zookeeper_watch_session_connected");
  ASSERT_NE(connected, nullptr);
  EXPECT_EQ(connected->metric.at(0).gauge.value, 1);
  EXPECT_EQ(connected->metric.at(1).gauge.value, 0);
  EXPECT_EQ(connected->metric.at(2).gauge.value, 1);
}

// The walk sessions' gauges: what the exporter's reader pool says, and none for a target that walks on its
// one session (no walk_sessions source, as /probe targets).
TEST(SessionFamiliesTest, WalkSessionsAreShownWhenTheTargetHasAPool) {
  auto families = BuildWalkSessionFamilies({.max = 4, .open = 2, .in_use = 1});
  ASSERT_EQ(families.size(), 3u);
  EXPECT_EQ(Find(families, "zookeeper_walk_sessions_max")->metric.at(0).gauge.value, 4);
  EXPECT_EQ(Find(families, "zookeeper_walk_sessions_open")->metric.at(0).gauge.value, 2);
  EXPECT_EQ(Find(families, "zookeeper_walk_sessions_in_use")->metric.at(0).gauge.value, 1);

  SessionCollector::Source source{[] { return zk::SessionStats{}; }, [] { return std::size_t{0}; }, nullptr,
                                  nullptr};
  std::vector<prometheus::MetricFamily> without;
  ASSERT_TRUE(SessionCollector(source).Collect(std::chrono::steady_clock::now(), &without).ok());
  EXPECT_EQ(Find(without, "zookeeper_walk_sessions_open"), nullptr);
  source.walk_sessions = [] { return zk::WalkSessionFigures{.max = 4, .open = 3, .in_use = 2}; };
  std::vector<prometheus::MetricFamily> with;
  ASSERT_TRUE(SessionCollector(source).Collect(std::chrono::steady_clock::now(), &with).ok());
  ASSERT_NE(Find(with, "zookeeper_walk_sessions_open"), nullptr);
  EXPECT_EQ(Find(with, "zookeeper_walk_sessions_open")->metric.at(0).gauge.value, 3);
  EXPECT_EQ(Find(with, "zookeeper_walk_sessions_in_use")->metric.at(0).gauge.value, 2);
}

}  // namespace
}  // namespace zkx::collectors
