#include "collectors/collector_set.h"

#include <algorithm>
#include <condition_variable>
#include <exception>
#include <utility>

#include <spdlog/spdlog.h>

#include "base/mutex.h"
#include "base/thread_annotations.h"
#include "collectors/family_builder.h"

namespace zkx::collectors {
namespace {

// One scrape's shared state: outlives Gather() when a collector straggles past the deadline.
struct Scrape {
  struct Slot {
    CollectorSet::Piece piece;  // what the collector added
    Status status;
    double duration_seconds = 0;
    bool done = false;
  };
  Scrape(std::size_t n, bool text) : as_text(text), slots(n), remaining(n) {}
  const bool as_text;
  Mutex mu;
  std::condition_variable_any cv;  // waits on mu
  std::vector<Slot> slots GUARDED_BY(mu);
  std::size_t remaining GUARDED_BY(mu);
};

Status RunCollector(Collector& collector, std::chrono::steady_clock::time_point deadline, FamilySink out) {
  try {
    return collector.Collect(deadline, out);
  } catch (const std::exception& e) {
    return Status::Internal(std::string("collector threw: ") + e.what());
  } catch (...) {
    return Status::Internal("collector threw a non-standard exception");
  }
}

}  // namespace

CollectorSet::CollectorSet(std::shared_ptr<WorkerPool> shared) : shared_(std::move(shared)) {}

CollectorSet::~CollectorSet() {
  Stop();
}

void CollectorSet::Stop() {
  // Make sure the pool exists (or never will), then join it: stragglers finish within their deadline.
  std::call_once(pool_once_, [] {});
  if (pool_) pool_->Shutdown();
}

void CollectorSet::Add(std::string name, std::shared_ptr<Collector> collector) {
  entries_.push_back({std::move(name), std::move(collector)});
}

std::vector<std::string> CollectorSet::Names() const {
  std::vector<std::string> names;
  for (const Entry& e : entries_) names.push_back(e.name);
  return names;
}

std::vector<prometheus::MetricFamily> CollectorSet::Gather(std::chrono::steady_clock::time_point deadline) {
  std::vector<prometheus::MetricFamily> out;
  for (Piece& piece : Run(deadline, false)) {
    for (auto& f : piece.families) out.push_back(std::move(f));
  }
  return out;
}

std::vector<std::string> CollectorSet::GatherText(std::chrono::steady_clock::time_point deadline) {
  std::vector<std::string> out;
  for (Piece& piece : Run(deadline, true)) {
    for (std::string& text : piece.text) out.push_back(std::move(text));
  }
  return out;
}

std::vector<CollectorSet::Piece> CollectorSet::Run(std::chrono::steady_clock::time_point deadline,
                                                   bool as_text) {
  std::call_once(pool_once_, [this] {
    if (shared_) {
      pool_ = WorkerPool::Lane(shared_, 32 * std::max<std::size_t>(entries_.size(), 1));
      return;
    }
    const std::size_t threads = std::clamp<std::size_t>(2 * entries_.size(), 1, 32);
    // The queue holds the tasks of up to 32 concurrent scrapes (a task costs a few hundred bytes): /metrics
    // and /probe bound their concurrent scrapes themselves, and a task still queued at its deadline is
    // skipped.
    pool_ =
        std::make_unique<WorkerPool>("collector", threads, 32 * std::max<std::size_t>(entries_.size(), 1));
  });
  auto run = std::make_shared<Scrape>(entries_.size(), as_text);
  for (std::size_t i = 0; i < entries_.size(); ++i) {
    const bool accepted = pool_ && pool_->TrySubmit([run, i, deadline, collector = entries_[i].collector] {
      CollectorSet::Piece piece;
      const FamilySink sink = piece.Sink(run->as_text);
      const auto start = std::chrono::steady_clock::now();
      Status status = start < deadline ? RunCollector(*collector, deadline, sink)
                                       : Status::DeadlineExceeded("not started before the scrape deadline");
      const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      {
        MutexLock lock(run->mu);
        Scrape::Slot& slot = run->slots[i];
        slot.piece = std::move(piece);
        slot.status = std::move(status);
        slot.duration_seconds = seconds;
        slot.done = true;
        --run->remaining;
      }
      run->cv.notify_all();
    });
    if (!accepted) {
      MutexLock lock(run->mu);
      run->slots[i].status = Status::ResourceExhausted("collector workers busy or stopped: not run");
      run->slots[i].done = true;
      --run->remaining;
    }
  }

  std::vector<Piece> out;
  std::vector<CollectorResult> results;
  const auto gather_start = std::chrono::steady_clock::now();
  {
    MutexLock lock(run->mu);
    // The loop of wait_until(lock, deadline, predicate), spelled out so the analysis sees the reads under mu.
    while (run->remaining != 0 && run->cv.wait_until(run->mu, deadline) != std::cv_status::timeout) {
    }
    const auto now_wall = std::chrono::system_clock::now();
    for (std::size_t i = 0; i < entries_.size(); ++i) {
      Scrape::Slot& slot = run->slots[i];
      CollectorResult r;
      r.name = entries_[i].name;
      r.at = now_wall;
      if (!slot.done) {
        r.success = false;
        r.duration_seconds =
            std::chrono::duration<double>(std::chrono::steady_clock::now() - gather_start).count();
        r.error = "did not finish before the scrape deadline";
      } else {
        r.success = slot.status.ok();
        r.duration_seconds = slot.duration_seconds;
        if (!r.success) r.error = slot.status.ToString();
        out.push_back(std::move(slot.piece));
      }
      results.push_back(std::move(r));
    }
  }

  auto duration =
      MakeFamily("zookeeper_exporter_collector_duration_seconds",
                 "How long each collector took in the last scrape.", prometheus::MetricType::Gauge);
  auto success = MakeFamily("zookeeper_exporter_collector_success",
                            "1 if the collector succeeded in the last scrape, 0 if it failed or timed out.",
                            prometheus::MetricType::Gauge);
  for (const CollectorResult& r : results) {
    AddSample(&duration, r.duration_seconds, {{"collector", r.name}});
    AddSample(&success, r.success ? 1 : 0, {{"collector", r.name}});
    if (!r.success) spdlog::warn("collector {} failed: {}", r.name, r.error);
  }
  Piece own;
  const FamilySink sink = own.Sink(as_text);
  sink.Add(std::move(duration));
  sink.Add(std::move(success));
  out.push_back(std::move(own));

  MutexLock lock(mu_);
  last_results_ = std::move(results);
  return out;
}

std::vector<CollectorResult> CollectorSet::LastResults() const {
  MutexLock lock(mu_);
  return last_results_;
}

}  // namespace zkx::collectors
