#include "exporter/logging.h"

#include <chrono>
#include <cstdint>
#include <ctime>
#include <exception>
#include <mutex>
#include <utility>

#include <spdlog/details/log_msg.h>
#include <spdlog/logger.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include "base/mutex.h"
#include "base/thread_annotations.h"
#include "exporter/log_repeat_limiter.h"

namespace zkx::exporter {
namespace {

constexpr std::string_view kReplacementChar = "\xEF\xBF\xBD";  // U+FFFD, for bytes that are not UTF-8

void Append(spdlog::memory_buf_t& dest, std::string_view s) {
  dest.append(s.data(), s.data() + s.size());
}

void AppendPadded(spdlog::memory_buf_t& dest, std::int64_t value, int width) {
  char digits[24];
  int n = 0;
  std::uint64_t v = value < 0 ? 0 : static_cast<std::uint64_t>(value);
  do {
    digits[n++] = static_cast<char>('0' + v % 10);
    v /= 10;
  } while (v != 0 && n < 20);
  while (n < width && n < 20) digits[n++] = '0';
  while (n > 0) dest.push_back(digits[--n]);
}

// Length of the valid UTF-8 sequence starting at s[i], or 0 if the bytes there are not valid UTF-8.
std::size_t Utf8SequenceLength(std::string_view s, std::size_t i) {
  const auto b0 = static_cast<unsigned char>(s[i]);
  auto cont = [&](std::size_t k, unsigned char lo = 0x80, unsigned char hi = 0xBF) {
    if (i + k >= s.size()) return false;
    const auto b = static_cast<unsigned char>(s[i + k]);
    return b >= lo && b <= hi;
  };
  if (b0 < 0x80) return 1;
  if (b0 >= 0xC2 && b0 <= 0xDF) return cont(1) ? 2 : 0;
  if (b0 == 0xE0) return cont(1, 0xA0, 0xBF) && cont(2) ? 3 : 0;
  if ((b0 >= 0xE1 && b0 <= 0xEC) || b0 == 0xEE || b0 == 0xEF) return cont(1) && cont(2) ? 3 : 0;
  if (b0 == 0xED) return cont(1, 0x80, 0x9F) && cont(2) ? 3 : 0;  // no UTF-16 surrogates
  if (b0 == 0xF0) return cont(1, 0x90, 0xBF) && cont(2) && cont(3) ? 4 : 0;
  if (b0 >= 0xF1 && b0 <= 0xF3) return cont(1) && cont(2) && cont(3) ? 4 : 0;
  if (b0 == 0xF4) return cont(1, 0x80, 0x8F) && cont(2) && cont(3) ? 4 : 0;
  return 0;
}

// Appends `s` escaped for the inside of a double-quoted logfmt or JSON string: \" \\ \n \r \t, other control
// characters as \u00XX, invalid UTF-8 bytes as U+FFFD. The result is valid UTF-8 and stays on one line.
void AppendEscaped(spdlog::memory_buf_t& dest, std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  for (std::size_t i = 0; i < s.size();) {
    const char c = s[i];
    const auto u = static_cast<unsigned char>(c);
    if (u >= 0x80) {
      const std::size_t len = Utf8SequenceLength(s, i);
      if (len == 0) {
        Append(dest, kReplacementChar);
        ++i;
      } else {
        Append(dest, s.substr(i, len));
        i += len;
      }
      continue;
    }
    switch (c) {
      case '"': Append(dest, "\\\""); break;
      case '\\': Append(dest, "\\\\"); break;
      case '\n': Append(dest, "\\n"); break;
      case '\r': Append(dest, "\\r"); break;
      case '\t': Append(dest, "\\t"); break;
      default:
        if (u < 0x20 || u == 0x7f) {
          Append(dest, "\\u00");
          dest.push_back(kHex[u >> 4]);
          dest.push_back(kHex[u & 0xf]);
        } else {
          dest.push_back(c);
        }
    }
    ++i;
  }
}

// logfmt values are bare unless they are empty or hold spaces, '=', quotes, control or non-ASCII characters.
void AppendLogfmtValue(spdlog::memory_buf_t& dest, std::string_view s) {
  bool quote = s.empty();
  for (char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u >= 0x7f || c == '=' || c == '"' || c == '\\') quote = true;
  }
  if (!quote) {
    Append(dest, s);
    return;
  }
  dest.push_back('"');
  AppendEscaped(dest, s);
  dest.push_back('"');
}

std::string_view LevelName(spdlog::level::level_enum level) {
  switch (level) {
    case spdlog::level::trace:
    case spdlog::level::debug: return "debug";
    case spdlog::level::info: return "info";
    case spdlog::level::warn: return "warn";
    case spdlog::level::err:
    case spdlog::level::critical: return "error";
    case spdlog::level::off:
    case spdlog::level::n_levels: break;
  }
  return "off";
}

// RFC 3339, UTC, milliseconds: 2026-11-26T15:23:45.123Z.
void AppendTimestamp(spdlog::memory_buf_t& dest, spdlog::log_clock::time_point time) {
  const auto since_epoch = time.time_since_epoch();
  const auto secs = std::chrono::floor<std::chrono::seconds>(since_epoch);
  const auto millis = std::chrono::duration_cast<std::chrono::milliseconds>(since_epoch - secs).count();
  const auto t = static_cast<std::time_t>(secs.count());
  std::tm utc{};
  gmtime_r(&t, &utc);
  AppendPadded(dest, utc.tm_year + 1900, 4);
  dest.push_back('-');
  AppendPadded(dest, utc.tm_mon + 1, 2);
  dest.push_back('-');
  AppendPadded(dest, utc.tm_mday, 2);
  dest.push_back('T');
  AppendPadded(dest, utc.tm_hour, 2);
  dest.push_back(':');
  AppendPadded(dest, utc.tm_min, 2);
  dest.push_back(':');
  AppendPadded(dest, utc.tm_sec, 2);
  dest.push_back('.');
  AppendPadded(dest, millis, 3);
  dest.push_back('Z');
}

// "file.cc:42" from the call site (basename only), or "" when the record carries no source location.
std::string Caller(const spdlog::source_loc& source) {
  if (source.empty()) return {};
  std::string_view file = source.filename;
  if (const std::size_t slash = file.rfind('/'); slash != std::string_view::npos) {
    file.remove_prefix(slash + 1);
  }
  std::string out(file);
  out += ':';
  out += std::to_string(source.line);
  return out;
}

class LineFormatter final : public spdlog::formatter {
 public:
  explicit LineFormatter(LogFormat format) : format_(format) {}

  void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override {
    const std::string_view payload(msg.payload.data(), msg.payload.size());
    const std::string_view logger_name(msg.logger_name.data(), msg.logger_name.size());
    const std::string caller = Caller(msg.source);
    if (format_ == LogFormat::kJson) {
      Append(dest, "{\"ts\":\"");
      AppendTimestamp(dest, msg.time);
      Append(dest, "\",\"level\":\"");
      Append(dest, LevelName(msg.level));
      Append(dest, "\",\"msg\":\"");
      AppendEscaped(dest, payload);
      dest.push_back('"');
      if (!caller.empty()) {
        Append(dest, ",\"caller\":\"");
        AppendEscaped(dest, caller);
        dest.push_back('"');
      }
      if (!logger_name.empty()) {
        Append(dest, ",\"logger\":\"");
        AppendEscaped(dest, logger_name);
        dest.push_back('"');
      }
      dest.push_back('}');
    } else {
      Append(dest, "ts=");
      AppendTimestamp(dest, msg.time);
      Append(dest, " level=");
      Append(dest, LevelName(msg.level));
      Append(dest, " msg=\"");
      AppendEscaped(dest, payload);
      dest.push_back('"');
      if (!caller.empty()) {
        Append(dest, " caller=");
        AppendLogfmtValue(dest, caller);
      }
      if (!logger_name.empty()) {
        Append(dest, " logger=");
        AppendLogfmtValue(dest, logger_name);
      }
    }
    dest.push_back('\n');
  }

  [[nodiscard]] std::unique_ptr<spdlog::formatter> clone() const override {
    return std::make_unique<LineFormatter>(format_);
  }

 private:
  const LogFormat format_;
};

// The repeat limiter of the default logger (null before SetupLogging), for FlushLogSummaries().
Mutex g_limiter_mu;
std::shared_ptr<RepeatLimitSink> g_limiter GUARDED_BY(g_limiter_mu);

}  // namespace

RepeatLimitOptions DefaultRepeatLimitOptions() {
  RepeatLimitOptions o;
  // The session's state transitions ("zookeeper: session connected -> connecting"): the first line of every
  // outage and of every recovery is written at once, however often the session flaps.
  o.exempt_prefixes = {"zookeeper: session ", "SIGHUP: "};  // and what an operator asked for
  return o;
}

void FlushLogSummaries() {
  std::shared_ptr<RepeatLimitSink> limiter;
  {
    const MutexLock lock(g_limiter_mu);
    limiter = g_limiter;
  }
  if (limiter) limiter->FlushSummaries();
}

std::unique_ptr<spdlog::formatter> MakeLogFormatter(LogFormat format) {
  return std::make_unique<LineFormatter>(format);
}

Status SetupLogging(std::string_view level, std::string_view format) {
  spdlog::level::level_enum spd_level = spdlog::level::info;
  if (level == "debug") {
    spd_level = spdlog::level::debug;
  } else if (level == "info") {
    spd_level = spdlog::level::info;
  } else if (level == "warn") {
    spd_level = spdlog::level::warn;
  } else if (level == "error") {
    spd_level = spdlog::level::err;
  } else {
    return Status::InvalidArgument("unknown log level \"" + std::string(level) +
                                   "\" (want debug, info, warn or error)");
  }
  LogFormat log_format = LogFormat::kLogfmt;
  if (format == "logfmt") {
    log_format = LogFormat::kLogfmt;
  } else if (format == "json") {
    log_format = LogFormat::kJson;
  } else {
    return Status::InvalidArgument("unknown log format \"" + std::string(format) +
                                   "\" (want logfmt or json)");
  }
  try {
    auto sink = std::make_shared<spdlog::sinks::stderr_sink_mt>();
    sink->set_formatter(MakeLogFormatter(log_format));
    auto limiter = std::make_shared<RepeatLimitSink>(std::move(sink), DefaultRepeatLimitOptions());
    {
      const MutexLock lock(g_limiter_mu);
      g_limiter = limiter;
    }
    auto logger = std::make_shared<spdlog::logger>("", std::move(limiter));
    logger->set_level(spd_level);
    logger->flush_on(spdlog::level::warn);
    spdlog::set_default_logger(std::move(logger));
  } catch (const std::exception& e) {
    return Status::Internal(std::string("cannot set up logging: ") + e.what());
  }
  return Status::Ok();
}

}  // namespace zkx::exporter
