#include "exporter/app.h"

#include <algorithm>
#include <charconv>
#include <map>
#include <string>
#include <utility>

#include <spdlog/spdlog.h>

#include "collectors/build_info_collector.h"
#include "collectors/registry.h"
#include "collectors/tree_collector.h"
#include "exporter/allocator_tuning.h"
#include "exporter/config.h"
#include "exporter/exposition_response.h"
#include "exporter/landing_page.h"
#include "exporter/probe_handler.h"
#include "exporter/target_manager.h"
#include "exporter/web_config.h"
#include "server/connect_string.h"
#include "zk/reader_pool.h"
#include "zk/watch_shards.h"

namespace zkx::exporter {

Result<HttpSecurity> LoadWebSecurity(const Flags& flags) {
  if (flags.web_config_file.empty()) return HttpSecurity{};
  Result<WebConfig> web = LoadWebConfigFile(flags.web_config_file);
  if (!web.ok()) return web.status();
  Result<HttpSecurity> security = HttpSecurity::FromWebConfig(*web);
  if (!security.ok()) {
    return Status::InvalidArgument(flags.web_config_file + ": " + security.status().message());
  }
  return security;
}

Result<std::vector<collectors::SubtreeSpec>> LoadSubtrees(const Flags& flags) {
  FileConfig file;
  if (!flags.config_file.empty()) {
    Result<FileConfig> loaded = LoadConfigFile(flags.config_file);
    if (!loaded.ok()) return loaded.status();
    file = std::move(loaded).value();
  }
  std::optional<collectors::RefreshMode> mode;
  if (flags.tree_refresh_mode == "poll") mode = collectors::RefreshMode::kPoll;
  if (flags.tree_refresh_mode == "watch") mode = collectors::RefreshMode::kWatch;
  return EffectiveSubtrees(file, flags.tree_roots, flags.tree_refresh_interval, mode);
}

namespace {

// The scrape deadline: --web.scrape-timeout, shortened to fit Prometheus' own timeout when it sends one.
std::chrono::steady_clock::time_point ScrapeDeadline(const HttpRequest& request,
                                                     std::chrono::milliseconds limit) {
  auto budget = limit;
  if (!request.scrape_timeout_header.empty()) {
    double seconds = 0;
    const std::string& h = request.scrape_timeout_header;
    auto [end, ec] = std::from_chars(h.data(), h.data() + h.size(), seconds);
    if (ec == std::errc() && seconds > 0) {
      // Leave Prometheus half a second (or a tenth of a short timeout) to receive the answer.
      const auto theirs = std::chrono::milliseconds(static_cast<long long>(seconds * 1000));
      const auto margin = std::min(std::chrono::milliseconds(500), theirs / 10);
      budget = std::min(budget, theirs - margin);
    }
  }
  return std::chrono::steady_clock::now() + budget;
}

}  // namespace

Result<std::unique_ptr<App>> App::Create(Flags flags, zk::SessionOptions options) {
  std::vector<std::unique_ptr<zk::Session>> walk_sessions;
  for (std::size_t i = 1; i < flags.walk_sessions; ++i) {
    Result<std::unique_ptr<zk::Session>> extra = zk::Session::Create(options);
    if (!extra.ok()) return extra.status();
    walk_sessions.push_back(std::move(extra).value());
  }
  std::vector<std::unique_ptr<zk::Session>> watch_sessions;
  for (std::size_t i = 1; i < flags.watch_sessions; ++i) {
    Result<std::unique_ptr<zk::Session>> extra = zk::Session::Create(options);
    if (!extra.ok()) return extra.status();
    watch_sessions.push_back(std::move(extra).value());
  }
  Result<std::unique_ptr<zk::Session>> session = zk::Session::Create(std::move(options));
  if (!session.ok()) return session.status();
  return std::make_unique<App>(std::move(flags), std::move(session).value(), std::move(walk_sessions),
                               std::move(watch_sessions));
}

App::App(Flags flags, std::unique_ptr<zk::Session> session,
         std::vector<std::unique_ptr<zk::Session>> walk_sessions,
         std::vector<std::unique_ptr<zk::Session>> watch_sessions)
    : flags_(std::move(flags)),
      session_(std::move(session)),
      walk_sessions_(std::move(walk_sessions)),
      watch_sessions_(std::move(watch_sessions)) {
  std::vector<zk::Session*> extras;
  for (const auto& s : walk_sessions_) extras.push_back(s.get());
  // The walk sessions are opened only when busy walks try them, and used while they pay
  // (ReaderPool::Spread::kMeasured).
  reader_ =
      std::make_unique<zk::ReaderPool>(session_.get(), std::move(extras), zk::ReaderPool::Spread::kMeasured);
  if (!watch_sessions_.empty()) {
    std::vector<zk::ZnodeReader*> shards{session_.get()};  // shard 0: the primary
    for (const auto& s : watch_sessions_) shards.push_back(s.get());
    watch_reader_ = std::make_unique<zk::WatchShards>(reader_.get(), std::move(shards));
  }
}

App::~App() {
  Shutdown();
}

Status App::Start(std::vector<collectors::SubtreeSpec> subtrees, HttpSecurity security) {
  // The extra watch sessions serve watch-mode subtrees only: with none configured at start (poll is the
  // default), they are never opened, so a poll-only exporter holds one session on the ensemble, not four. A
  // reload that turns watch mode on later keeps its watches on the main session until a restart.
  const bool any_watch = std::any_of(subtrees.begin(), subtrees.end(), [](const collectors::SubtreeSpec& s) {
    return s.refresh_mode == collectors::RefreshMode::kWatch;
  });
  if (!any_watch && !watch_sessions_.empty()) {
    spdlog::debug("no watch-mode subtree at start: the {} extra watch sessions stay closed",
                  watch_sessions_.size());
    watch_reader_.reset();
    watch_sessions_.clear();
  }
  session_->Start();  // the walk sessions: started by reader_ when a busy walk first tries them
  for (const auto& s : watch_sessions_) s->Start();
  Result<server::ConnectString> hosts = server::ParseConnectString(flags_.zookeeper_hosts);
  if (!hosts.ok()) return Status::InvalidArgument("--zookeeper.hosts: " + hosts.status().message());
  collectors::CollectorContext context;
  context.session = session_.get();
  context.reader = reader_.get();
  context.walk_sessions = [pool = reader_.get()] { return pool->Figures(); };
  context.chroot_length = session_->ChrootLength();
  context.max_watch_bytes = flags_.max_watch_bytes;
  if (watch_reader_) {
    context.watch.reader = watch_reader_.get();
    context.watch.connected = [this] {
      return session_->Connected() && std::all_of(watch_sessions_.begin(), watch_sessions_.end(),
                                                  [](const auto& s) { return s->Connected(); });
    };
    for (const auto& s : watch_sessions_) context.watch_sessions.push_back(s.get());
  }
  context.hosts = std::move(hosts).value();
  context.subtrees = std::move(subtrees);
  context.flags = &flags_.collector_flags;
  for (const collectors::CollectorInfo* info : collectors::CollectorRegistry::Global().Collectors()) {
    if (!collectors::CollectorEnabled(*info, flags_.collector_overrides)) continue;
    Result<collectors::BuiltCollector> built = info->factory(context);
    if (!built.ok()) {
      return Status::InvalidArgument("collector " + info->name + ": " + built.status().message());
    }
    if (built->stop) stops_.push_back(built->stop);
    if (info->name == "tree") tree_ = std::dynamic_pointer_cast<collectors::TreeCollector>(built->collector);
    collectors_.Add(info->name, std::move(built->collector));
  }
  if (tree_ && tree_->Summaries().empty()) {
    spdlog::warn("no subtree configured: use --tree.root or --config.file to walk subtrees");
  }
  collectors_.Add("build_info", std::make_shared<collectors::BuildInfoCollector>(zk::ClientVersion()));
  std::map<std::string, HttpHandler> routes;
  if (targets_) {  // /probe?target=&module= (exporter/probe_handler.h); not behind the /metrics scrape gate
    collectors_.Add("targets", targets_);
    routes["/probe"] = [this](const HttpRequest& r) {
      return ServeProbe(*targets_, r, ScrapeDeadline(r, flags_.scrape_timeout));
    };
  }
  routes[flags_.telemetry_path] = [this](const HttpRequest& r) {
    HttpResponse response = ServeMetrics(r);
    ReleaseFreeMemory();  // the scrape's samples are gone; give their pages back
    return response;
  };
  routes["/healthz"] = [](const HttpRequest&) {
    return HttpResponse{200, "text/plain; charset=utf-8", "ok\n", {}};
  };
  routes["/readyz"] = [this](const HttpRequest&) { return ServeReady(); };
  if (flags_.telemetry_path != "/") {
    routes["/"] = [this](const HttpRequest&) { return ServeLanding(); };
  }
  const bool tls = security.tls.has_value();
  const bool basic_auth = security.basic_auth != nullptr;
  HttpServerLimits limits;  // --web.max-connections, --web.read-header-timeout, --web.idle-timeout
  limits.max_connections = flags_.web_max_connections;
  limits.read_header_timeout = flags_.web_read_header_timeout;
  limits.idle_timeout = flags_.web_idle_timeout;
  Result<std::unique_ptr<HttpServer>> http =
      HttpServer::Start(flags_.listen_address, std::move(routes), std::move(security), limits);
  if (!http.ok()) return http.status();
  http_ = std::move(http).value();
  spdlog::info("listening on {} (ports {}, {}{}), metrics at {}", flags_.listen_address,
               fmt::join(http_->Ports(), ","), tls ? "https" : "http", basic_auth ? ", basic auth" : "",
               flags_.telemetry_path);
  return Status::Ok();
}

void App::Reload() {
  ReloadWebConfig();
  if (flags_.config_file.empty() && flags_.tree_roots.empty()) {
    spdlog::info("SIGHUP: no --config.file to reload");
    return;
  }
  Result<std::vector<collectors::SubtreeSpec>> subtrees = LoadSubtrees(flags_);
  if (!subtrees.ok()) {
    spdlog::error("SIGHUP: keeping the running configuration: {}", subtrees.status().message());
    return;
  }
  if (tree_) tree_->Configure(std::move(subtrees).value());
  spdlog::info("SIGHUP: configuration reloaded");
}

// SIGHUP: re-reads --web.config.file (issue 16). A bad file keeps the running settings and says why.
void App::ReloadWebConfig() {
  if (flags_.web_config_file.empty() || !http_) return;
  Result<HttpSecurity> security = LoadWebSecurity(flags_);
  Status s = security.ok() ? http_->UpdateSecurity(std::move(security).value()) : security.status();
  if (!s.ok()) {
    spdlog::error("SIGHUP: keeping the running web configuration ({}): {}", flags_.web_config_file,
                  s.message());
    return;
  }
  spdlog::info("SIGHUP: web configuration reloaded from {}", flags_.web_config_file);
}

void App::SetMultiTarget(MultiTargetConfig config) {
  Result<server::ConnectString> hosts = server::ParseConnectString(flags_.zookeeper_hosts);
  targets_ = std::make_shared<TargetManager>(std::move(config),
                                             hosts.ok() ? CanonicalTarget(*hosts) : flags_.zookeeper_hosts);
}

void App::Shutdown() {
  if (shut_down_) return;
  shut_down_ = true;
  if (http_) http_->Stop();
  if (targets_) targets_->Stop();
  for (const auto& stop : stops_) {
    stop();  // the tree's refreshers, the canary (it writes through the session)
  }
  collectors_.Stop();  // joins the scrape workers: no collector runs past this point
  for (const auto& s : walk_sessions_) s->Stop();
  for (const auto& s : watch_sessions_) s->Stop();
  session_->Stop();
}

HttpResponse App::ServeMetrics(const HttpRequest& request) {
  const auto deadline = ScrapeDeadline(request, flags_.scrape_timeout);
  // Held until the body is serialised (and compressed): that is when a scrape holds its samples.
  const ScrapeGate::Slot slot = scrape_gate_.Acquire(deadline);
  if (!slot) {
    return {503,
            "text/plain; charset=utf-8",
            "too many concurrent scrapes: no slot freed before this scrape's deadline "
            "(--web.max-concurrent-scrapes)\n",
            {}};
  }
  return ExpositionResponse(collectors_.GatherText(deadline), request.accept_encoding);
}

HttpResponse App::ServeReady() const {
  const bool connected = session_->Connected();
  const bool walked = !tree_ || tree_->AllWalkedOnce();
  if (connected && walked) return {200, "text/plain; charset=utf-8", "ready\n", {}};
  std::string why = !connected ? "not connected to ZooKeeper\n" : "subtrees not walked yet\n";
  return {503, "text/plain; charset=utf-8", why, {}};
}

HttpResponse App::ServeLanding() const {
  LandingPageData data;
  data.version = collectors::ExporterVersion();
  data.zookeeper_hosts = flags_.zookeeper_hosts;
  data.telemetry_path = flags_.telemetry_path;
  data.session = session_->Stats();
  data.collectors = collectors_.LastResults();
  if (tree_) data.subtrees = tree_->Summaries();
  return {200, "text/html; charset=utf-8", RenderLandingPage(data), {}};
}

std::vector<int> App::Ports() const {
  return http_ ? http_->Ports() : std::vector<int>{};
}

bool App::Ready() const {
  return session_->Connected() && (!tree_ || tree_->AllWalkedOnce());
}

}  // namespace zkx::exporter
