#include "zk/client_log.h"

#include <atomic>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <spdlog/logger.h>
#include <spdlog/sinks/ostream_sink.h>

namespace zkx::zk {
namespace {

using std::chrono::milliseconds;
using Clock = std::chrono::steady_clock;

constexpr char kErrorLine[] =
    "2026-11-26 15:23:45,123:4242(0x7f3a9c1ff6c0):ZOO_ERROR@handle_socket_error_msg@1230: Socket "
    "[127.0.0.1:2181] zk retcode=-4, errno=111(Connection refused): server refused to accept the client";
constexpr char kWarnLine[] =
    "2026-11-26 15:23:46,001:4242(0x7f3a9c1ff6c0):ZOO_WARN@zookeeper_interest@1461: Exceeded deadline by "
    "13ms";
constexpr char kInfoLine[] =
    "2026-11-26 15:23:45,120:4242(0x7f3a9d2006c0):ZOO_INFO@check_events@2595: initiated connection to server "
    "127.0.0.1:2181";
constexpr char kDebugLine[] =
    "2026-11-26 15:23:45,121:4242(0x7f3a9d2006c0):ZOO_DEBUG@zookeeper_process@3010: Got ping response in 0 "
    "ms";

TEST(ClientLogTest, ParsesLevels) {
  EXPECT_EQ(ParseClientLogLevel(kErrorLine), spdlog::level::err);
  EXPECT_EQ(ParseClientLogLevel(kWarnLine), spdlog::level::warn);
  EXPECT_EQ(ParseClientLogLevel(kInfoLine), spdlog::level::info);
  EXPECT_EQ(ParseClientLogLevel(kDebugLine), spdlog::level::debug);
  EXPECT_EQ(ParseClientLogLevel("no level token here"), spdlog::level::info);
  EXPECT_EQ(ParseClientLogLevel(""), spdlog::level::info);
  // The earliest token is the level; later ones are message text.
  EXPECT_EQ(ParseClientLogLevel("x:ZOO_INFO@f@1: the text mentions ZOO_ERROR"), spdlog::level::info);
}

TEST(ClientLogTest, RoutineConnectionErrors) {
  EXPECT_TRUE(IsRoutineConnectionError(kErrorLine));
  EXPECT_TRUE(IsRoutineConnectionError(
      "x:ZOO_ERROR@handle_socket_error_msg@1230: Socket [127.0.0.1:2181] zk retcode=-7, errno=110(Connection "
      "timed out): connection to 127.0.0.1:2181 timed out (exceeded timeout by 0ms)"));
  EXPECT_FALSE(IsRoutineConnectionError("x:ZOO_ERROR@zookeeper_init@1234: getaddrinfo: Invalid argument"));
  EXPECT_FALSE(IsRoutineConnectionError(kWarnLine));
}

TEST(LogRateLimiterTest, BurstThenRefill) {
  LogRateLimiter limiter(/*per_second=*/2.0, /*burst=*/3.0);
  const Clock::time_point t0 = Clock::now();
  EXPECT_TRUE(limiter.Allow(t0));
  EXPECT_TRUE(limiter.Allow(t0));
  EXPECT_TRUE(limiter.Allow(t0));
  EXPECT_FALSE(limiter.Allow(t0));
  EXPECT_FALSE(limiter.Allow(t0 + milliseconds(100)));  // 0.2 tokens
  EXPECT_EQ(limiter.TakeSuppressed(), 2u);
  EXPECT_EQ(limiter.TakeSuppressed(), 0u);
  EXPECT_TRUE(limiter.Allow(t0 + milliseconds(500)));  // 1 token refilled
  EXPECT_FALSE(limiter.Allow(t0 + milliseconds(500)));
  // A clock going backwards refills nothing.
  EXPECT_FALSE(limiter.Allow(t0));
  // A long idle refills only up to the burst.
  const Clock::time_point later = t0 + std::chrono::hours(1);
  EXPECT_TRUE(limiter.Allow(later));
  EXPECT_TRUE(limiter.Allow(later));
  EXPECT_TRUE(limiter.Allow(later));
  EXPECT_FALSE(limiter.Allow(later));
  EXPECT_EQ(limiter.TakeSuppressed(), 3u);
}

TEST(LogRateLimiterTest, ThreadSafe) {
  LogRateLimiter limiter(/*per_second=*/1.0, /*burst=*/50.0);
  const Clock::time_point t0 = Clock::now();
  std::atomic<int> allowed{0};
  std::vector<std::thread> threads;
  threads.reserve(4);
  for (int i = 0; i < 4; ++i) {
    threads.emplace_back([&] {
      for (int j = 0; j < 1000; ++j) {
        if (limiter.Allow(t0)) allowed.fetch_add(1);
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(allowed.load(), 50);
  EXPECT_EQ(limiter.TakeSuppressed(), 4000u - 50u);
}

class BridgeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(out_);
    sink->set_pattern("%l|%v");
    logger_ = std::make_shared<spdlog::logger>("zookeeper_client", sink);
    logger_->set_level(spdlog::level::trace);
    InstallClientLogBridge(logger_);
  }
  void TearDown() override { InstallClientLogBridge(nullptr); }

  std::vector<std::string> Lines() {
    std::vector<std::string> lines;
    std::istringstream in(out_.str());
    for (std::string line; std::getline(in, line);) lines.push_back(line);
    return lines;
  }

  std::ostringstream out_;
  std::shared_ptr<spdlog::logger> logger_;
};

TEST_F(BridgeTest, LogsAtTheParsedLevelWithoutPrefixOrNewline) {
  ZkClientLogCallback((std::string(kWarnLine) + "\n").c_str());
  ZkClientLogCallback(kInfoLine);
  ZkClientLogCallback(kDebugLine);
  ZkClientLogCallback(nullptr);
  ZkClientLogCallback("");
  const auto lines = Lines();
  ASSERT_EQ(lines.size(), 3u) << out_.str();
  EXPECT_EQ(lines[0], "warning|zookeeper_interest@1461: Exceeded deadline by 13ms");
  EXPECT_EQ(lines[1], "info|check_events@2595: initiated connection to server 127.0.0.1:2181");
  EXPECT_EQ(lines[2], "debug|zookeeper_process@3010: Got ping response in 0 ms");
}

TEST_F(BridgeTest, RateLimitsAFloodAndReportsSuppressed) {
  for (int i = 0; i < 100; ++i) ZkClientLogCallback(kErrorLine);
  auto lines = Lines();
  // Burst 20 (other tests in this process may have used some of the process-wide ERROR bucket), plus a
  // little refill during the loop on a slow machine.
  ASSERT_GE(lines.size(), 1u);
  ASSERT_LE(lines.size(), 22u);
  // A refused connection is routine in an outage: WARN, not ERROR.
  EXPECT_EQ(lines[0].rfind("warning|handle_socket_error_msg@1230: Socket [127.0.0.1:2181]", 0), 0u)
      << lines[0];
  // After a refill, the next line carries the count of suppressed lines.
  std::this_thread::sleep_for(milliseconds(400));
  ZkClientLogCallback(kErrorLine);
  lines = Lines();
  EXPECT_NE(lines.back().find("suppressed="), std::string::npos) << lines.back();
}

}  // namespace
}  // namespace zkx::zk
