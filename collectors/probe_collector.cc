#include "collectors/probe_collector.h"

#include <algorithm>
#include <cstdio>
#include <limits>
#include <random>
#include <utility>

#include <spdlog/spdlog.h>
#include <unistd.h>

#include "base/mutex.h"
#include "base/quote.h"
#include "base/thread_annotations.h"
#include "base/znode_path.h"
#include "collectors/family_builder.h"
#include "collectors/registry.h"
#include "zk/session.h"

namespace zkx::collectors {

// One request's reply. The writer's callback may run after the run thread gave up waiting (timeout, Stop):
// it then only touches this shared object.
struct ProbeCollector::Waiter {
  Mutex mu;
  std::condition_variable_any cv;  // waits on mu
  bool done GUARDED_BY(mu) = false;
  bool cancelled GUARDED_BY(mu) = false;  // Stop()
  Status status GUARDED_BY(mu);
  std::string data GUARDED_BY(mu);

  // Called from the writer's callback: never blocks for long, never throws.
  void Finish(Status s, std::string d = {}) noexcept {
    try {
      MutexLock lock(mu);
      if (done) return;
      done = true;
      status = std::move(s);
      data = std::move(d);
      cv.notify_all();
    } catch (...) {  // std::system_error from the mutex: the waiter times out instead
    }
  }
};

namespace {

// How often the first run checks whether the session has connected.
constexpr std::chrono::milliseconds kConnectPoll{100};

std::size_t Index(ProbeOp op) {
  return static_cast<std::size_t>(op);
}

int64_t UnixMillis() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string Sanitize(std::string_view text) {
  std::string out;
  for (const char c : text) {
    const bool keep = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                      c == '.' || c == '_' || c == '-';
    out.push_back(keep ? c : '_');
  }
  return out;
}

}  // namespace

std::string_view ProbeOpName(ProbeOp op) {
  switch (op) {
    case ProbeOp::kCreate: return "create";
    case ProbeOp::kSet: return "set";
    case ProbeOp::kGet: return "get";
    case ProbeOp::kDelete: return "delete";
  }
  return "unknown";
}

void ProbeOpStats::Observe(double seconds) {
  const auto* bound = std::lower_bound(kProbeBuckets.begin(), kProbeBuckets.end(), seconds);
  ++buckets[static_cast<std::size_t>(bound - kProbeBuckets.begin())];
  ++count;
  sum_seconds += seconds;
}

std::string DefaultProbeNodeName() {
  char host[256] = {};
  if (gethostname(host, sizeof host - 1) != 0 || host[0] == '\0') std::snprintf(host, sizeof host, "unknown");
  std::string h(host);
  if (h.size() > 64) h.resize(64);
  std::random_device rd;
  char token[16];
  std::snprintf(token, sizeof token, "%08x", static_cast<unsigned>(rd()));
  return Sanitize(h) + "-" + std::to_string(static_cast<long long>(getpid())) + "-" + token;
}

Status ValidateProbeParent(const std::string& path) {
  auto bad = [&](std::string_view why) {
    return Status::InvalidArgument("invalid probe path " + Quote(path) + ": " + std::string(why));
  };
  if (path == "/") {
    return bad("must not be the root; use a dedicated parent such as /zookeeper_exporter_probe");
  }
  if (path.size() > 1 && path.back() == '/') return bad("must not end with '/'");
  if (const std::optional<std::string_view> problem = ZnodePathProblem(path)) return bad(*problem);
  if (ZnodePathInside(path, "/zookeeper")) return bad("/zookeeper is reserved");
  return Status::Ok();
}

ProbeCollector::ProbeCollector(zk::ZnodeWriter* writer, ProbeOptions options, std::function<bool()> connected)
    : writer_(writer),
      options_(std::move(options)),
      connected_(std::move(connected)),
      node_path_(JoinZnodePath(options_.parent, options_.node_name.empty() ? DefaultProbeNodeName()
                                                                           : Sanitize(options_.node_name))),
      snapshot_(std::make_shared<const ProbeSnapshot>()) {}

ProbeCollector::~ProbeCollector() {
  Stop();
}

void ProbeCollector::Start() {
  MutexLock join_lock(join_mu_);
  MutexLock lock(mu_);
  if (started_ || stopping_) return;
  started_ = true;
  spdlog::info("probe: every {}ms on {} (timeout {}ms per operation)", options_.interval.count(), node_path_,
               options_.timeout.count());
  thread_ = std::thread([this] { Run(); });
}

void ProbeCollector::Stop() {
  {
    MutexLock lock(mu_);
    stopping_ = true;
    if (current_) {
      MutexLock waiter_lock(current_->mu);
      current_->cancelled = true;
      current_->cv.notify_all();
    }
  }
  cv_.notify_all();
  // A second, concurrent Stop() waits here until the first has joined: neither returns while Run() runs.
  MutexLock join_lock(join_mu_);
  if (thread_.joinable()) thread_.join();
}

bool ProbeCollector::stopping() const {
  MutexLock lock(mu_);
  return stopping_;
}

std::shared_ptr<const ProbeSnapshot> ProbeCollector::Snapshot() const {
  MutexLock lock(mu_);
  return snapshot_;
}

Status ProbeCollector::Collect(std::chrono::steady_clock::time_point /*deadline*/, FamilySink out) {
  for (auto& f : BuildProbeFamilies(*Snapshot())) out.Add(std::move(f));
  return Status::Ok();
}

bool ProbeCollector::SleepUntil(std::chrono::steady_clock::time_point until) {
  MutexLock lock(mu_);
  while (!stopping_ && cv_.wait_until(mu_, until) != std::cv_status::timeout) {
  }
  return !stopping_;
}

void ProbeCollector::Run() {
  auto next_due = std::chrono::steady_clock::now();
  if (connected_) {
    // Give a starting session one interval to connect before the first run.
    const auto give_up = next_due + options_.interval;
    while (!connected_() && std::chrono::steady_clock::now() < give_up) {
      if (!SleepUntil(std::min(give_up, std::chrono::steady_clock::now() + kConnectPoll))) return;
    }
    next_due = std::chrono::steady_clock::now();
  }
  while (SleepUntil(next_due)) {
    const auto started = std::chrono::steady_clock::now();
    RunOnce();
    // As the tree walks: a run longer than the interval is followed by the next at once, never by a burst.
    next_due = std::max(started + options_.interval, std::chrono::steady_clock::now());
  }
}

template <typename Issue>
ProbeCollector::Reply ProbeCollector::Await(Issue&& issue) {
  auto waiter = std::make_shared<Waiter>();
  {
    MutexLock lock(mu_);
    if (stopping_) return {Status::Cancelled("probe stopping"), {}, {}};
    current_ = waiter;
  }
  const auto start = std::chrono::steady_clock::now();
  issue(waiter);  // may call back on this thread (e.g. not connected)
  Reply reply;
  {
    MutexLock lock(waiter->mu);
    const auto until = start + options_.timeout;
    while (!waiter->done && !waiter->cancelled &&
           waiter->cv.wait_until(waiter->mu, until) != std::cv_status::timeout) {
    }
    if (waiter->done) {
      reply.status = waiter->status;
      reply.data = waiter->data;
    } else if (waiter->cancelled) {
      reply.status = Status::Cancelled("probe stopping");
    } else {
      reply.status =
          Status::DeadlineExceeded("no reply within " + std::to_string(options_.timeout.count()) + "ms");
    }
  }
  reply.elapsed = std::chrono::steady_clock::now() - start;
  MutexLock lock(mu_);
  current_.reset();
  return reply;
}

Status ProbeCollector::EnsureParent() {
  // Each ancestor, shallowest first: existing ones are fine. ZooKeeper checks the CREATE permission on the
  // parent before existence, so kPermissionDenied may hide an existing znode (e.g. a locked-down "/" with a
  // parent created by an operator): go on, and let the probe's own create tell.
  for (std::size_t slash = options_.parent.find('/', 1);; slash = options_.parent.find('/', slash + 1)) {
    const std::string prefix =
        slash == std::string::npos ? options_.parent : options_.parent.substr(0, slash);
    Reply r = Await([&](const std::shared_ptr<Waiter>& w) {
      writer_->Create(prefix, "", zk::CreateMode::kPersistent,
                      [w](Status s, const std::string& /*created*/) { w->Finish(std::move(s)); });
    });
    const StatusCode code = r.status.code();
    if (!r.status.ok() && code != StatusCode::kAlreadyExists && code != StatusCode::kPermissionDenied) {
      return Status(r.status.code(), "creating the probe parent " + prefix + ": " + r.status.message());
    }
    if (slash == std::string::npos) return Status::Ok();
  }
}

bool ProbeCollector::CleanUp() {
  Reply r = Await([&](const std::shared_ptr<Waiter>& w) {
    writer_->Delete(node_path_, zk::kAnyVersion, [w](Status s) { w->Finish(std::move(s)); });
  });
  if (r.status.ok() || r.status.code() == StatusCode::kNotFound) return true;
  spdlog::warn("probe: could not delete the leftover {}: {} (retried next run)", node_path_,
               r.status.ToString());
  return false;
}

void ProbeCollector::RunOnce() {
  ++run_number_;
  const std::string tag = "zookeeper_exporter probe " + node_path_ + " run " + std::to_string(run_number_);
  const std::string created_data = tag + " created";
  const std::string set_data = tag + " set at " + std::to_string(UnixMillis());

  if (leftover_ && CleanUp()) leftover_ = false;

  std::array<bool, kProbeOps.size()> ok{};
  std::array<double, kProbeOps.size()> seconds{};
  Status failure;
  ProbeOp failed_op = ProbeOp::kCreate;
  bool may_exist = false;  // the znode may exist now
  bool interrupted = false;

  // Runs one op; false ends the run.
  auto step = [&](ProbeOp op, const Reply& r) {
    if (r.status.code() == StatusCode::kCancelled && stopping()) {
      interrupted = true;
      return false;
    }
    if (!r.status.ok()) {
      failure = Status(r.status.code(),
                       std::string(ProbeOpName(op)) + " " + node_path_ + ": " + r.status.message());
      failed_op = op;
      return false;
    }
    ok[Index(op)] = true;
    seconds[Index(op)] = std::chrono::duration<double>(r.elapsed).count();
    return true;
  };

  [&] {
    if (!parent_ready_) {
      Status parent = EnsureParent();
      if (!parent.ok()) {
        step(ProbeOp::kCreate, Reply{std::move(parent), {}, {}});
        return;
      }
      parent_ready_ = true;
    }
    Reply created = Await([&](const std::shared_ptr<Waiter>& w) {
      writer_->Create(node_path_, created_data, zk::CreateMode::kEphemeral,
                      [w](Status s, std::string path) { w->Finish(std::move(s), std::move(path)); });
    });
    const StatusCode code = created.status.code();
    // Unknown outcome (no reply, connection lost after sending) or already there: it may exist.
    may_exist = created.status.ok() || code == StatusCode::kAlreadyExists ||
                code == StatusCode::kUnavailable || code == StatusCode::kDeadlineExceeded ||
                code == StatusCode::kCancelled;
    if (code == StatusCode::kNotFound) parent_ready_ = false;  // someone deleted the parent: recreate it
    if (!step(ProbeOp::kCreate, created)) return;

    Reply set = Await([&](const std::shared_ptr<Waiter>& w) {
      writer_->SetData(node_path_, set_data, zk::kAnyVersion,
                       [w](Status s, zk::ZnodeStat) { w->Finish(std::move(s)); });
    });
    if (!step(ProbeOp::kSet, set)) return;

    Reply got = Await([&](const std::shared_ptr<Waiter>& w) {
      writer_->GetData(node_path_, [w](Status s, std::string data, zk::ZnodeStat) {
        w->Finish(std::move(s), std::move(data));
      });
    });
    if (got.status.ok() && got.data != set_data) {
      got.status = Status::Internal("read back " + std::to_string(got.data.size()) +
                                    " bytes that differ from the data just set (" +
                                    std::to_string(set_data.size()) + " bytes)");
    }
    if (!step(ProbeOp::kGet, got)) return;

    Reply deleted = Await([&](const std::shared_ptr<Waiter>& w) {
      writer_->Delete(node_path_, zk::kAnyVersion, [w](Status s) { w->Finish(std::move(s)); });
    });
    if (step(ProbeOp::kDelete, deleted)) may_exist = false;
  }();

  if (interrupted) return;  // Stop(): no snapshot for a run cut short; the session takes the ephemeral along
  if (may_exist) leftover_ = !CleanUp();
  if (!failure.ok()) {
    spdlog::warn("probe: {} failed: {}", ProbeOpName(failed_op), failure.ToString());
    ++stats_.ops[Index(failed_op)].failures_total;
  }
  for (const ProbeOp op : kProbeOps) {
    ProbeOpStats& s = stats_.ops[Index(op)];
    s.last_success = ok[Index(op)];
    if (ok[Index(op)]) s.Observe(seconds[Index(op)]);
  }
  ++stats_.runs_total;
  stats_.last_run = std::chrono::system_clock::now();
  stats_.last_status = failure;
  stats_.last_seconds = seconds;
  auto published = std::make_shared<const ProbeSnapshot>(stats_);
  MutexLock lock(mu_);
  snapshot_ = std::move(published);
}

std::vector<prometheus::MetricFamily> BuildProbeFamilies(const ProbeSnapshot& snapshot) {
  using prometheus::MetricType;
  std::vector<prometheus::MetricFamily> out;
  const bool ran = snapshot.runs_total > 0;
  auto op_label = [](ProbeOp op) { return std::vector<Label>{{"operation", std::string(ProbeOpName(op))}}; };

  if (ran) {
    auto success = MakeFamily("zookeeper_probe_success",
                              "Whether the probe operation ran and succeeded in the last run (1) or not (0).",
                              MetricType::Gauge);
    for (const ProbeOp op : kProbeOps) {
      AddSample(&success, snapshot.ops[Index(op)].last_success ? 1 : 0, op_label(op));
    }
    out.push_back(std::move(success));
  }

  auto duration = MakeFamily("zookeeper_probe_duration_seconds",
                             "Latency of successful probe operations on the probe's ephemeral znode.",
                             MetricType::Histogram);
  for (const ProbeOp op : kProbeOps) {
    const ProbeOpStats& s = snapshot.ops[Index(op)];
    prometheus::ClientMetric m;
    m.label = op_label(op);
    m.histogram.sample_count = s.count;
    m.histogram.sample_sum = s.sum_seconds;
    uint64_t cumulative = 0;
    for (std::size_t i = 0; i < kProbeBuckets.size(); ++i) {
      cumulative += s.buckets[i];
      m.histogram.bucket.push_back({cumulative, kProbeBuckets[i]});
    }
    m.histogram.bucket.push_back({s.count, std::numeric_limits<double>::infinity()});
    duration.metric.push_back(std::move(m));
  }
  out.push_back(std::move(duration));

  auto failures =
      MakeFamily("zookeeper_probe_failures_total",
                 "Probe operations that ran and failed (error, wrong data read back, or timeout); "
                 "a failure ends its run.",
                 MetricType::Counter);
  for (const ProbeOp op : kProbeOps) {
    AddSample(&failures, static_cast<double>(snapshot.ops[Index(op)].failures_total), op_label(op));
  }
  out.push_back(std::move(failures));

  auto runs = MakeFamily("zookeeper_probe_runs_total", "Probe runs (create, set, get, delete) finished.",
                         MetricType::Counter);
  AddSample(&runs, static_cast<double>(snapshot.runs_total));
  out.push_back(std::move(runs));

  if (ran) {
    auto last =
        MakeFamily("zookeeper_probe_last_run_timestamp_seconds",
                   "When the last probe run finished, in seconds since the Unix epoch.", MetricType::Gauge);
    AddSample(&last, ToUnixSeconds(snapshot.last_run));
    out.push_back(std::move(last));
  }
  return out;
}

}  // namespace zkx::collectors

namespace zkx::collectors {
namespace {

// The write canary, formerly the "probe" collector (/probe is now the multi-target endpoint): its old flag
// names stay accepted, deprecated (exporter/exporter_app.cc warns about them).
CollectorInfo CanaryCollectorInfo() {
  CollectorInfo info;
  info.name = "canary";
  info.enabled_by_default = false;
  info.old_names = {"probe"};
  info.flags.push_back(Flag({"--canary.path", "--probe.path"}, "PATH", std::string(ProbeOptions{}.parent),
                            "Parent znode of the canary collector's ephemeral znode (created, persistent, if "
                            "missing); --probe.path is deprecated",
                            [](const FlagValue& v) {
                              Status s = ValidateProbeParent(std::get<std::string>(v));
                              return s.ok() ? std::string() : s.message();
                            }));
  info.flags.push_back(Flag({"--canary.interval", "--probe.interval"}, "DURATION", ProbeOptions{}.interval,
                            "How often the canary collector runs; --probe.interval is deprecated"));
  info.flags.push_back(Flag({"--canary.timeout", "--probe.timeout"}, "DURATION", ProbeOptions{}.timeout,
                            "Time limit for each canary operation; --probe.timeout is deprecated"));
  info.factory = [](const CollectorContext& c) -> Result<BuiltCollector> {
    ProbeOptions p;
    p.parent = c.flags->String("--canary.path");
    p.interval = c.flags->Duration("--canary.interval");
    p.timeout = c.flags->Duration("--canary.timeout");
    zk::Session* s = c.session;
    auto canary = std::make_shared<ProbeCollector>(s, std::move(p), [s] { return s->Connected(); });
    canary->Start();
    return BuiltCollector{canary, [canary] { canary->Stop(); }};  // before the session: it writes through it
  };
  return info;
}

}  // namespace
}  // namespace zkx::collectors

ZKX_REGISTER_COLLECTOR(canary, zkx::collectors::CanaryCollectorInfo)
