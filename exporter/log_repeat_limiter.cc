#include "exporter/log_repeat_limiter.h"

#include <algorithm>
#include <utility>

#include <spdlog/details/log_msg.h>
#include <spdlog/sinks/base_sink-inl.h>

// The definitions behind the extern template in the header (see there).
template class spdlog::sinks::base_sink<zkx::Mutex>;

namespace zkx::exporter {
namespace {
constexpr std::chrono::seconds kSweepEvery{1};
}  // namespace

std::string RepeatKey(std::string_view message) {
  std::string key;
  key.reserve(message.size());
  bool in_digits = false;
  for (char c : message) {
    const bool digit = c >= '0' && c <= '9';
    if (digit) {
      if (!in_digits) key.push_back('#');
    } else {
      key.push_back(c);
    }
    in_digits = digit;
  }
  return key;
}

RepeatLimitSink::RepeatLimitSink(std::shared_ptr<spdlog::sinks::sink> inner, RepeatLimitOptions options)
    : inner_(std::move(inner)), options_(std::move(options)) {}

RepeatLimitSink::Clock::time_point RepeatLimitSink::Now() const {
  return options_.clock ? options_.clock() : Clock::now();
}

void RepeatLimitSink::Emit(spdlog::level::level_enum level, const std::string& text) {
  spdlog::details::log_msg msg(spdlog::source_loc{}, "", level, text);
  inner_->log(msg);
}

void RepeatLimitSink::Summarise(Entry& e, Clock::time_point now) {
  const auto seconds = std::chrono::duration_cast<std::chrono::seconds>(now - e.window_start).count();
  Emit(e.level, e.latest + " (repeated " + std::to_string(e.suppressed) + " times in the last " +
                    std::to_string(seconds) + "s)");
  e.suppressed = 0;
  e.window_start = now;
  e.window = std::min(e.window * 2, options_.max_interval);
}

void RepeatLimitSink::Sweep(Clock::time_point now, bool all) {
  for (auto it = entries_.begin(); it != entries_.end();) {
    Entry& e = it->second;
    const bool expired = now >= e.window_start + e.window;
    if (e.suppressed > 0 && (expired || all)) {
      Summarise(e, now);
    } else if (expired && e.suppressed == 0) {
      it = entries_.erase(it);  // quiet for a whole window: forgotten
      continue;
    }
    ++it;
  }
}

void RepeatLimitSink::sink_it_(const spdlog::details::log_msg& msg) {
  const auto now = Now();
  if (now - last_sweep_ >= kSweepEvery) {
    last_sweep_ = now;
    Sweep(now, /*all=*/false);
  }
  const std::string_view text(msg.payload.data(), msg.payload.size());
  for (const std::string& prefix : options_.exempt_prefixes) {
    if (text.substr(0, prefix.size()) == prefix) {
      inner_->log(msg);
      return;
    }
  }
  std::string key = RepeatKey(text);
  key.push_back('\x01');
  key.push_back(static_cast<char>('0' + static_cast<int>(msg.level)));
  auto it = entries_.find(key);
  if (it == entries_.end()) {
    if (entries_.size() < options_.max_keys) {
      entries_.emplace(std::move(key), Entry{msg.level, std::string(), now, options_.interval, 0});
    }
    inner_->log(msg);
    return;
  }
  Entry& e = it->second;
  if (now < e.window_start + e.window) {
    ++e.suppressed;
    e.latest.assign(text);
    return;
  }
  // The window passed before a sweep saw it.
  if (e.suppressed > 0) {
    e.latest.assign(text);
    ++e.suppressed;
    Summarise(e, now);
  } else {
    e.window_start = now;
    e.window = options_.interval;
    inner_->log(msg);
  }
}

void RepeatLimitSink::flush_() {
  inner_->flush();
}

void RepeatLimitSink::FlushSummaries() {
  MutexLock lock(mutex_);
  Sweep(Now(), /*all=*/true);
  inner_->flush();
}

}  // namespace zkx::exporter
