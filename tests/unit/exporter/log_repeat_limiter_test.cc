#include "exporter/log_repeat_limiter.h"

#include <chrono>
#include <cstdio>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <spdlog/logger.h>
#include <spdlog/sinks/base_sink.h>

namespace zkx::exporter {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

// Collects what reaches the real sink.
class CaptureSink final : public spdlog::sinks::base_sink<std::mutex> {
 public:
  std::vector<std::string> lines;

 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    lines.emplace_back(msg.payload.data(), msg.payload.size());
  }
  void flush_() override {}
};

struct Fixture {
  Fixture() {
    RepeatLimitOptions o;
    o.interval = 60s;
    o.max_interval = 600s;
    o.exempt_prefixes = {"zookeeper: session "};
    o.clock = [this] { return now; };
    capture = std::make_shared<CaptureSink>();
    limiter = std::make_shared<RepeatLimitSink>(capture, o);
    logger = std::make_shared<spdlog::logger>("", limiter);
    logger->set_level(spdlog::level::debug);
  }
  Clock::time_point now = Clock::time_point{} + 1000h;
  std::shared_ptr<CaptureSink> capture;
  std::shared_ptr<RepeatLimitSink> limiter;
  std::shared_ptr<spdlog::logger> logger;
};

TEST(RepeatKeyTest, DigitRunsAreOneNumber) {
  EXPECT_EQ(RepeatKey("Socket [127.0.0.1:2181] errno=111"), "Socket [#.#.#.#:#] errno=#");
  EXPECT_EQ(RepeatKey("no digits"), "no digits");
}

TEST(RepeatLimitSinkTest, FirstLineAtOnceThenOneSummaryPerDoublingInterval) {
  Fixture f;
  // One message a second for an hour, with a port that changes.
  for (int s = 0; s < 3600; ++s) {
    f.logger->warn("connect to 127.0.0.1:{} failed: connection refused", 30000 + s % 3);
    f.now += 1s;
  }
  f.limiter->FlushSummaries();
  const auto& lines = f.capture->lines;
  std::printf("one message a second for an hour: %zu lines (with the final flush)\n", lines.size());
  ASSERT_FALSE(lines.empty());
  EXPECT_EQ(lines[0], "connect to 127.0.0.1:30000 failed: connection refused");
  // 60s, 120s, 240s, 480s, then every 600s: 1 + 4 + 5 summaries and the final flush.
  EXPECT_LE(lines.size(), 12u);
  EXPECT_GE(lines.size(), 8u);
  // The summary is written by the call at 60 s, before that call's own message is counted.
  EXPECT_NE(lines[1].find("(repeated 59 times in the last 60s)"), std::string::npos) << lines[1];
  std::size_t total = 1;
  for (std::size_t i = 1; i < lines.size(); ++i) {
    const auto at = lines[i].find("(repeated ");
    ASSERT_NE(at, std::string::npos) << lines[i];
    total += std::stoul(lines[i].substr(at + 10));
  }
  EXPECT_EQ(total, 3600u);  // every occurrence is accounted for
}

TEST(RepeatLimitSinkTest, ExemptLinesAlwaysPass) {
  Fixture f;
  for (int i = 0; i < 50; ++i) {
    f.logger->info("zookeeper: session connected -> connecting");
    f.logger->info("zookeeper: session connecting -> connected (session 0x{:x}, timeout 4000 ms)", i);
    f.now += 1s;
  }
  EXPECT_EQ(f.capture->lines.size(), 100u);
}

TEST(RepeatLimitSinkTest, AMessageQuietForAWindowIsLoggedAtOnceAgain) {
  Fixture f;
  f.logger->warn("walk failed");
  f.now += 10s;
  f.logger->warn("walk failed");  // suppressed
  f.now += 61s;
  f.logger->info("something else");  // the sweep writes the summary of the first, then this line
  f.now += 121s;
  f.logger->info("something else 2");  // the sweep forgets the quiet "walk failed"
  f.now += 1s;
  f.logger->warn("walk failed");  // a new outage: at once
  const auto& lines = f.capture->lines;
  ASSERT_EQ(lines.size(), 5u);
  EXPECT_EQ(lines[0], "walk failed");
  EXPECT_NE(lines[1].find("walk failed (repeated 1 times in the last 71s)"), std::string::npos) << lines[1];
  EXPECT_EQ(lines[2], "something else");
  EXPECT_EQ(lines[3], "something else 2");
  EXPECT_EQ(lines[4], "walk failed");
}

TEST(RepeatLimitSinkTest, LevelsAreDistinctMessages) {
  Fixture f;
  f.logger->warn("same text");
  f.logger->error("same text");
  EXPECT_EQ(f.capture->lines.size(), 2u);
}

}  // namespace
}  // namespace zkx::exporter
