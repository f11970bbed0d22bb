#include "collectors/subtree_refresher.h"

#include <algorithm>
#include <condition_variable>
#include <functional>
#include <optional>
#include <string>
#include <utility>

#include <spdlog/spdlog.h>

#include "base/mutex.h"
#include "base/thread_annotations.h"
#include "collectors/poll_walk.h"
#include "collectors/value_tracker.h"

namespace zkx::collectors {
namespace {

// What View() shows before the first walk.
std::shared_ptr<const SubtreeView> InitialView(const SubtreeSpec& spec, const WatchBudget* budget) {
  auto view = std::make_shared<SubtreeView>();
  view->configured_mode = spec.refresh_mode;
  view->watch.mode = spec.refresh_mode == RefreshMode::kWatch && budget != nullptr ? RefreshMode::kWatch
                                                                                   : RefreshMode::kPoll;
  return view;
}

// `f`, or `fallback` when `f` is empty.
std::function<bool()> OrElse(std::function<bool()> f, const std::function<bool()>& fallback) {
  if (f) return f;
  return fallback;
}

}  // namespace

struct SubtreeRefresher::Core final : RoundWalker, std::enable_shared_from_this<Core> {
  Core(SubtreeSpec s, zk::ZnodeReader* r, std::function<bool()> c, WatchBudget* b, RefreshScheduler* sch,
       WatchSessions w)
      : spec(std::move(s)),
        reader(r),
        connected(std::move(c)),
        watch_reader(w.reader != nullptr ? w.reader : r),
        watch_connected(OrElse(std::move(w.connected), connected)),
        budget(b),
        scheduler(sch),
        view(InitialView(spec, budget)) {}
  using Clock = std::chrono::steady_clock;

  // Poll mode: the walk due at `due` runs in a round of the scheduler's (JoinRoundAt) with the other walks
  // due about then. BeginWalk starts it (or, when the session is down, waits for it); EndWalk publishes.
  std::optional<zk::WalkJob> BeginWalk() override EXCLUDES(mu);
  void EndWalk(zk::WalkSummary summary) override EXCLUDES(mu);
  void AfterWait(bool up, Clock::time_point give_up) EXCLUDES(mu);
  // Marks a task running; false when stopping (the task then does nothing).
  bool Enter() EXCLUDES(mu);
  // Marks it done and, unless stopping, schedules the next walk at `next` (under the lock, so that Stop()
  // cannot return in between and let the scheduler go away).
  void Leave(Clock::time_point next) EXCLUDES(mu);
  // Unless stopping, schedules the walk due at `next`.
  void ScheduleLocked(Clock::time_point next) REQUIRES(mu);
  // `full_walk`: counts as a refresh attempt. `watch`: the watch-mode state to show (null: keep it).
  void Publish(std::shared_ptr<const SubtreeSnapshot> snapshot, Status status, bool full_walk = true,
               const WatchState* watch_state = nullptr) EXCLUDES(mu);

  const SubtreeSpec spec;
  std::vector<ZnodePattern> patterns;  // written only by the constructor
  zk::ZnodeReader* const reader;
  const std::function<bool()> connected;
  zk::ZnodeReader* const watch_reader;          // watch mode's reads (the watch sessions)
  const std::function<bool()> watch_connected;  // every watch session connected
  WatchBudget* const budget;
  RefreshScheduler* const scheduler;

  Mutex mu;
  std::condition_variable_any cv;         // signalled when a task finishes; waits on mu
  bool start_ran GUARDED_BY(mu) = false;  // Start() was called
  bool stopping GUARDED_BY(mu) = false;
  bool busy GUARDED_BY(mu) = false;      // a task is running on a worker
  Clock::time_point due GUARDED_BY(mu);  // of the poll walk scheduled
  std::function<void(WatchRefresher::OnStop)> stop_watch
      GUARDED_BY(mu);                                      // stops the watch loop while it runs
  std::shared_ptr<const SubtreeView> view GUARDED_BY(mu);  // replaced, never mutated
  // Between BeginWalk and EndWalk (busy): the poll walk in progress and when it started. Tasks never
  // overlap, so only the worker running the task touches them.
  std::unique_ptr<PollWalk> walk;
  Clock::time_point walk_started;
  // Value rules: data reads for the znodes a rule needs. Used by one walk at a time (tasks never overlap).
  std::unique_ptr<ValueTracker> values;
};

SubtreeRefresher::SubtreeRefresher(SubtreeSpec spec, zk::ZnodeReader* reader, std::function<bool()> connected,
                                   WatchBudget* budget, RefreshScheduler* scheduler, WatchSessions watch) {
  if (scheduler == nullptr) {
    own_scheduler_ = std::make_unique<RefreshScheduler>(connected, 1);
    scheduler = own_scheduler_.get();
  }
  core_ = std::make_shared<Core>(std::move(spec), reader, std::move(connected), budget, scheduler,
                                 std::move(watch));
  Core& c = *core_;
  if (c.spec.value_rules) {
    c.values = std::make_unique<ValueTracker>(c.spec.value_rules, c.spec.max_znode_series,
                                              c.spec.limits.max_in_flight, c.spec.limits.timeout);
  }
  for (const std::string& text : c.spec.znode_patterns) {
    Result<ZnodePattern> pattern = ZnodePattern::Parse(ZnodePattern::Resolve(c.spec.root, text));
    if (pattern.ok()) {
      c.patterns.push_back(std::move(pattern).value());
    } else {
      spdlog::warn("subtree {}: ignoring znode pattern: {}", c.spec.root, pattern.status().ToString());
    }
  }
}

SubtreeRefresher::~SubtreeRefresher() {
  Stop();
}

const SubtreeSpec& SubtreeRefresher::spec() const {
  return core_->spec;
}

void SubtreeRefresher::Start() {
  Core& c = *core_;
  MutexLock join_lock(join_mu_);
  MutexLock lock(c.mu);
  if (c.start_ran || c.stopping) return;
  c.start_ran = true;
  if (c.spec.refresh_mode == RefreshMode::kWatch && c.budget != nullptr) {
    watch_thread_ = std::thread([this] { RunWatch(); });
  } else {
    c.ScheduleLocked(Core::Clock::now());
  }
}

void SubtreeRefresher::Stop() {
  StopAnd(WatchRefresher::OnStop::kKeepWatches);
}

void SubtreeRefresher::Retire() {
  StopAnd(WatchRefresher::OnStop::kRemoveWatches);
}

void SubtreeRefresher::StopAnd(WatchRefresher::OnStop on_stop) {
  Core& c = *core_;
  {
    MutexLock lock(c.mu);
    c.stopping = true;
    if (c.stop_watch) c.stop_watch(on_stop);
    while (c.busy) c.cv.wait(c.mu);
  }
  // A second, concurrent Stop() waits here until the first has joined: neither returns while RunWatch runs.
  MutexLock join_lock(join_mu_);
  if (watch_thread_.joinable()) watch_thread_.join();
}

std::shared_ptr<const SubtreeView> SubtreeRefresher::View() const {
  MutexLock lock(core_->mu);
  return core_->view;
}

void SubtreeRefresher::RunWatch() {
  Core& c = *core_;
  // The watch refresher talks back only through what it is given: a publish function and, the other way,
  // a stop function that holds its inbox (not the refresher itself).
  WatchRefresher watch(c.spec, &c.patterns, c.watch_reader, c.watch_connected, c.budget,
                       [core = core_](std::shared_ptr<const SubtreeSnapshot> snapshot, Status status,
                                      bool full_walk, const WatchState& state) {
                         core->Publish(std::move(snapshot), std::move(status), full_walk, &state);
                       });
  {
    MutexLock lock(c.mu);
    if (c.stopping) return;
    c.stop_watch = watch.StopFunction();
  }
  const WatchRefresher::Outcome outcome = watch.Run();
  MutexLock lock(c.mu);
  c.stop_watch = nullptr;
  auto next = std::make_shared<SubtreeView>(*c.view);
  next->watch = watch.state();
  c.view = std::move(next);
  // After a fallback, poll mode on the shared workers; this thread ends (Stop() joins it). The first poll
  // walk is due at once, or one interval after the sizing walk whose snapshot the fallback published.
  if (outcome != WatchRefresher::Outcome::kStopped) c.ScheduleLocked(watch.first_poll_due());
}

void SubtreeRefresher::Core::ScheduleLocked(Clock::time_point next) {
  if (stopping) return;
  due = next;
  scheduler->JoinRoundAt(next, spec.refresh_interval, shared_from_this());
}

bool SubtreeRefresher::Core::Enter() {
  MutexLock lock(mu);
  if (stopping) return false;
  busy = true;
  return true;
}

void SubtreeRefresher::Core::Leave(Clock::time_point next) {
  {
    MutexLock lock(mu);
    busy = false;
    ScheduleLocked(next);
  }
  cv.notify_all();
}

std::optional<zk::WalkJob> SubtreeRefresher::Core::BeginWalk() {
  Clock::time_point due_at;
  {
    MutexLock lock(mu);
    if (stopping) return std::nullopt;
    busy = true;
    due_at = due;
  }
  if (!connected()) {
    // Walk as soon as the session is back; a whole interval without it counts as one failed refresh.
    const auto give_up = due_at + spec.refresh_interval;
    {
      MutexLock lock(mu);
      busy = false;
      if (!stopping) {
        scheduler->WhenConnected(
            give_up, [self = shared_from_this(), give_up](bool up) { self->AfterWait(up, give_up); });
      }
    }
    cv.notify_all();
    return std::nullopt;
  }
  walk_started = Clock::now();
  walk = std::make_unique<PollWalk>(spec, &patterns, *reader, values.get());
  return walk->Job();
}

void SubtreeRefresher::Core::EndWalk(zk::WalkSummary summary) {
  walk->Walked(std::move(summary));
  const zk::WalkSummary& walked = walk->summary();
  std::shared_ptr<const SubtreeSnapshot> snapshot = walk->Finish();
  if (snapshot) {
    // A missing root is a fact about the tree, not a failure: an empty snapshot.
    if (snapshot->truncated()) {
      spdlog::warn("subtree {}: walk truncated after {} znodes (depth cap: {}, znode cap: {}, timeout: {})",
                   spec.root, snapshot->znodes, snapshot->truncated_depth, snapshot->truncated_znodes,
                   snapshot->truncated_timeout);
    }
    spdlog::debug("subtree {}: walked {} znodes in {:.3f}s", spec.root, snapshot->znodes,
                  std::chrono::duration<double>(walked.duration).count());
    Publish(std::move(snapshot), Status::Ok());
  } else {
    spdlog::warn("subtree {}: walk failed: {}", spec.root, walked.status.ToString());
    Publish(nullptr, walked.status);
  }
  walk.reset();
  // The next walk is due on this subtree's grid, about one interval after this one started.
  Leave(RefreshScheduler::NextOnGrid(walk_started, spec.refresh_interval, std::hash<std::string>{}(spec.root),
                                     Clock::now()));
}

void SubtreeRefresher::Core::AfterWait(bool up, Clock::time_point give_up) {
  if (!Enter()) return;
  if (!up) {
    Publish(nullptr, Status::Unavailable("not connected to ZooKeeper"));
    Leave(give_up);  // due again at once: waits one more interval for the session
    return;
  }
  Leave(Clock::now());  // the session is back: walks in the next round
}

void SubtreeRefresher::Core::Publish(std::shared_ptr<const SubtreeSnapshot> snapshot, Status status,
                                     bool full_walk, const WatchState* watch_state) {
  MutexLock lock(mu);
  auto next = std::make_shared<SubtreeView>(*view);
  if (watch_state != nullptr) next->watch = *watch_state;
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
  view = std::move(next);
}

}  // namespace zkx::collectors
