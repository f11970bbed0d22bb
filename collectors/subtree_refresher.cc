#include "collectors/subtree_refresher.h"

#include <algorithm>
#include <utility>

#include <spdlog/spdlog.h>

#include "collectors/acl_audit_pass.h"

namespace zkx::collectors {
namespace {
// How often a refresher that found the session down checks whether it is back.
constexpr std::chrono::milliseconds kReconnectPoll{200};
}  // namespace

SubtreeRefresher::SubtreeRefresher(SubtreeSpec spec, zk::ZnodeReader* reader, std::function<bool()> connected,
                                   WatchBudget* budget)
    : spec_(std::move(spec)), reader_(reader), connected_(std::move(connected)), budget_(budget) {
  auto view = std::make_shared<SubtreeView>();
  view->configured_mode = spec_.refresh_mode;
  view->watch.mode = spec_.refresh_mode == RefreshMode::kWatch && budget_ != nullptr ? RefreshMode::kWatch
                                                                                     : RefreshMode::kPoll;
  view_ = std::move(view);
  if (spec_.value_rules) {
    values_ = std::make_unique<ValueTracker>(spec_.value_rules, spec_.max_znode_series,
                                             spec_.limits.max_in_flight, spec_.limits.timeout);
  }
  for (const std::string& text : spec_.znode_patterns) {
    Result<ZnodePattern> pattern = ZnodePattern::Parse(ZnodePattern::Resolve(spec_.root, text));
    if (pattern.ok()) {
      patterns_.push_back(std::move(pattern).value());
    } else {
      spdlog::warn("subtree {}: ignoring znode pattern: {}", spec_.root, pattern.status().ToString());
    }
  }
}

SubtreeRefresher::~SubtreeRefresher() {
  Stop();
}

void SubtreeRefresher::Start() {
  std::lock_guard<std::mutex> lock(mu_);
  if (thread_.joinable() || stopping_) return;
  thread_ = std::thread([this] { Run(); });
}

void SubtreeRefresher::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
    if (watch_ != nullptr) watch_->RequestStop();
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

std::shared_ptr<const SubtreeView> SubtreeRefresher::View() const {
  std::lock_guard<std::mutex> lock(mu_);
  return view_;
}

bool SubtreeRefresher::SleepUntil(std::chrono::steady_clock::time_point until) {
  std::unique_lock<std::mutex> lock(mu_);
  cv_.wait_until(lock, until, [this] { return stopping_; });
  return !stopping_;
}

void SubtreeRefresher::Run() {
  if (spec_.refresh_mode == RefreshMode::kWatch && budget_ != nullptr) {
    WatchRefresher watch(spec_, &patterns_, reader_, connected_, budget_,
                         [this](std::shared_ptr<const SubtreeSnapshot> snapshot, Status status,
                                bool full_walk, const WatchState& state) {
                           Publish(std::move(snapshot), std::move(status), full_walk, &state);
                         });
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (stopping_) return;
      watch_ = &watch;
    }
    const WatchRefresher::Outcome outcome = watch.Run();
    {
      std::lock_guard<std::mutex> lock(mu_);
      watch_ = nullptr;
      auto next = std::make_shared<SubtreeView>(*view_);
      next->watch = watch.state();
      view_ = std::move(next);
    }
    if (outcome == WatchRefresher::Outcome::kStopped) return;
  }
  RunPoll();
}

void SubtreeRefresher::RunPoll() {
  auto next_due = std::chrono::steady_clock::now();
  while (SleepUntil(next_due)) {
    if (!connected_()) {
      // Walk as soon as the session is back; a whole interval without it counts as one failed refresh.
      const auto give_up = next_due + spec_.refresh_interval;
      bool back = false;
      while (!back && std::chrono::steady_clock::now() < give_up) {
        if (!SleepUntil(std::min(give_up, std::chrono::steady_clock::now() + kReconnectPoll))) return;
        back = connected_();
      }
      if (!back) {
        Publish(nullptr, Status::Unavailable("not connected to ZooKeeper"));
        next_due = give_up;
        continue;
      }
    }
    const auto started = std::chrono::steady_clock::now();
    RefreshOnce();
    // The next walk starts one interval after this one started; a walk longer than the interval is followed
    // by the next one at once, never by a burst of catch-up walks.
    next_due = std::max(started + spec_.refresh_interval, std::chrono::steady_clock::now());
  }
}

void SubtreeRefresher::RefreshOnce() {
  SnapshotBuilder builder(spec_, &patterns_);
  AclAuditPass acl_audit(spec_);
  const zk::WalkSummary summary =
      zk::WalkSubtree(*reader_, spec_.root, spec_.limits, [&](const zk::WalkedZnode& z) {
        builder.Visit(z);
        acl_audit.Add(z.path);
        if (values_) values_->Add(z.path, *z.stat);
      });
  const auto now = std::chrono::system_clock::now();
  if (summary.status.ok() || summary.status.code() == StatusCode::kNotFound) {
    // A missing root is a fact about the tree, not a failure: publish an empty snapshot.
    SubtreeSnapshot built = std::move(builder).Finish(summary, now);
    built.acl = acl_audit.Run(*reader_);
    if (values_) built.values = values_->Finish(*reader_);
    auto snapshot = std::make_shared<const SubtreeSnapshot>(std::move(built));
    if (snapshot->truncated()) {
      spdlog::warn("subtree {}: walk truncated after {} znodes (depth cap: {}, znode cap: {}, timeout: {})",
                   spec_.root, snapshot->znodes, snapshot->truncated_depth, snapshot->truncated_znodes,
                   snapshot->truncated_timeout);
    }
    spdlog::debug("subtree {}: walked {} znodes in {:.3f}s", spec_.root, snapshot->znodes,
                  std::chrono::duration<double>(summary.duration).count());
    Publish(std::move(snapshot), Status::Ok());
  } else {
    spdlog::warn("subtree {}: walk failed: {}", spec_.root, summary.status.ToString());
    if (values_) values_->Abandon();
    Publish(nullptr, summary.status);
  }
}

void SubtreeRefresher::Publish(std::shared_ptr<const SubtreeSnapshot> snapshot, Status status, bool full_walk,
                               const WatchState* watch) {
  std::lock_guard<std::mutex> lock(mu_);
  auto next = std::make_shared<SubtreeView>(*view_);
  if (watch != nullptr) next->watch = *watch;
  if (full_walk) {
    next->last_attempt = std::chrono::system_clock::now();
    ++next->refreshes_total;
  }
  if (snapshot) {
    next->last_success = std::move(snapshot);
  } else {
    ++next->refresh_failures_total;
  }
  next->last_status = std::move(status);
  view_ = std::move(next);
}

}  // namespace zkx::collectors
