#pragma once
// TargetManager: the live targets of the multi-target endpoint (/probe), one per (target, module).
//
// A target is built from the same pieces as the static configuration: a zk::Session, the tree collector's
// background refreshers, the session and server collectors, run by its own CollectorSet. Chroots of one
// ensemble share one session (same servers, same module: same credentials and timeouts) through
// zk::ChrootReader, so the C client's two threads per handle grow with ensembles, not with chroots.
//
// Isolation: each target has its own collectors, deadlines (the scrape's, and the module's server timeout),
// walk caps (the module's subtree limits: depth, znodes, in-flight per walk, walk timeout) and in-flight cap
// on its session; a scrape reads only that target's snapshots. A dead target costs its own refresher's failed
// walks and nothing else. Targets sharing a session share its in-flight cap (module max_in_flight).
//
// Lifecycle: Acquire() creates a target on first use (refused with ResourceExhausted when max_targets live
// targets exist: counted, and logged once per minute at most); a janitor thread drops targets nobody acquired
// for idle_timeout, stopping them on the janitor thread (never on a scrape). A target in use by a scrape is
// never dropped.
//
// Collect() (the manager as a collector on /metrics): live targets and sessions, the limit, and counters of
// targets created, dropped and refused.
//
// Thread-safety: all public methods are thread-safe. Lifetime: Stop() (and the destructor) stops the janitor
// and every target; scrapes holding a target must have returned first (the HTTP server stops before).

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <prometheus/metric_family.h>

#include "base/mutex.h"
#include "base/status.h"
#include "base/thread_annotations.h"
#include "base/worker_pool.h"
#include "collectors/collector.h"
#include "collectors/collector_set.h"
#include "collectors/refresh_scheduler.h"
#include "collectors/tree_collector.h"
#include "exporter/modules_config.h"
#include "server/connect_string.h"
#include "zk/chroot_reader.h"
#include "zk/session.h"

namespace zkx::exporter {

// One session shared by the chroots of one ensemble under one module. Stops the session when destroyed.
class SharedSession {
 public:
  explicit SharedSession(std::unique_ptr<zk::Session> session) : session_(std::move(session)) {}
  ~SharedSession() { session_->Stop(); }
  SharedSession(const SharedSession&) = delete;
  SharedSession& operator=(const SharedSession&) = delete;
  [[nodiscard]] zk::Session* get() const { return session_.get(); }

 private:
  std::unique_ptr<zk::Session> session_;
};

// The threads every target runs on, so that threads do not grow with targets: one set of walk workers and
// timer, one collector pool, one server-probe pool, all elastic (a few threads while idle; more, up to a
// fixed cap, while tasks wait, so a slow target's tasks never queue another's). Each target keeps its own
// budget on them: its collectors and probes run on lanes (WorkerPool::Lane), its walks are its refreshers'.
struct TargetThreads {
  TargetThreads();
  std::shared_ptr<collectors::WalkThreads> walks;
  std::shared_ptr<WorkerPool> collectors;
  std::shared_ptr<WorkerPool> probes;
  [[nodiscard]] std::size_t Threads() const;
};

// One (target, module). Thread-safety: Scrape, Connected, Walked are thread-safe.
class ProbeTarget {
 public:
  // `threads`: the shared threads (null: the target's own, as before they were shared; for tests).
  ProbeTarget(std::string key, const server::ConnectString& target, const ModuleConfig& module,
              std::shared_ptr<SharedSession> session, const TargetThreads* threads = nullptr);
  ~ProbeTarget();  // stops its refreshers, then lets go of the session
  ProbeTarget(const ProbeTarget&) = delete;
  ProbeTarget& operator=(const ProbeTarget&) = delete;

  // This target's families (every collector's, plus collector duration/success), by `deadline`.
  // The target's collectors as exposition text, in pieces (CollectorSet::GatherText).
  std::vector<std::string> Scrape(std::chrono::steady_clock::time_point deadline);
  [[nodiscard]] bool Connected() const;
  [[nodiscard]] bool Walked() const;  // every subtree walked successfully at least once
  [[nodiscard]] const std::string& key() const { return key_; }

 private:
  friend class TargetManager;
  const std::string key_;
  std::shared_ptr<SharedSession> session_;
  std::unique_ptr<zk::ChrootReader> reader_;
  std::shared_ptr<collectors::TreeCollector> tree_;
  collectors::CollectorSet collectors_;
  std::atomic<int64_t> last_used_ns_{0};  // steady_clock, for the idle timeout
};

class TargetManager final : public collectors::Collector {
 public:
  // `static_hosts`: --zookeeper.hosts (admitted without an allow-list).
  TargetManager(MultiTargetConfig config, std::string static_hosts,
                std::chrono::milliseconds janitor_interval = std::chrono::seconds(5));
  ~TargetManager() override;
  TargetManager(const TargetManager&) = delete;
  TargetManager& operator=(const TargetManager&) = delete;

  struct Acquired {
    std::shared_ptr<ProbeTarget> target;
    bool created = false;  // this call created it (its first scrape)
  };
  // Resolves `module` ("" = the default module): InvalidArgument for an unknown module; PermissionDenied
  // when the allow-list refuses the target; ResourceExhausted when max_targets are live.
  Result<Acquired> Acquire(const server::ConnectString& target, const std::string& module);

  // Drops targets idle for longer than idle_timeout now (the janitor calls it; tests may too).
  void DropIdle() EXCLUDES(mu_);
  void Stop();

  [[nodiscard]] std::size_t LiveTargets() const;
  [[nodiscard]] std::size_t LiveSessions() const;
  // Threads running on the targets' shared pools now (walks + timer, collectors, probes).
  [[nodiscard]] std::size_t SharedThreads() const { return threads_.Threads(); }
  [[nodiscard]] const MultiTargetConfig& config() const { return config_; }

  Status Collect(std::chrono::steady_clock::time_point deadline, collectors::FamilySink out) override;

 private:
  void RunJanitor();

  const MultiTargetConfig config_;
  const std::string static_hosts_;
  // Declared before targets_: outlives every target (Stop() drops them first).
  const TargetThreads threads_;
  const std::chrono::milliseconds janitor_interval_;

  mutable Mutex mu_;
  std::map<std::string, std::shared_ptr<ProbeTarget>> targets_ GUARDED_BY(mu_);   // key: target|module
  std::map<std::string, std::weak_ptr<SharedSession>> sessions_ GUARDED_BY(mu_);  // key: servers|module
  bool stopping_ GUARDED_BY(mu_) = false;
  std::chrono::steady_clock::time_point last_limit_log_ GUARDED_BY(mu_) = {};
  std::condition_variable_any cv_;  // waits on mu_
  std::atomic<uint64_t> created_{0};
  std::atomic<uint64_t> dropped_{0};
  std::atomic<uint64_t> refused_limit_{0};
  std::thread janitor_;
};

}  // namespace zkx::exporter
