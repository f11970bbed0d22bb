#include "exporter/logging.h"

#include <chrono>
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <spdlog/details/log_msg.h>
#include <spdlog/spdlog.h>

namespace zkx::exporter {
namespace {

using namespace std::chrono_literals;
using testing::HasSubstr;

// 2026-11-26T15:23:45.123Z
spdlog::log_clock::time_point FixedTime() {
  return std::chrono::sys_days{std::chrono::year{2026} / 11 / 26} + 15h + 23min + 45s + 123ms + 456us;
}

std::string Format(LogFormat format, spdlog::level::level_enum level, std::string_view message,
                   spdlog::source_loc source = {}, std::string_view logger_name = "",
                   spdlog::log_clock::time_point time = FixedTime()) {
  const spdlog::details::log_msg msg(time, source,
                                     spdlog::string_view_t(logger_name.data(), logger_name.size()), level,
                                     spdlog::string_view_t(message.data(), message.size()));
  spdlog::memory_buf_t buf;
  MakeLogFormatter(format)->format(msg, buf);
  return std::string(buf.data(), buf.size());
}

TEST(LogfmtTest, ExactLineWithQuotesAndNewlines) {
  EXPECT_EQ(Format(LogFormat::kLogfmt, spdlog::level::info, "walk \"finished\"\nnext line",
                   spdlog::source_loc{"/src/collectors/tree_collector.cc", 42, "Collect"}),
            "ts=2026-11-26T15:23:45.123Z level=info msg=\"walk \\\"finished\\\"\\nnext line\" "
            "caller=tree_collector.cc:42\n");
}

TEST(LogfmtTest, NoCallerWithoutSourceLocation) {
  EXPECT_EQ(Format(LogFormat::kLogfmt, spdlog::level::warn, "plain"),
            "ts=2026-11-26T15:23:45.123Z level=warn msg=\"plain\"\n");
}

TEST(LogfmtTest, EscapesBackslashesAndControlCharacters) {
  static constexpr char kRaw[] =
      "a\\b\tc\rd\x01"
      "e\x7f"
      "f\0g";
  EXPECT_EQ(Format(LogFormat::kLogfmt, spdlog::level::err, std::string(kRaw, sizeof kRaw - 1)),
            "ts=2026-11-26T15:23:45.123Z level=error msg=\"a\\\\b\\tc\\rd\\u0001e\\u007ff\\u0000g\"\n");
}

TEST(LogfmtTest, LoggerNameIsQuotedWhenNeeded) {
  EXPECT_THAT(Format(LogFormat::kLogfmt, spdlog::level::info, "m", {}, "zk"), HasSubstr(" logger=zk\n"));
  EXPECT_THAT(Format(LogFormat::kLogfmt, spdlog::level::info, "m", {}, "a b=c"),
              HasSubstr(" logger=\"a b=c\"\n"));
}

TEST(LogfmtTest, LevelNames) {
  const std::pair<spdlog::level::level_enum, const char*> kLevels[] = {
      {spdlog::level::trace, "debug"}, {spdlog::level::debug, "debug"}, {spdlog::level::info, "info"},
      {spdlog::level::warn, "warn"},   {spdlog::level::err, "error"},   {spdlog::level::critical, "error"}};
  for (const auto& [level, name] : kLevels) {
    EXPECT_THAT(Format(LogFormat::kLogfmt, level, "m"), HasSubstr(std::string(" level=") + name + " "));
    EXPECT_THAT(Format(LogFormat::kJson, level, "m"), HasSubstr(std::string("\"level\":\"") + name + "\""));
  }
}

TEST(TimestampTest, UtcRfc3339WithMilliseconds) {
  const spdlog::log_clock::time_point epoch{};
  EXPECT_THAT(Format(LogFormat::kLogfmt, spdlog::level::info, "m", {}, "", epoch),
              HasSubstr("ts=1970-01-01T00:00:00.000Z "));
  EXPECT_THAT(Format(LogFormat::kLogfmt, spdlog::level::info, "m", {}, "", epoch + 5ms),
              HasSubstr("ts=1970-01-01T00:00:00.005Z "));
  const auto leap_day = std::chrono::sys_days{std::chrono::year{2024} / 2 / 29} + 23h + 59min + 59s + 999ms;
  EXPECT_THAT(Format(LogFormat::kJson, spdlog::level::info, "m", {}, "", leap_day),
              HasSubstr("\"ts\":\"2024-02-29T23:59:59.999Z\""));
}

TEST(JsonTest, ExactLine) {
  EXPECT_EQ(Format(LogFormat::kJson, spdlog::level::info, "walk finished"),
            "{\"ts\":\"2026-11-26T15:23:45.123Z\",\"level\":\"info\",\"msg\":\"walk finished\"}\n");
}

TEST(JsonTest, ParsesAndRoundTripsTrickyMessages) {
  static constexpr char kRaw[] = "quote \" backslash \\ newline \n tab \t cr \r bell \x07 nul \0 end";
  const std::string tricky =
      std::string(kRaw, sizeof kRaw - 1) + " unicode: caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80";
  const std::string line = Format(LogFormat::kJson, spdlog::level::warn, tricky,
                                  spdlog::source_loc{"zk/session.cc", 7, "Run"}, "zk\"name");
  ASSERT_FALSE(line.empty());
  EXPECT_EQ(line.back(), '\n');
  EXPECT_EQ(line.find('\n'), line.size() - 1) << "one line per record";
  const nlohmann::json j = nlohmann::json::parse(line);
  EXPECT_EQ(j.at("ts"), "2026-11-26T15:23:45.123Z");
  EXPECT_EQ(j.at("level"), "warn");
  EXPECT_EQ(j.at("msg"), tricky);
  EXPECT_EQ(j.at("caller"), "session.cc:7");
  EXPECT_EQ(j.at("logger"), "zk\"name");
}

TEST(JsonTest, InvalidUtf8BecomesReplacementCharacter) {
  const std::string bad = "bad \xFF byte, truncated \xE2\x82, surrogate \xED\xA0\x80, overlong \xC0\xAF.";
  const std::string line = Format(LogFormat::kJson, spdlog::level::info, bad);
  nlohmann::json j;
  ASSERT_NO_THROW(j = nlohmann::json::parse(line)) << line;
  const std::string msg = j.at("msg");
  EXPECT_EQ(msg.find('\xFF'), std::string::npos);
  EXPECT_THAT(msg, HasSubstr("bad \xEF\xBF\xBD byte"));
  EXPECT_THAT(msg, HasSubstr("truncated \xEF\xBF\xBD\xEF\xBF\xBD,"));
  // The logfmt line is valid UTF-8 too.
  EXPECT_THAT(Format(LogFormat::kLogfmt, spdlog::level::info, bad), HasSubstr("bad \xEF\xBF\xBD byte"));
}

TEST(FormatterTest, CloneFormatsTheSame) {
  auto formatter = MakeLogFormatter(LogFormat::kJson);
  auto clone = formatter->clone();
  const spdlog::details::log_msg msg(FixedTime(), {}, "", spdlog::level::info, "m");
  spdlog::memory_buf_t a;
  spdlog::memory_buf_t b;
  formatter->format(msg, a);
  clone->format(msg, b);
  EXPECT_EQ(std::string(a.data(), a.size()), std::string(b.data(), b.size()));
}

TEST(SetupLoggingTest, RejectsUnknownLevelAndFormat) {
  const Status bad_level = SetupLogging("verbose", "logfmt");
  EXPECT_EQ(bad_level.code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(bad_level.message(), HasSubstr("verbose"));
  const Status bad_format = SetupLogging("info", "text");
  EXPECT_EQ(bad_format.code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(bad_format.message(), HasSubstr("text"));
}

TEST(SetupLoggingTest, ConfiguresTheDefaultLogger) {
  ASSERT_TRUE(SetupLogging("warn", "json").ok());
  auto logger = spdlog::default_logger();
  EXPECT_EQ(logger->level(), spdlog::level::warn);
  EXPECT_EQ(logger->flush_level(), spdlog::level::warn);

  testing::internal::CaptureStderr();
  spdlog::info("hidden");
  spdlog::warn("shown {}", "\"quoted\"");
  const std::string out = testing::internal::GetCapturedStderr();
  EXPECT_EQ(out.find("hidden"), std::string::npos);
  const nlohmann::json j = nlohmann::json::parse(out);
  EXPECT_EQ(j.at("level"), "warn");
  EXPECT_EQ(j.at("msg"), "shown \"quoted\"");

  ASSERT_TRUE(SetupLogging("debug", "logfmt").ok());
  EXPECT_EQ(spdlog::default_logger()->level(), spdlog::level::debug);
  testing::internal::CaptureStderr();
  spdlog::debug("now visible");
  const std::string logfmt = testing::internal::GetCapturedStderr();
  EXPECT_THAT(logfmt, testing::StartsWith("ts="));
  EXPECT_THAT(logfmt, HasSubstr(" level=debug msg=\"now visible\"\n"));

  ASSERT_TRUE(SetupLogging("error", "logfmt").ok());
  EXPECT_EQ(spdlog::default_logger()->level(), spdlog::level::err);
  ASSERT_TRUE(SetupLogging("info", "logfmt").ok());
  EXPECT_EQ(spdlog::default_logger()->level(), spdlog::level::info);
}

}  // namespace
}  // namespace zkx::exporter
