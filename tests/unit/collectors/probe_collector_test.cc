// ProbeCollector against an in-memory ZnodeWriter: the run sequence, failure semantics, timeouts, cleanup of
// leftovers, prompt Stop, and the families it exports.
#include "collectors/probe_collector.h"

#include <atomic>
#include <cctype>
#include <chrono>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>

#include <gtest/gtest.h>
#include <prometheus/text_serializer.h>
#include <unistd.h>

namespace zkx::collectors {
namespace {

using std::chrono::milliseconds;

// An in-memory ensemble behind the ZnodeWriter seam. Replies on the caller's thread (allowed by the contract)
// unless told to fail or to hold the reply of an op. Thread-safe.
class FakeWriter final : public zk::ZnodeWriter {
 public:
  enum class Op { kCreate, kSet, kGet, kDelete };
  struct Node {
    std::string data;
    int32_t version = 0;
    bool ephemeral = false;
  };

  void Create(const std::string& path, std::string data, zk::CreateMode mode,
              zk::CreateCallback done) override {
    std::unique_lock<std::mutex> lock(mu_);
    ++calls_[Op::kCreate];
    if (Intercept(Op::kCreate, lock, [done](Status s) { done(std::move(s), {}); })) return;
    Status s;
    const std::string parent = path.substr(0, std::max<std::size_t>(1, path.rfind('/')));
    if (nodes_.count(path) != 0) {
      s = Status::AlreadyExists(path);
    } else if (parent != "/" && nodes_.count(parent) == 0) {
      s = Status::NotFound(path);
    } else {
      nodes_[path] = Node{std::move(data), 0, mode == zk::CreateMode::kEphemeral};
    }
    lock.unlock();
    done(s, s.ok() ? path : std::string());
  }
  void SetData(const std::string& path, std::string data, int32_t version,
               zk::SetDataCallback done) override {
    std::unique_lock<std::mutex> lock(mu_);
    ++calls_[Op::kSet];
    if (Intercept(Op::kSet, lock, [done](Status s) { done(std::move(s), {}); })) return;
    Status s;
    zk::ZnodeStat stat;
    auto it = nodes_.find(path);
    if (it == nodes_.end()) {
      s = Status::NotFound(path);
    } else if (version != zk::kAnyVersion && version != it->second.version) {
      s = Status::FailedPrecondition(path);
    } else {
      it->second.data = std::move(data);
      stat.version = ++it->second.version;
    }
    lock.unlock();
    done(s, stat);
  }
  void GetData(const std::string& path, zk::GetDataCallback done) override {
    std::unique_lock<std::mutex> lock(mu_);
    ++calls_[Op::kGet];
    if (Intercept(Op::kGet, lock, [done](Status s) { done(std::move(s), {}, {}); })) return;
    auto it = nodes_.find(path);
    Status s = it == nodes_.end() ? Status::NotFound(path) : Status::Ok();
    std::string data = s.ok() ? it->second.data + (corrupt_reads_ ? "?" : "") : "";
    lock.unlock();
    done(s, data, {});
  }
  void Delete(const std::string& path, int32_t /*version*/, zk::DeleteCallback done) override {
    std::unique_lock<std::mutex> lock(mu_);
    ++calls_[Op::kDelete];
    if (Intercept(Op::kDelete, lock, [done](Status s) { done(std::move(s)); })) return;
    const Status s = nodes_.erase(path) == 1 ? Status::Ok() : Status::NotFound(path);
    lock.unlock();
    done(s);
  }

  // The next `times` requests of `op` fail with `status` (or, for kDeadlineExceeded, are held: no reply).
  void FailNext(Op op, Status status, int times = 1) {
    std::lock_guard<std::mutex> lock(mu_);
    failures_[op] = {std::move(status), times};
  }
  void CorruptReads(bool on) {
    std::lock_guard<std::mutex> lock(mu_);
    corrupt_reads_ = on;
  }
  // Replies to every held request (late, after the prober gave up) with `status`.
  void ReleaseHeld(const Status& status) {
    std::vector<std::function<void(Status)>> held;
    {
      std::lock_guard<std::mutex> lock(mu_);
      held.swap(held_);
    }
    for (auto& f : held) f(status);
  }
  std::size_t Held() const {
    std::lock_guard<std::mutex> lock(mu_);
    return held_.size();
  }
  std::optional<Node> Get(const std::string& path) const {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = nodes_.find(path);
    if (it == nodes_.end()) return std::nullopt;
    return it->second;
  }
  void Put(const std::string& path, Node node) {
    std::lock_guard<std::mutex> lock(mu_);
    nodes_[path] = std::move(node);
  }
  void Erase(const std::string& path) {
    std::lock_guard<std::mutex> lock(mu_);
    nodes_.erase(path);
  }
  int Calls(Op op) const {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = calls_.find(op);
    return it == calls_.end() ? 0 : it->second;
  }

 private:
  // True if the request was failed or held (mu_ released before any callback).
  bool Intercept(Op op, std::unique_lock<std::mutex>& lock, std::function<void(Status)> fail) {
    auto it = failures_.find(op);
    if (it == failures_.end() || it->second.second <= 0) return false;
    Status s = it->second.first;
    if (--it->second.second == 0) failures_.erase(it);
    if (s.code() == StatusCode::kDeadlineExceeded) {
      held_.push_back(std::move(fail));
      return true;
    }
    lock.unlock();
    fail(std::move(s));
    return true;
  }

  mutable std::mutex mu_;
  std::map<std::string, Node> nodes_;
  std::map<Op, std::pair<Status, int>> failures_;
  std::map<Op, int> calls_;
  std::vector<std::function<void(Status)>> held_;
  bool corrupt_reads_ = false;
};

ProbeOptions FastOptions() {
  ProbeOptions o;
  o.parent = "/probe/parent";
  o.node_name = "node";
  o.interval = milliseconds(20);
  o.timeout = milliseconds(200);
  return o;
}

// Waits until the collector has published at least `runs` runs; returns the snapshot.
std::shared_ptr<const ProbeSnapshot> WaitForRuns(const ProbeCollector& c, uint64_t runs,
                                                 milliseconds timeout = milliseconds(10000)) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  auto s = c.Snapshot();
  while (s->runs_total < runs && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(milliseconds(2));
    s = c.Snapshot();
  }
  EXPECT_GE(s->runs_total, runs);
  return s;
}

const ProbeOpStats& Op(const ProbeSnapshot& s, ProbeOp op) {
  return s.ops[static_cast<std::size_t>(op)];
}

TEST(ProbeCollectorTest, SuccessfulRunsCreateSetGetDelete) {
  FakeWriter fake;
  ProbeCollector probe(&fake, FastOptions());
  EXPECT_EQ(probe.node_path(), "/probe/parent/node");
  probe.Start();
  auto s = WaitForRuns(probe, 3);
  probe.Stop();
  for (const ProbeOp op : kProbeOps) {
    EXPECT_TRUE(Op(*s, op).last_success) << ProbeOpName(op);
    EXPECT_EQ(Op(*s, op).failures_total, 0u);
    EXPECT_EQ(Op(*s, op).count, s->runs_total);
  }
  EXPECT_TRUE(s->last_status.ok());
  EXPECT_NE(s->last_run, std::chrono::system_clock::time_point{});
  // The parent chain was created once, persistent; the probe znode is gone after each run.
  ASSERT_TRUE(fake.Get("/probe").has_value());
  ASSERT_TRUE(fake.Get("/probe/parent").has_value());
  EXPECT_FALSE(fake.Get("/probe/parent")->ephemeral);
  EXPECT_FALSE(fake.Get("/probe/parent/node").has_value());
  EXPECT_EQ(fake.Calls(FakeWriter::Op::kCreate), static_cast<int>(2 + probe.Snapshot()->runs_total));
}

TEST(ProbeCollectorTest, CreatesAnEphemeralAndReadsBackWhatItSet) {
  FakeWriter fake;
  // The delete and the cleanup after it fail: the znode stays for us to look at.
  fake.FailNext(FakeWriter::Op::kDelete, Status::Unavailable("down"), 2);
  ProbeOptions o = FastOptions();
  o.interval = milliseconds(60000);  // exactly one run
  ProbeCollector probe(&fake, o);
  probe.Start();
  auto s = WaitForRuns(probe, 1);
  probe.Stop();
  EXPECT_TRUE(Op(*s, ProbeOp::kGet).last_success);
  EXPECT_FALSE(Op(*s, ProbeOp::kDelete).last_success);
  EXPECT_EQ(Op(*s, ProbeOp::kDelete).failures_total, 1u);
  EXPECT_EQ(fake.Calls(FakeWriter::Op::kDelete), 2);
  const std::optional<FakeWriter::Node> node = fake.Get("/probe/parent/node");
  ASSERT_TRUE(node.has_value());
  EXPECT_TRUE(node->ephemeral);
  EXPECT_EQ(node->version, 1);
  EXPECT_EQ(node->data.rfind("zookeeper_exporter probe /probe/parent/node run 1 set at ", 0), 0u)
      << node->data;
}

TEST(ProbeCollectorTest, FailedOpEndsTheRunAndLeftoverIsDeleted) {
  FakeWriter fake;
  fake.FailNext(FakeWriter::Op::kSet, Status::Unavailable("connection loss"));
  ProbeCollector probe(&fake, FastOptions());
  probe.Start();
  auto s = WaitForRuns(probe, 1);
  probe.Stop();
  s = probe.Snapshot();
  // Only the first run failed; look at the counters rather than the last run.
  EXPECT_EQ(Op(*s, ProbeOp::kSet).failures_total, 1u);
  EXPECT_EQ(Op(*s, ProbeOp::kCreate).failures_total, 0u);
  EXPECT_EQ(Op(*s, ProbeOp::kGet).failures_total, 0u);     // not run: not a failure
  EXPECT_EQ(Op(*s, ProbeOp::kDelete).failures_total, 0u);  // not run: not a failure
  EXPECT_EQ(Op(*s, ProbeOp::kCreate).count, s->runs_total);
  EXPECT_EQ(Op(*s, ProbeOp::kGet).count, s->runs_total - 1);  // no latency for ops not run
  EXPECT_FALSE(fake.Get("/probe/parent/node").has_value());   // the cleanup deleted it
}

TEST(ProbeCollectorTest, LastRunShowsWhichOpsDidNotRun) {
  FakeWriter fake;
  ProbeOptions o = FastOptions();
  o.interval = milliseconds(60000);  // exactly one run
  fake.FailNext(FakeWriter::Op::kSet, Status::PermissionDenied("no auth"));
  ProbeCollector probe(&fake, o);
  probe.Start();
  auto s = WaitForRuns(probe, 1);
  probe.Stop();
  EXPECT_EQ(s->runs_total, 1u);
  EXPECT_TRUE(Op(*s, ProbeOp::kCreate).last_success);
  EXPECT_FALSE(Op(*s, ProbeOp::kSet).last_success);
  EXPECT_FALSE(Op(*s, ProbeOp::kGet).last_success);
  EXPECT_FALSE(Op(*s, ProbeOp::kDelete).last_success);
  EXPECT_EQ(s->last_status.code(), StatusCode::kPermissionDenied);
  EXPECT_NE(s->last_status.message().find("set /probe/parent/node"), std::string::npos)
      << s->last_status.message();
  EXPECT_GT(s->last_seconds[0], 0.0);
  EXPECT_EQ(s->last_seconds[2], 0.0);
}

TEST(ProbeCollectorTest, WrongDataReadBackFailsGet) {
  FakeWriter fake;
  fake.CorruptReads(true);
  ProbeOptions o = FastOptions();
  o.interval = milliseconds(60000);
  ProbeCollector probe(&fake, o);
  probe.Start();
  auto s = WaitForRuns(probe, 1);
  probe.Stop();
  EXPECT_FALSE(Op(*s, ProbeOp::kGet).last_success);
  EXPECT_EQ(Op(*s, ProbeOp::kGet).failures_total, 1u);
  EXPECT_EQ(s->last_status.code(), StatusCode::kInternal);
  EXPECT_FALSE(fake.Get("/probe/parent/node").has_value());
}

TEST(ProbeCollectorTest, TimeoutFailsTheOpAndLateRepliesAreHarmless) {
  FakeWriter fake;
  ProbeOptions o = FastOptions();
  o.timeout = milliseconds(50);
  // The parents exist; the probe's first create gets no reply.
  fake.Put("/probe", {});
  fake.Put("/probe/parent", {});
  fake.FailNext(FakeWriter::Op::kCreate, Status::DeadlineExceeded("held"));
  {
    ProbeCollector probe(&fake, o);
    probe.Start();
    auto s = WaitForRuns(probe, 1);
    EXPECT_EQ(Op(*s, ProbeOp::kCreate).failures_total, 1u);
    WaitForRuns(probe, 3);  // later runs succeed
    EXPECT_TRUE(Op(*probe.Snapshot(), ProbeOp::kDelete).last_success);
    EXPECT_EQ(Op(*probe.Snapshot(), ProbeOp::kCreate).failures_total, 1u);
    probe.Stop();
  }
  EXPECT_GE(fake.Held(), 1u);
  fake.ReleaseHeld(Status::Ok());  // after the collector is gone: touches only the shared waiter
}

TEST(ProbeCollectorTest, StopInterruptsAWaitPromptly) {
  FakeWriter fake;
  ProbeOptions o = FastOptions();
  o.timeout = milliseconds(60000);
  fake.FailNext(FakeWriter::Op::kCreate, Status::DeadlineExceeded("held"));
  ProbeCollector probe(&fake, o);
  probe.Start();
  ASSERT_TRUE([&] {
    for (int i = 0; i < 5000 && fake.Held() == 0; ++i) std::this_thread::sleep_for(milliseconds(1));
    return fake.Held() == 1;
  }());
  const auto t0 = std::chrono::steady_clock::now();
  probe.Stop();
  EXPECT_LT(std::chrono::steady_clock::now() - t0, milliseconds(1000));
  EXPECT_EQ(probe.Snapshot()->runs_total, 0u);  // the interrupted run is not published
  fake.ReleaseHeld(Status::Ok());
}

// Stop() from two threads at once (a shutdown path and the destructor, say): the thread is joined exactly
// once and both calls return. Unsynchronised, both could see the thread joinable and join it twice (a data
// race on thread_ for TSan; std::system_error, or worse, without it).
TEST(ProbeCollectorTest, ConcurrentStopsJoinTheThreadOnce) {
  for (int i = 0; i < 50; ++i) {
    FakeWriter fake;
    ProbeCollector probe(&fake, FastOptions());
    probe.Start();
    std::atomic<bool> go{false};
    auto stop = [&] {
      while (!go.load()) std::this_thread::yield();
      probe.Stop();
    };
    std::thread first(stop);
    std::thread second(stop);
    go.store(true);
    first.join();
    second.join();
    fake.ReleaseHeld(Status::Ok());
  }
}

TEST(ProbeCollectorTest, ExistingNodeIsCleanedUpAndParentRecreated) {
  FakeWriter fake;
  fake.Put("/probe", {});
  fake.Put("/probe/parent", {});
  fake.Put("/probe/parent/node", {"stale", 3, true});  // e.g. a create whose reply was lost
  ProbeCollector probe(&fake, FastOptions());
  probe.Start();
  auto s = WaitForRuns(probe, 2);
  EXPECT_EQ(Op(*s, ProbeOp::kCreate).failures_total, 1u);  // ZNODEEXISTS once, then cleaned up
  EXPECT_TRUE(Op(*s, ProbeOp::kCreate).last_success);

  // Someone deletes the parent: one failed create (kNotFound), then the parent comes back.
  const uint64_t runs = s->runs_total;
  fake.Erase("/probe/parent");
  s = WaitForRuns(probe, runs + 3);
  probe.Stop();
  EXPECT_EQ(Op(*s, ProbeOp::kCreate).failures_total, 2u);
  EXPECT_TRUE(fake.Get("/probe/parent").has_value());
  EXPECT_TRUE(Op(*s, ProbeOp::kDelete).last_success);
}

TEST(ProbeCollectorTest, FirstRunWaitsForTheSessionToConnect) {
  FakeWriter fake;
  std::atomic<bool> up{false};
  ProbeOptions o = FastOptions();
  o.interval = milliseconds(5000);
  ProbeCollector probe(&fake, o, [&up] { return up.load(); });
  probe.Start();
  std::this_thread::sleep_for(milliseconds(150));
  EXPECT_EQ(fake.Calls(FakeWriter::Op::kCreate), 0);  // not yet: the session is still connecting
  up = true;
  auto s = WaitForRuns(probe, 1);
  probe.Stop();
  EXPECT_EQ(Op(*s, ProbeOp::kCreate).failures_total, 0u);
  EXPECT_TRUE(Op(*s, ProbeOp::kDelete).last_success);
}

TEST(ProbeCollectorTest, FirstRunGoesAheadAfterOneIntervalWithoutASession) {
  FakeWriter fake;
  fake.FailNext(FakeWriter::Op::kCreate, Status::Unavailable("not connected"), 1000);
  ProbeOptions o = FastOptions();
  o.interval = milliseconds(100);
  ProbeCollector probe(&fake, o, [] { return false; });
  probe.Start();
  auto s = WaitForRuns(probe, 1);
  probe.Stop();
  EXPECT_FALSE(Op(*s, ProbeOp::kCreate).last_success);
  EXPECT_GE(Op(*s, ProbeOp::kCreate).failures_total, 1u);
}

TEST(ProbeCollectorTest, ParentCreateDeniedButPresentIsFine) {
  // A locked-down ensemble: creating the ancestors is denied (ZooKeeper checks CREATE on the parent before
  // existence), but an operator created the parent: the probe runs.
  FakeWriter fake;
  fake.Put("/probe", {});
  fake.Put("/probe/parent", {});
  fake.FailNext(FakeWriter::Op::kCreate, Status::PermissionDenied("no CREATE on /"), 2);
  ProbeOptions o = FastOptions();
  o.interval = milliseconds(60000);
  ProbeCollector probe(&fake, o);
  probe.Start();
  auto s = WaitForRuns(probe, 1);
  probe.Stop();
  EXPECT_TRUE(Op(*s, ProbeOp::kDelete).last_success) << s->last_status.ToString();
  EXPECT_EQ(fake.Calls(FakeWriter::Op::kCreate), 3);
}

TEST(ProbeCollectorTest, FamiliesBeforeAndAfterTheFirstRun) {
  ProbeSnapshot empty;
  auto families = BuildProbeFamilies(empty);
  std::set<std::string> names;
  for (const auto& f : families) names.insert(f.name);
  EXPECT_EQ(names, (std::set<std::string>{"zookeeper_probe_duration_seconds",
                                          "zookeeper_probe_failures_total", "zookeeper_probe_runs_total"}));

  ProbeSnapshot s;
  s.runs_total = 2;
  s.last_run = std::chrono::system_clock::time_point(std::chrono::seconds(1700000000));
  s.ops[0].last_success = true;
  s.ops[0].Observe(0.0004);
  s.ops[0].Observe(0.02);
  s.ops[1].failures_total = 1;
  s.ops[1].Observe(42);  // above every bound: only +Inf
  const std::string text = prometheus::TextSerializer().Serialize(BuildProbeFamilies(s));
  EXPECT_NE(text.find("zookeeper_probe_success{operation=\"create\"} 1"), std::string::npos) << text;
  EXPECT_NE(text.find("zookeeper_probe_success{operation=\"set\"} 0"), std::string::npos);
  EXPECT_NE(text.find("zookeeper_probe_duration_seconds_bucket{operation=\"create\",le=\"0.001\"} 1"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("zookeeper_probe_duration_seconds_bucket{operation=\"create\",le=\"0.025\"} 2"),
            std::string::npos);
  EXPECT_NE(text.find("zookeeper_probe_duration_seconds_bucket{operation=\"set\",le=\"10\"} 0"),
            std::string::npos);
  EXPECT_NE(text.find("zookeeper_probe_duration_seconds_bucket{operation=\"set\",le=\"+Inf\"} 1"),
            std::string::npos);
  EXPECT_NE(text.find("zookeeper_probe_duration_seconds_count{operation=\"create\"} 2"), std::string::npos);
  EXPECT_NE(text.find("zookeeper_probe_failures_total{operation=\"set\"} 1"), std::string::npos);
  EXPECT_NE(text.find("zookeeper_probe_runs_total 2"), std::string::npos);
  EXPECT_NE(text.find("zookeeper_probe_last_run_timestamp_seconds 1700000000"), std::string::npos) << text;
  // Exactly one +Inf bucket per operation.
  std::size_t inf = 0;
  for (std::size_t at = text.find("le=\"+Inf\""); at != std::string::npos;
       at = text.find("le=\"+Inf\"", at + 1))
    ++inf;
  EXPECT_EQ(inf, kProbeOps.size());
}

TEST(ProbeCollectorTest, ValidatesTheParentPath) {
  EXPECT_TRUE(ValidateProbeParent("/zookeeper_exporter_probe").ok());
  EXPECT_TRUE(ValidateProbeParent("/a/b-c/d.e").ok());
  for (const char* bad :
       {"", "relative", "/", "/a/", "/a//b", "/a/./b", "/a/..", "/zookeeper", "/zookeeper/x", "/a\nb"}) {
    EXPECT_EQ(ValidateProbeParent(bad).code(), StatusCode::kInvalidArgument) << bad;
  }
  EXPECT_TRUE(ValidateProbeParent("/zookeeper2").ok());
}

TEST(ProbeCollectorTest, DefaultNodeNameIsSanitisedAndUnique) {
  const std::string a = DefaultProbeNodeName();
  const std::string b = DefaultProbeNodeName();
  EXPECT_NE(a, b);
  for (const char c : a)
    EXPECT_TRUE(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.') << a;
  EXPECT_NE(a.find("-" + std::to_string(getpid()) + "-"), std::string::npos) << a;
  FakeWriter fake;
  ProbeOptions o = FastOptions();
  o.node_name = "host/with space";
  EXPECT_EQ(ProbeCollector(&fake, o).node_path(), "/probe/parent/host_with_space");
}

}  // namespace
}  // namespace zkx::collectors
