#pragma once
// ProbeCollector ("canary", formerly "probe"; off by default): a synthetic write canary of the ensemble.
//
// Every interval a background thread runs create -> set -> get -> delete on one ephemeral znode,
// <parent>/<node name>, through the zk::ZnodeWriter seam:
//   create  the ephemeral znode with a payload unique to the run;
//   set     new data (another unique payload);
//   get     the data back: the op fails unless it equals what `set` wrote (a session reads its own writes);
//   delete  the znode.
// Each op has its own timeout. An op that fails (error reply, wrong data, or no reply in time) ends the run:
// the later ops are not run — their success is 0 for that run, but they are not counted as failures and no
// latency is observed for them. Only the op that failed counts in failures_total.
// The parent (and any missing ancestor) is created as a persistent, empty znode the first time, and again
// after a create found it missing; it is never deleted. Its ACL is the session's (see zk::Session::Create).
// Leftovers: when a run ends with the znode possibly still there (a failed set/get/delete, or a create whose
// outcome is unknown: timeout, connection loss), it is deleted at once (bounded by the op timeout, not
// counted as an op) and, if that fails, again at the start of the next run. Being ephemeral, it also goes
// with the exporter's session.
//
// Metrics (built at scrape time from the snapshot of the last finished run):
//   zookeeper_probe_success{operation}              1 if the op ran and succeeded in the last run, else 0
//   zookeeper_probe_duration_seconds{operation}     histogram of successful ops' latencies
//   zookeeper_probe_failures_total{operation}       ops that ran and failed
//   zookeeper_probe_runs_total                      runs finished
//   zookeeper_probe_last_run_timestamp_seconds      when the last run finished
// success and last_run_timestamp appear after the first run.
//
// Startup: the first run waits (at most one interval) until `connected` says the session is up, so that an
// exporter starting before its session connects does not count a failure; after that a session that is down
// makes runs fail.
//
// Threads: one background thread (Start/Stop); callbacks of the writer only touch a per-request shared
// waiter. Collect() only copies a shared_ptr to an immutable snapshot: it never waits on ZooKeeper.
// Thread-safety: all public methods are thread-safe.
// Lifetime: `writer` and `connected` must outlive the collector's thread (Stop() it first). Stop() joins
// promptly: it interrupts the wait for a reply; only a writer call blocked on its in-flight cap can delay it
// (the session bounds that).

#include <array>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "base/mutex.h"
#include "base/status.h"
#include "base/thread_annotations.h"
#include "collectors/collector.h"
#include "zk/znode_writer.h"

namespace zkx::collectors {

enum class ProbeOp { kCreate = 0, kSet = 1, kGet = 2, kDelete = 3 };
inline constexpr std::array<ProbeOp, 4> kProbeOps = {ProbeOp::kCreate, ProbeOp::kSet, ProbeOp::kGet,
                                                     ProbeOp::kDelete};
// "create", "set", "get", "delete" (the `operation` label).
std::string_view ProbeOpName(ProbeOp op);

// Upper bounds (seconds) of zookeeper_probe_duration_seconds' buckets, +Inf implied: sub-millisecond on a
// quiet loopback ensemble, tens of ms across zones, seconds when the leader is struggling.
inline constexpr std::array<double, 14> kProbeBuckets = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1,
                                                         0.25,  0.5,    1,     2.5,  5,     7.5,  10};

struct ProbeOptions {
  std::string parent = "/zookeeper_exporter_probe";  // absolute znode path (ValidateProbeParent)
  std::string node_name;                             // "" = DefaultProbeNodeName()
  std::chrono::milliseconds interval{15000};         // from the start of one run to the start of the next
  std::chrono::milliseconds timeout{5000};           // per op
};

struct ProbeOpStats {
  bool last_success = false;  // ran and succeeded in the last run
  uint64_t failures_total = 0;
  // Observations of successful ops: per bucket (not cumulative; the last is the +Inf overflow), count, sum.
  std::array<uint64_t, kProbeBuckets.size() + 1> buckets{};
  uint64_t count = 0;
  double sum_seconds = 0;

  void Observe(double seconds);
};

struct ProbeSnapshot {
  uint64_t runs_total = 0;
  std::chrono::system_clock::time_point last_run{};     // zero before the first run
  std::array<ProbeOpStats, kProbeOps.size()> ops{};     // indexed by ProbeOp
  Status last_status;                                   // the last run's first failure (OK if none)
  std::array<double, kProbeOps.size()> last_seconds{};  // the last run's op latencies (0 if not run)
};

class ProbeCollector final : public Collector {
 public:
  // `connected`: whether the writer's session is up (only consulted before the first run); null = always.
  ProbeCollector(zk::ZnodeWriter* writer, ProbeOptions options, std::function<bool()> connected = nullptr);
  ~ProbeCollector() override;  // Stop()
  ProbeCollector(const ProbeCollector&) = delete;
  ProbeCollector& operator=(const ProbeCollector&) = delete;

  // Starts the background thread; the first run starts at once. Idempotent; no restart after Stop().
  void Start();
  // Interrupts the run in progress (no snapshot is published for it) and joins the thread. Idempotent.
  void Stop();

  [[nodiscard]] std::shared_ptr<const ProbeSnapshot> Snapshot() const;
  // <parent>/<node name>.
  [[nodiscard]] const std::string& node_path() const { return node_path_; }

  Status Collect(std::chrono::steady_clock::time_point deadline, FamilySink out) override;

  struct Waiter;  // one request's reply, shared with the writer's callback (defined in the .cc)

 private:
  struct Reply {
    Status status;
    std::string data;
    std::chrono::steady_clock::duration elapsed{};
  };
  void Run();
  bool SleepUntil(std::chrono::steady_clock::time_point until);
  void RunOnce();
  // Issues one request with `issue` and waits for its reply, the timeout, or Stop().
  template <typename Issue>
  Reply Await(Issue&& issue);
  Status EnsureParent();
  // Deletes the probe znode (missing is fine). Returns true when it is known to be gone.
  bool CleanUp();
  [[nodiscard]] bool stopping() const;

  zk::ZnodeWriter* const writer_;
  const ProbeOptions options_;
  const std::function<bool()> connected_;
  const std::string node_path_;

  // The run thread's own state.
  ProbeSnapshot stats_;
  bool parent_ready_ = false;
  bool leftover_ = false;  // the znode may still exist after the last run
  uint64_t run_number_ = 0;

  mutable Mutex mu_;
  std::condition_variable_any cv_;  // Stop(); waits on mu_
  bool started_ GUARDED_BY(mu_) = false;
  bool stopping_ GUARDED_BY(mu_) = false;
  std::shared_ptr<Waiter> current_ GUARDED_BY(mu_);                // the request being waited for
  std::shared_ptr<const ProbeSnapshot> snapshot_ GUARDED_BY(mu_);  // replaced, never mutated
  // Start() and Stop() hold join_mu_ (before mu_) around thread_, so concurrent Stop()s join it once.
  Mutex join_mu_;
  std::thread thread_ GUARDED_BY(join_mu_);
};

// The families for one snapshot (pure; unit-tested).
std::vector<prometheus::MetricFamily> BuildProbeFamilies(const ProbeSnapshot& snapshot);

// "<hostname>-<pid>-<8 random hex digits>", every character outside [A-Za-z0-9._-] replaced by '_': unique
// per exporter instance, even across restarts with the same pid (containers), so that a previous instance's
// ephemeral znode (alive until its session expires) never collides with ours.
std::string DefaultProbeNodeName();

// An absolute znode path: starts with '/', no empty, "." or ".." component, no trailing '/', no control
// characters, not "/" itself and not under the reserved /zookeeper. InvalidArgument naming the problem.
Status ValidateProbeParent(const std::string& path);

}  // namespace zkx::collectors
