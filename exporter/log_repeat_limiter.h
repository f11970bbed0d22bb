#pragma once
// RepeatLimitSink: an spdlog sink in front of the real one that keeps outages quiet. Each distinct message
// (its level and text with every run of digits read as one number, so "port 2181" and "port 2182" are the
// same message) is written at most once per interval:
//  - the first time it is seen, at once;
//  - while it keeps repeating, one summary line per interval, "<latest text> (repeated N times in the last
//    Ts)", and the interval doubles (from `interval` up to `max_interval`) for as long as it repeats;
//  - once it has been quiet for a whole interval, it is forgotten: the next occurrence is written at once.
// Messages starting with one of `exempt_prefixes` always pass (the session's state transitions: the first
// line of every outage and of every recovery is written at once).
// Summaries are written when due by the next log call (checked at most once a second) and by
// FlushSummaries(). At most `max_keys` messages are tracked; beyond that, new messages pass untracked.
//
// Thread-safety: spdlog's base_sink<zkx::Mutex>: every call is serialised. base_sink::log() and flush() hold
// mutex_ while they call sink_it_() and flush_() (spdlog's contract for sinks, which the analysis cannot see
// through spdlog's unannotated code, so those two overrides declare that they run with it held);
// FlushSummaries() takes it itself. The inner sink must be thread-safe (it is also called from
// FlushSummaries()).

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <spdlog/sinks/base_sink.h>

#include "base/mutex.h"
#include "base/thread_annotations.h"

// spdlog, built as a library, instantiates base_sink for its own mutex types only; log_repeat_limiter.cc
// instantiates it for zkx::Mutex (std::mutex in a wrapper that clang's thread-safety analysis can see).
extern template class spdlog::sinks::base_sink<zkx::Mutex>;

namespace zkx::exporter {

struct RepeatLimitOptions {
  std::chrono::milliseconds interval{60000};
  std::chrono::milliseconds max_interval{600000};
  std::size_t max_keys = 4096;
  std::vector<std::string> exempt_prefixes;
  std::function<std::chrono::steady_clock::time_point()> clock;  // null: steady_clock::now (tests inject)
};

// The message with each run of ASCII digits replaced by one '#': the identity of a "distinct" message.
std::string RepeatKey(std::string_view message);

class RepeatLimitSink final : public spdlog::sinks::base_sink<Mutex> {
 public:
  RepeatLimitSink(std::shared_ptr<spdlog::sinks::sink> inner, RepeatLimitOptions options);

  // Writes the summary of every message suppressed since its last line (at shutdown).
  void FlushSummaries() EXCLUDES(mutex_);

 protected:
  // Called by base_sink::log() and flush() with mutex_ held.
  void sink_it_(const spdlog::details::log_msg& msg) REQUIRES(mutex_) override;
  void flush_() REQUIRES(mutex_) override;

 private:
  using Clock = std::chrono::steady_clock;
  struct Entry {
    spdlog::level::level_enum level;
    std::string latest;  // the latest suppressed text (for the summary)
    Clock::time_point window_start;
    std::chrono::milliseconds window;
    uint64_t suppressed = 0;
  };
  Clock::time_point Now() const;
  void Emit(spdlog::level::level_enum level, const std::string& text);
  void Summarise(Entry& e, Clock::time_point now) REQUIRES(mutex_);
  void Sweep(Clock::time_point now, bool all) REQUIRES(mutex_);

  const std::shared_ptr<spdlog::sinks::sink> inner_;
  const RepeatLimitOptions options_;
  std::unordered_map<std::string, Entry> entries_ GUARDED_BY(mutex_);  // base_sink::mutex_
  Clock::time_point last_sweep_ GUARDED_BY(mutex_) = {};
};

}  // namespace zkx::exporter
