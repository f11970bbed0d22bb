// 16 concurrent scrapers while subtrees refresh, the tree is mutated and the session reconnects: the exporter
// runs in-process as the binary runs it (exporter/app.h: session and reader pool, the registry's collectors
// with a poll and a watch subtree, the scrape gate, the HTTP server), so that the TSan build runs it
// (integration label). Four scrape slots for 16 scrapers: the gate queues them. Asserts: every scrape
// answered 200 with a well-formed exposition holding both subtrees' metrics; the session really reconnected
// (connects_total grew by one per killed member); afterwards the tree metrics equal a fresh count. Prints
// scrapes done and latency p50/p99.
#include <algorithm>
#include <atomic>
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "exporter/app.h"
#include "tests/support/exposition.h"
#include "tests/support/http_get.h"
#include "tests/support/sessions.h"
#include "tests/support/wait_and_ports.h"
#include "tests/support/zk_ensemble.h"
#include "tests/support/zk_test_client.h"
#include "zk/session.h"

namespace zkx {
namespace {

using std::chrono::milliseconds;
using Clock = std::chrono::steady_clock;

constexpr int kScrapers = 16;
constexpr int kKills = 3;
constexpr const char* kPollRoot = "/cs-poll";
constexpr const char* kWatchRoot = "/cs-watch";

// root + n0..n9 + their c0..c4: 61 znodes.
void CreateTree(test::ZkTestClient& w, const std::string& root) {
  ASSERT_TRUE(w.CreateRecursive(root).ok());
  for (int i = 0; i < 10; ++i) {
    const std::string n = root + "/n" + std::to_string(i);
    ASSERT_TRUE(w.Create(n, "d").ok());
    for (int j = 0; j < 5; ++j) ASSERT_TRUE(w.Create(n + "/c" + std::to_string(j), "data").ok());
  }
}

double CountZnodes(test::ZkTestClient& client, const std::string& path) {
  Result<std::vector<std::string>> children = client.GetChildren(path);
  if (!children.ok()) return 0;
  double n = 1;
  for (const auto& c : *children) n += CountZnodes(client, path + "/" + c);
  return n;
}

using test::SampleValue;

bool IsNameChar(char c, bool first) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':' ||
         (!first && c >= '0' && c <= '9');
}

// Text format 0.0.4, checked line by line: "# HELP name ...", "# TYPE name type", or
// name[{labels}] value. Returns "" when well formed, else the first offending line.
std::string Malformed(const std::string& body) {
  if (body.empty() || body.back() != '\n') return "<body does not end with a newline>";
  std::size_t start = 0;
  while (start < body.size()) {
    const std::size_t end = body.find('\n', start);
    const std::string_view line(body.data() + start, end - start);
    start = end + 1;
    if (line.rfind("# HELP ", 0) == 0 || line.rfind("# TYPE ", 0) == 0) continue;
    std::size_t i = 0;
    while (i < line.size() && IsNameChar(line[i], i == 0)) ++i;
    if (i == 0) return std::string(line);
    if (i < line.size() && line[i] == '{') {
      const std::size_t close = line.rfind('}');
      if (close == std::string_view::npos || close < i) return std::string(line);
      i = close + 1;
    }
    if (i >= line.size() || line[i] != ' ') return std::string(line);
    const std::string value(line.substr(i + 1));
    char* parsed_end = nullptr;
    std::strtod(value.c_str(), &parsed_end);
    if (value.empty() || parsed_end != value.c_str() + value.size()) return std::string(line);
  }
  return "";
}

using test::ServerHoldingSession;

struct ScrapeStats {
  std::vector<double> latencies_ms;
  uint64_t ok = 0;
  uint64_t failed = 0;
  std::string first_failure;
};

TEST(ConcurrentScrapeTest, SixteenScrapersDuringRefreshesMutationsAndReconnects) {
  test::ZkEnsemble ensemble(test::ZkEnsembleOptions{.servers = 3});
  ASSERT_TRUE(ensemble.Start().ok());
  test::ZkTestClient writer;
  ASSERT_TRUE(writer.Connect(ensemble.ConnectString()).ok());
  CreateTree(writer, kPollRoot);
  CreateTree(writer, kWatchRoot);

  // The exporter, as the binary builds it.
  exporter::Flags flags;
  flags.zookeeper_hosts = ensemble.ConnectString();
  flags.listen_address = "127.0.0.1:0";
  flags.scrape_timeout = milliseconds(30000);
  flags.max_concurrent_scrapes = 4;
  flags.collector_overrides["watches"] = false;
  flags.collector_flags.Set("--server.admin-port", uint16_t{0});
  flags.collector_flags.Set("--server.timeout", milliseconds(1000));
  zk::SessionOptions options;
  options.hosts = ensemble.ConnectString();
  options.session_timeout = milliseconds(20000);
  Result<std::unique_ptr<exporter::App>> created = exporter::App::Create(flags, options);
  ASSERT_TRUE(created.ok()) << created.status().message();
  std::unique_ptr<exporter::App> app = std::move(created).value();
  collectors::SubtreeSpec poll;
  poll.root = kPollRoot;
  poll.refresh_interval = milliseconds(200);
  poll.znode_patterns = {"/cs-poll/*"};
  collectors::SubtreeSpec watch;
  watch.root = kWatchRoot;
  watch.refresh_interval = milliseconds(200);
  watch.refresh_mode = collectors::RefreshMode::kWatch;
  watch.znode_patterns = {"/cs-watch/**"};
  Status started = app->Start({poll, watch}, exporter::HttpSecurity{});
  ASSERT_TRUE(started.ok()) << started.message();
  EXPECT_EQ(app->CollectorNames(),
            (std::vector<std::string>{"process", "server", "session", "tree", "build_info"}));
  ASSERT_EQ(app->Ports().size(), 1u);
  const auto port = static_cast<uint16_t>(app->Ports()[0]);
  zk::Session* s = &app->session();
  ASSERT_TRUE(test::WaitFor([&] { return app->Ready(); }, milliseconds(60000)));

  // 16 scrapers, back to back, until told to stop.
  std::atomic<bool> stop_scraping{false};
  std::atomic<uint64_t> scrapes{0};
  std::vector<ScrapeStats> stats(kScrapers);
  std::vector<std::thread> scrapers;
  const std::string poll_series = std::string("zookeeper_subtree_znodes{root=\"") + kPollRoot + "\"}";
  const std::string watch_series = std::string("zookeeper_subtree_znodes{root=\"") + kWatchRoot + "\"}";
  for (int t = 0; t < kScrapers; ++t) {
    scrapers.emplace_back([&, t] {
      ScrapeStats& st = stats[static_cast<std::size_t>(t)];
      while (!stop_scraping.load()) {
        const auto t0 = Clock::now();
        Result<test::HttpResponse> r = test::HttpGet("127.0.0.1", port, "/metrics", {}, milliseconds(60000));
        st.latencies_ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
        std::string problem;
        if (!r.ok()) {
          problem = r.status().message();
        } else if (r->status != 200) {
          problem = "status " + std::to_string(r->status);
        } else if (std::string bad = Malformed(r->body); !bad.empty()) {
          problem = "malformed line: " + bad;
        } else if (!SampleValue(r->body, poll_series) || !SampleValue(r->body, watch_series)) {
          problem = "no tree metrics";
        }
        if (problem.empty()) {
          ++st.ok;
        } else {
          if (st.first_failure.empty()) st.first_failure = problem;
          ++st.failed;
        }
        scrapes.fetch_add(1);
      }
    });
  }

  // A mutator: creates and deletes znodes under both roots until told to stop (failures while a member is
  // down are expected; the writer's own session rides the reconnects).
  std::atomic<bool> stop_mutating{false};
  std::atomic<uint64_t> mutations{0};
  std::thread mutator([&] {
    test::ZkTestClient m;
    if (!m.Connect(ensemble.ConnectString()).ok()) return;
    for (uint64_t i = 0; !stop_mutating.load(); ++i) {
      const std::string root = i % 2 == 0 ? kPollRoot : kWatchRoot;
      const std::string node =
          root + std::string("/n") + std::to_string(i % 10) + "/m" + std::to_string(i % 7);
      Result<bool> exists = m.Exists(node);
      const Status st = !exists.ok() ? exists.status()
                        : *exists    ? m.DeleteRecursive(node)
                                     : m.CreateRecursive(node + "/leaf");
      if (st.ok()) {
        mutations.fetch_add(1);
      } else {
        std::this_thread::sleep_for(milliseconds(50));  // pacing retries while a member is down
      }
    }
  });

  // Reconnects: kill the member holding the exporter's session, wait until the session is connected again
  // (through another member) and a few more scrapes went by, then restart it.
  uint64_t connects = s->Stats().connects_total;
  for (int k = 0; k < kKills; ++k) {
    const uint64_t mark = scrapes.load();
    ASSERT_TRUE(test::WaitFor([&] { return scrapes.load() >= mark + 50; }, milliseconds(120000)));
    int holder = -1;
    ASSERT_TRUE(
        test::WaitFor([&] { return (holder = ServerHoldingSession(ensemble, s->Stats().session_id)) >= 0; },
                      milliseconds(20000)));
    ensemble.Kill(holder);
    ASSERT_TRUE(test::WaitFor([&] { return s->Stats().connects_total > connects && s->Connected(); },
                              milliseconds(60000)));
    connects = s->Stats().connects_total;
    const uint64_t after_reconnect = scrapes.load();
    ASSERT_TRUE(test::WaitFor([&] { return scrapes.load() >= after_reconnect + 50; }, milliseconds(120000)));
    ASSERT_TRUE(ensemble.Restart(holder).ok());
  }
  stop_mutating = true;
  mutator.join();

  // After the storm: the tree metrics equal a fresh count (scrapers still running).
  const double want_poll = CountZnodes(writer, kPollRoot);
  const double want_watch = CountZnodes(writer, kWatchRoot);
  std::string last;
  EXPECT_TRUE(test::WaitFor(
      [&] {
        Result<test::HttpResponse> r = test::HttpGet("127.0.0.1", port, "/metrics", {}, milliseconds(60000));
        if (!r.ok()) return false;
        last = r->body;
        return SampleValue(last, poll_series) == want_poll && SampleValue(last, watch_series) == want_watch;
      },
      milliseconds(60000), milliseconds(200)))
      << "want " << want_poll << " / " << want_watch << "\n"
      << last.substr(0, 3000);
  stop_scraping = true;
  for (auto& t : scrapers) t.join();
  app->Shutdown();

  std::vector<double> all;
  uint64_t ok = 0;
  uint64_t failed = 0;
  std::string first_failure;
  for (const ScrapeStats& st : stats) {
    all.insert(all.end(), st.latencies_ms.begin(), st.latencies_ms.end());
    ok += st.ok;
    failed += st.failed;
    if (first_failure.empty()) first_failure = st.first_failure;
  }
  std::sort(all.begin(), all.end());
  auto pct = [&](double p) {
    return all.empty() ? 0.0 : all[static_cast<std::size_t>(p * static_cast<double>(all.size() - 1))];
  };
  std::printf(
      "[ figures ] %d scrapers: %zu scrapes (%llu ok, %llu failed), latency p50 %.1f ms, p99 %.1f ms, max "
      "%.1f ms; %llu mutations; %d reconnects (connects_total %llu)\n",
      kScrapers, all.size(), static_cast<unsigned long long>(ok), static_cast<unsigned long long>(failed),
      pct(0.5), pct(0.99), all.empty() ? 0.0 : all.back(), static_cast<unsigned long long>(mutations.load()),
      kKills, static_cast<unsigned long long>(connects));
  RecordProperty("scrapes", std::to_string(all.size()));
  RecordProperty("p50_ms", std::to_string(pct(0.5)));
  RecordProperty("p99_ms", std::to_string(pct(0.99)));
  EXPECT_GT(all.size(), static_cast<std::size_t>(kScrapers));
  EXPECT_EQ(failed, 0u) << "first failure: " << first_failure;
  EXPECT_EQ(ok, all.size());
}

}  // namespace
}  // namespace zkx
