#include "exporter/target_manager.h"

#include <utility>

#include <spdlog/spdlog.h>

#include "base/quote.h"
#include "collectors/family_builder.h"
#include "collectors/registry.h"
#include "collectors/tree_collector.h"
#include "zk/digest_credentials.h"

namespace zkx::exporter {
namespace {

int64_t NowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

std::string ServersOf(const server::ConnectString& target) {
  server::ConnectString servers_only = target;
  servers_only.chroot.clear();
  return CanonicalTarget(servers_only);
}

// The shared pools' sizes: threads kept while idle, and the caps while tasks wait for a thread.
constexpr std::size_t kWalkThreads = 4;
constexpr std::size_t kMaxWalkThreads = 64;
constexpr std::size_t kCollectorThreads = 4;
constexpr std::size_t kMaxCollectorThreads = 128;
constexpr std::size_t kProbeThreads = 2;
constexpr std::size_t kMaxProbeThreads = 128;
constexpr std::size_t kSharedQueue = 16384;

}  // namespace

TargetThreads::TargetThreads()
    : walks(std::make_shared<collectors::WalkThreads>(kWalkThreads, kMaxWalkThreads, kSharedQueue)),
      collectors(
          std::make_shared<WorkerPool>("collector", kCollectorThreads, kSharedQueue, kMaxCollectorThreads)),
      probes(std::make_shared<WorkerPool>("probe", kProbeThreads, kSharedQueue, kMaxProbeThreads)) {}

std::size_t TargetThreads::Threads() const {
  return walks->Threads() + collectors->Threads() + probes->Threads();
}

ProbeTarget::ProbeTarget(std::string key, const server::ConnectString& target, const ModuleConfig& module,
                         std::shared_ptr<SharedSession> session, const TargetThreads* threads)
    : key_(std::move(key)),
      session_(std::move(session)),
      collectors_(threads != nullptr ? threads->collectors : nullptr) {
  std::shared_ptr<WorkerPool> probes = threads != nullptr ? threads->probes : nullptr;
  zk::Session* s = session_->get();
  reader_ = std::make_unique<zk::ChrootReader>(s, target.chroot);
  // The module's collectors from the registry (collectors/registry.h): the flags' defaults, with the module's
  // own settings for the server probes and the watch budget.
  collectors::FlagValues flags = collectors::FlagValues::Defaults();
  flags.Set("--server.admin-port", module.server_admin_port);
  flags.Set("--server.timeout", module.server_timeout);
  collectors::CollectorContext context;
  context.session = s;
  context.reader = reader_.get();
  context.max_watch_bytes = module.max_watch_bytes;
  context.hosts = target;
  context.subtrees = module.subtrees;
  context.flags = &flags;
  if (threads != nullptr) {
    context.walk_threads = threads->walks;
    context.probe_threads = probes;
  }
  for (const std::string& name : module.collectors) {
    const collectors::CollectorInfo* info = collectors::CollectorRegistry::Global().Find(name);
    if (info == nullptr || !info->per_target) continue;  // modules_config.cc accepts only per-target ones
    Result<collectors::BuiltCollector> built = info->factory(context);
    if (!built.ok()) {
      spdlog::warn("target {}: collector {}: {}", key_, name, built.status().message());
      continue;
    }
    if (name == "tree") tree_ = std::dynamic_pointer_cast<collectors::TreeCollector>(built->collector);
    collectors_.Add(name, std::move(built->collector));
  }
  last_used_ns_ = NowNs();
}

ProbeTarget::~ProbeTarget() {
  if (tree_) tree_->Stop();  // joins the refreshers: nothing reads through reader_ after this
}

std::vector<std::string> ProbeTarget::Scrape(std::chrono::steady_clock::time_point deadline) {
  last_used_ns_ = NowNs();
  return collectors_.GatherText(deadline);
}

bool ProbeTarget::Connected() const {
  return session_->get()->Connected();
}

bool ProbeTarget::Walked() const {
  return !tree_ || tree_->AllWalkedOnce();
}

TargetManager::TargetManager(MultiTargetConfig config, std::string static_hosts,
                             std::chrono::milliseconds janitor_interval)
    : config_(std::move(config)),
      static_hosts_(std::move(static_hosts)),
      janitor_interval_(janitor_interval) {
  janitor_ = std::thread([this] { RunJanitor(); });
}

TargetManager::~TargetManager() {
  Stop();
}

Result<TargetManager::Acquired> TargetManager::Acquire(const server::ConnectString& target,
                                                       const std::string& module_name) {
  const std::string& name = module_name.empty() ? config_.default_module : module_name;
  auto module = config_.modules.find(name);
  if (module == config_.modules.end()) {
    return Status::InvalidArgument("unknown module " + QuoteForMessage(name));
  }
  if (Status allowed = CheckTargetAllowed(config_, target, static_hosts_); !allowed.ok()) return allowed;
  const std::string canonical = CanonicalTarget(target);
  const std::string key = canonical + "|" + name;
  const std::string session_key = ServersOf(target) + "|" + name;

  MutexLock lock(mu_);
  if (stopping_) return Status::Unavailable("shutting down");
  if (auto it = targets_.find(key); it != targets_.end()) {
    it->second->last_used_ns_ = NowNs();
    return Acquired{it->second, false};
  }
  if (targets_.size() >= config_.max_targets) {
    refused_limit_.fetch_add(1);
    const auto now = std::chrono::steady_clock::now();
    if (now - last_limit_log_ > std::chrono::minutes(1)) {
      last_limit_log_ = now;
      spdlog::warn(
          "multi_target.max_targets ({}) live targets: refusing new target {} (module {}); raise the limit "
          "or "
          "lower multi_target.idle_timeout (zookeeper_exporter_targets_refused_total counts refusals)",
          config_.max_targets, QuoteForMessage(canonical), QuoteForMessage(name));
    }
    return Status::ResourceExhausted(
        "too many live targets (multi_target.max_targets = " + std::to_string(config_.max_targets) + ")");
  }
  std::shared_ptr<SharedSession> session = sessions_[session_key].lock();
  if (!session) {
    zk::SessionOptions options;
    options.hosts = ServersOf(target);
    options.session_timeout = module->second.session_timeout;
    options.max_in_flight = module->second.max_in_flight;
    if (!module->second.auth_file.empty()) {
      Result<zk::DigestCredentials> c = zk::LoadDigestCredentialsFile(module->second.auth_file);
      if (!c.ok()) return Status::Internal("module " + QuoteForMessage(name) + ": " + c.status().message());
      options.credentials = std::move(c).value();
    }
    Result<std::unique_ptr<zk::Session>> created = zk::Session::Create(std::move(options));
    if (!created.ok()) return created.status();
    (*created)->Start();
    session = std::make_shared<SharedSession>(std::move(created).value());
    sessions_[session_key] = session;
  }
  auto probe_target =
      std::make_shared<ProbeTarget>(key, target, module->second, std::move(session), &threads_);
  targets_.emplace(key, probe_target);
  created_.fetch_add(1);
  spdlog::info("new target {} (module {}): {} live", QuoteForMessage(canonical), QuoteForMessage(name),
               targets_.size());
  return Acquired{std::move(probe_target), true};
}

void TargetManager::DropIdle() {
  std::vector<std::shared_ptr<ProbeTarget>> dropped;
  {
    MutexLock lock(mu_);
    const int64_t cutoff =
        NowNs() - std::chrono::duration_cast<std::chrono::nanoseconds>(config_.idle_timeout).count();
    for (auto it = targets_.begin(); it != targets_.end();) {
      // use_count 1: only the map holds it (Acquire copies under mu_, so no scrape can take it now).
      if (it->second->last_used_ns_.load() < cutoff && it->second.use_count() == 1) {
        dropped.push_back(std::move(it->second));
        it = targets_.erase(it);
      } else {
        ++it;
      }
    }
    for (auto it = sessions_.begin(); it != sessions_.end();) {
      it = it->second.expired() ? sessions_.erase(it) : std::next(it);
    }
  }
  for (const auto& t : dropped) {
    spdlog::info("dropping target {}: not scraped for {}s", t->key(),
                 std::chrono::duration_cast<std::chrono::seconds>(config_.idle_timeout).count());
  }
  dropped_.fetch_add(dropped.size());
  dropped.clear();  // stops refreshers, and the last target of a session closes it: here, not on a scrape
  MutexLock lock(mu_);
  for (auto it = sessions_.begin(); it != sessions_.end();) {
    it = it->second.expired() ? sessions_.erase(it) : std::next(it);
  }
}

void TargetManager::RunJanitor() {
  for (;;) {
    {
      MutexLock lock(mu_);
      const auto until = std::chrono::steady_clock::now() + janitor_interval_;
      while (!stopping_ && cv_.wait_until(mu_, until) != std::cv_status::timeout) {
      }
      if (stopping_) return;
    }
    DropIdle();  // without the lock: it takes mu_ itself
  }
}

void TargetManager::Stop() {
  std::map<std::string, std::shared_ptr<ProbeTarget>> targets;
  {
    MutexLock lock(mu_);
    stopping_ = true;
    targets.swap(targets_);
  }
  cv_.notify_all();
  if (janitor_.joinable()) janitor_.join();
  targets.clear();
}

std::size_t TargetManager::LiveTargets() const {
  MutexLock lock(mu_);
  return targets_.size();
}

std::size_t TargetManager::LiveSessions() const {
  MutexLock lock(mu_);
  std::size_t n = 0;
  for (const auto& [key, session] : sessions_) {
    if (!session.expired()) ++n;
  }
  return n;
}

Status TargetManager::Collect(std::chrono::steady_clock::time_point /*deadline*/,
                              collectors::FamilySink out) {
  using collectors::AddSample;
  using collectors::MakeFamily;
  using prometheus::MetricType;
  auto gauge = [&](const char* name, const char* help, double v) {
    auto f = MakeFamily(name, help, MetricType::Gauge);
    AddSample(&f, v);
    out.Add(std::move(f));
  };
  auto counter = [&](const char* name, const char* help, double v) {
    auto f = MakeFamily(name, help, MetricType::Counter);
    AddSample(&f, v);
    out.Add(std::move(f));
  };
  gauge("zookeeper_exporter_targets", "Live /probe targets (target, module pairs).",
        static_cast<double>(LiveTargets()));
  gauge("zookeeper_exporter_target_sessions",
        "ZooKeeper sessions held for /probe targets (chroots share one).",
        static_cast<double>(LiveSessions()));
  gauge("zookeeper_exporter_targets_limit", "multi_target.max_targets.",
        static_cast<double>(config_.max_targets));
  counter("zookeeper_exporter_targets_created_total", "/probe targets created.",
          static_cast<double>(created_));
  counter("zookeeper_exporter_targets_dropped_total",
          "/probe targets dropped after multi_target.idle_timeout.", static_cast<double>(dropped_));
  counter("zookeeper_exporter_targets_refused_total",
          "New /probe targets refused because multi_target.max_targets were live.",
          static_cast<double>(refused_limit_));
  return Status::Ok();
}

}  // namespace zkx::exporter
