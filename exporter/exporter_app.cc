#include "exporter/exporter_app.h"

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>

#include <spdlog/spdlog.h>

#include "collectors/build_info_collector.h"
#include "collectors/collector_set.h"
#include "collectors/probe_collector.h"
#include "collectors/process_collector.h"
#include "collectors/server_collector.h"
#include "collectors/session_collector.h"
#include "collectors/tree_collector.h"
#include "collectors/watches_collector.h"
#include "exporter/allocator_tuning.h"
#include "exporter/config.h"
#include "exporter/exposition_response.h"
#include "exporter/flags.h"
#include "exporter/http_server.h"
#include "exporter/landing_page.h"
#include "exporter/logging.h"
#include "exporter/modules_config.h"
#include "exporter/probe_handler.h"
#include "exporter/scrape_gate.h"
#include "exporter/signals.h"
#include "exporter/target_manager.h"
#include "exporter/web_config.h"
#include "server/admin_https.h"
#include "server/connect_string.h"
#include "zk/client_log.h"
#include "zk/digest_credentials.h"
#include "zk/reader_pool.h"
#include "zk/session.h"
#include "zk/xid_budget.h"

namespace zkx::exporter {
namespace {

constexpr const char* kAuthEnvVar = "ZOOKEEPER_EXPORTER_AUTH";

std::string VersionText() {
  return std::string("zookeeper_exporter, version ") + collectors::ExporterVersion() +
         " (revision: " + collectors::ExporterRevision() + ")\n  zookeeper C client: " + zk::ClientVersion() +
         (ZKX_ZOOKEEPER_HAS_SSL ? " (TLS: yes" : " (TLS: no") +
         (ZKX_ZOOKEEPER_HAS_SASL ? ", SASL: yes)\n" : ", SASL: no)\n");
}

// TLS and basic auth for the HTTP endpoints from --web.config.file (none without it). Startup-fatal on error.
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

// A startup error: exactly one line on stderr (the same line --config.check prints), exit code 1.
int Fatal(const std::string& message) {
  spdlog::default_logger()->flush();
  std::fprintf(stderr, "zookeeper_exporter: %s\n", message.c_str());
  return 1;
}

// Digest credentials from --zookeeper.auth-file, else from $ZOOKEEPER_EXPORTER_AUTH, else none.
Result<std::optional<zk::DigestCredentials>> LoadCredentials(const Flags& flags) {
  if (!flags.auth_file.empty()) {
    Result<zk::DigestCredentials> c = zk::LoadDigestCredentialsFile(flags.auth_file);
    if (!c.ok()) return c.status();
    return std::optional<zk::DigestCredentials>(std::move(c).value());
  }
  if (const char* env = std::getenv(kAuthEnvVar); env != nullptr && *env != '\0') {
    Result<zk::DigestCredentials> c = zk::ParseDigestCredentials(env);
    if (!c.ok()) return Status::InvalidArgument(std::string(kAuthEnvVar) + ": " + c.status().message());
    return std::optional<zk::DigestCredentials>(std::move(c).value());
  }
  return std::optional<zk::DigestCredentials>();
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

// The collectors --collector.X / --no-collector.X switch, and whether each is on by default: the one place
// these defaults are written (the flags' help and Exporter::Start both read them here).
const std::map<std::string, bool>& CollectorDefaults() {
  // "probe" is the write canary's old name: --[no-]collector.probe still counts when --[no-]collector.canary
  // is not given (/probe is now the multi-target endpoint).
  static const std::map<std::string, bool> kDefaults = {
      {"canary", false}, {"probe", false}, {"process", true}, {"server", true},
      {"session", true}, {"tree", true},   {"watches", true}};
  return kDefaults;
}

class Exporter {
 public:
  // `walk_sessions`: extra sessions that share the walks' plain reads (--zookeeper.walk-sessions - 1).
  Exporter(Flags flags, std::unique_ptr<zk::Session> session,
           std::vector<std::unique_ptr<zk::Session>> walk_sessions)
      : flags_(std::move(flags)), session_(std::move(session)), walk_sessions_(std::move(walk_sessions)) {
    std::vector<zk::Session*> extras;
    for (const auto& s : walk_sessions_) extras.push_back(s.get());
    reader_ = std::make_unique<zk::ReaderPool>(session_.get(), std::move(extras));
  }

  Status Start(std::vector<collectors::SubtreeSpec> subtrees, HttpSecurity security) {
    session_->Start();
    for (const auto& s : walk_sessions_) s->Start();
    zk::Session* session = session_.get();
    const auto enabled = [&](const char* name) {
      const bool by_default = CollectorDefaults().at(name);
      auto it = flags_.collector_overrides.find(name);
      return it == flags_.collector_overrides.end() ? by_default : it->second;
    };
    std::vector<std::string> subtree_roots;  // for the watches collector's per-path filter
    for (const auto& spec : subtrees) subtree_roots.push_back(spec.root);
    if (enabled("tree")) {
      tree_ = std::make_shared<collectors::TreeCollector>(
          reader_.get(), [session] { return session->Connected(); }, flags_.max_watch_bytes,
          session->ChrootLength());
      tree_->Configure(std::move(subtrees));
      collectors_.Add("tree", tree_);
      if (tree_->Summaries().empty()) {
        spdlog::warn("no subtree configured: use --tree.root or --config.file to walk subtrees");
      }
    }
    if (enabled("session")) {
      collectors_.Add(
          "session", std::make_shared<collectors::SessionCollector>(collectors::SessionCollector::Source{
                         [session] { return session->Stats(); }, [session] { return session->InFlight(); }}));
    }
    if (enabled("server") || enabled("watches")) {
      // The server and watches collectors probe every server of --zookeeper.hosts (sidecar: the local one).
      Result<server::ConnectString> hosts =
          server::ParseConnectString(flags_.zookeeper_hosts);  // checked at startup
      if (!hosts.ok()) return Status::InvalidArgument("--zookeeper.hosts: " + hosts.status().message());
      if (enabled("server")) {
        collectors_.Add("server", std::make_shared<collectors::ServerCollector>(
                                      hosts->servers, collectors::ServerProbeOptions{flags_.server_admin_port,
                                                                                     flags_.server_timeout}));
      }
      if (enabled("watches")) {
        collectors::WatchesOptions w;
        w.admin_port = flags_.server_admin_port;
        w.timeout = flags_.server_timeout;
        w.per_path = flags_.watches_per_path;
        w.max_paths = flags_.watches_max_paths;
        w.roots = collectors::ServerSideRoots(subtree_roots, hosts->chroot);
        collectors_.Add("watches",
                        std::make_shared<collectors::WatchesCollector>(hosts->servers, std::move(w)));
      }
    }
    if (enabled("process")) collectors_.Add("process", std::make_shared<collectors::ProcessCollector>());
    // The write canary, formerly the "probe" collector (/probe is now the multi-target endpoint):
    // --collector.probe / --no-collector.probe still count when --[no-]collector.canary is not given.
    const bool canary = flags_.collector_overrides.count("canary") > 0 ? enabled("canary") : enabled("probe");
    if (canary) {
      collectors::ProbeOptions p;
      p.parent = flags_.probe_path;
      p.interval = flags_.probe_interval;
      p.timeout = flags_.probe_timeout;
      probe_ = std::make_shared<collectors::ProbeCollector>(session, std::move(p),
                                                            [session] { return session->Connected(); });
      probe_->Start();
      collectors_.Add("canary", probe_);
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

  void Reload() {
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
  void ReloadWebConfig() {
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

  // The multi-target endpoint's targets (call before Start()).
  void SetMultiTarget(MultiTargetConfig config) {
    Result<server::ConnectString> hosts = server::ParseConnectString(flags_.zookeeper_hosts);
    targets_ = std::make_shared<TargetManager>(std::move(config),
                                               hosts.ok() ? CanonicalTarget(*hosts) : flags_.zookeeper_hosts);
  }

  void Shutdown() {
    if (http_) http_->Stop();
    if (targets_) targets_->Stop();
    if (tree_) tree_->Stop();
    if (probe_) probe_->Stop();  // before the session: its writes go through it
    collectors_.Stop();          // joins the scrape workers: no collector runs past this point
    for (const auto& s : walk_sessions_) s->Stop();
    session_->Stop();
  }

 private:
  HttpResponse ServeMetrics(const HttpRequest& request) {
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
    auto families = collectors_.Gather(deadline);
    return ExpositionResponse(std::move(families), request.accept_encoding);  // frees them as it writes
  }

  HttpResponse ServeReady() const {
    const bool connected = session_->Connected();
    const bool walked = !tree_ || tree_->AllWalkedOnce();
    if (connected && walked) return {200, "text/plain; charset=utf-8", "ready\n", {}};
    std::string why = !connected ? "not connected to ZooKeeper\n" : "subtrees not walked yet\n";
    return {503, "text/plain; charset=utf-8", why, {}};
  }

  HttpResponse ServeLanding() const {
    LandingPageData data;
    data.version = collectors::ExporterVersion();
    data.zookeeper_hosts = flags_.zookeeper_hosts;
    data.telemetry_path = flags_.telemetry_path;
    data.session = session_->Stats();
    data.collectors = collectors_.LastResults();
    if (tree_) data.subtrees = tree_->Summaries();
    return {200, "text/html; charset=utf-8", RenderLandingPage(data), {}};
  }

  const Flags flags_;
  ScrapeGate scrape_gate_{flags_.max_concurrent_scrapes};
  std::unique_ptr<zk::Session> session_;
  std::vector<std::unique_ptr<zk::Session>> walk_sessions_;  // extra sessions for the walks' plain reads
  std::unique_ptr<zk::ReaderPool> reader_;                   // the primary and the walk sessions
  std::shared_ptr<collectors::TreeCollector> tree_;
  std::shared_ptr<collectors::ProbeCollector> probe_;  // only with --collector.probe
  collectors::CollectorSet collectors_;
  std::shared_ptr<TargetManager> targets_;  // /probe's targets
  std::unique_ptr<HttpServer> http_;
};

}  // namespace

int RunExporter(int argc, const char* const* argv) {
  Result<FlagsOutcome> parsed = ParseFlags(argc, argv, CollectorDefaults(), VersionText());
  if (!parsed.ok()) {
    std::fprintf(stderr, "zookeeper_exporter: %s\n", parsed.status().message().c_str());
    return 1;
  }
  if (parsed->action == FlagsOutcome::Action::kExit) {
    std::fputs(parsed->output.c_str(), stdout);
    return 0;
  }
  Flags flags = std::move(parsed).value().flags;

  if (Status s = SetupLogging(flags.log_level, flags.log_format); !s.ok()) return Fatal(s.message());
  for (int i = 1; i < argc; ++i) {  // the write canary's old flag names (it was the "probe" collector)
    const std::string_view arg = argv[i];
    if (arg.rfind("--probe.", 0) == 0 || arg.rfind("--collector.probe", 0) == 0 ||
        arg.rfind("--no-collector.probe", 0) == 0) {
      spdlog::warn(
          "{} is deprecated: the probe collector is now the canary collector (--collector.canary, "
          "--canary.path, --canary.interval, --canary.timeout)",
          std::string(arg.substr(0, arg.find('='))));
    }
  }

  // Everything a real start reads or parses is checked here, before --config.check answers (edgecore).
  Result<server::ConnectString> connect = server::ParseConnectString(flags.zookeeper_hosts);
  if (!connect.ok()) return Fatal("--zookeeper.hosts: " + connect.status().message());
  Result<std::vector<collectors::SubtreeSpec>> subtrees = LoadSubtrees(flags);
  if (!subtrees.ok()) return Fatal(subtrees.status().message());
  Result<HttpSecurity> web_security = LoadWebSecurity(flags);
  if (!web_security.ok()) return Fatal(web_security.status().message());
  Result<std::optional<zk::DigestCredentials>> credentials = LoadCredentials(flags);
  if (!credentials.ok()) return Fatal(credentials.status().message());
  Result<MultiTargetConfig> multi_target = flags.config_file.empty()
                                               ? DefaultMultiTargetConfig(*subtrees)
                                               : LoadMultiTargetConfig(flags.config_file, *subtrees);
  if (!multi_target.ok()) return Fatal(multi_target.status().message());
  if (Status s = CheckModuleFiles(*multi_target); !s.ok()) return Fatal(s.message());
  Result<zk::SecurityOptions> security = BuildSecurityOptions(flags.security);  // TLS / SASL to ZooKeeper
  if (!security.ok()) return Fatal(security.status().message());
  // AdminServer over HTTPS (--server.admin-https, --server.admin-tls.*): process-wide, for every target.
  Result<std::optional<server::AdminTlsOptions>> admin_tls = BuildAdminTlsOptions(flags.security);
  if (!admin_tls.ok()) return Fatal(admin_tls.status().message());
  if (admin_tls->has_value()) {
    if (Status s = server::EnableAdminHttps(**admin_tls); !s.ok()) return Fatal(s.message());
    if ((*admin_tls)->insecure_skip_verify) {
      spdlog::warn(
          "--server.admin-tls.insecure-skip-verify: the AdminServers' certificates and names are NOT "
          "verified");
    }
  }
  if (flags.config_check) {
    std::printf("configuration OK: %zu subtree(s)\n", subtrees->size());
    for (const auto& s : *subtrees) {
      std::printf("  %s %s mode, every %lldms, max depth %d, max znodes %zu, %zu pattern(s)\n",
                  s.root.c_str(), collectors::RefreshModeName(s.refresh_mode),
                  static_cast<long long>(s.refresh_interval.count()), s.limits.max_depth, s.limits.max_znodes,
                  s.znode_patterns.size());
    }
    std::fputs(DescribeMultiTarget(*multi_target).c_str(), stdout);
    return 0;
  }

  zk::InstallClientLogBridge(spdlog::default_logger());
  zk::SessionOptions options;
  options.hosts = server::ClientConnectString(*connect);  // validated above; IPv6 in the C client's form
  options.session_timeout = flags.session_timeout;
  options.credentials = std::move(credentials).value();
  options.max_in_flight = flags.max_in_flight;
  options.security = std::move(security).value();
  std::vector<std::unique_ptr<zk::Session>> walk_sessions;
  for (std::size_t i = 1; i < flags.walk_sessions; ++i) {
    Result<std::unique_ptr<zk::Session>> extra = zk::Session::Create(options);
    if (!extra.ok()) return Fatal(extra.status().message());
    walk_sessions.push_back(std::move(extra).value());
  }
  Result<std::unique_ptr<zk::Session>> session = zk::Session::Create(std::move(options));
  if (!session.ok()) return Fatal(session.status().message());

  spdlog::info("starting zookeeper_exporter {} (revision {}), ZooKeeper {}", collectors::ExporterVersion(),
               collectors::ExporterRevision(), flags.zookeeper_hosts);
  Exporter exporter(flags, std::move(session).value(), std::move(walk_sessions));
  exporter.SetMultiTarget(std::move(multi_target).value());
  if (Status s = exporter.Start(std::move(subtrees).value(), std::move(web_security).value()); !s.ok()) {
    exporter.Shutdown();
    return Fatal(s.message());
  }

  for (;;) {
    const SignalEvent event = WaitForSignal(std::chrono::seconds(1));
    if (event == SignalEvent::kTerminate) break;
    if (event == SignalEvent::kReload) exporter.Reload();
    if (zk::ProcessXidBudget().Exhausted()) {  // issue 17: ZOOKEEPER-3286, see zk/xid_budget.h
      spdlog::error(
          "exiting for a restart: {} ZooKeeper requests issued, the C client's process-wide xid is {} "
          "requests from the values it cannot tell from pings and watch events",
          zk::ProcessXidBudget().Issued(), zk::ProcessXidBudget().Remaining());
      break;
    }
  }
  spdlog::info("shutting down");
  exporter.Shutdown();
  spdlog::info("stopped");
  FlushLogSummaries();
  spdlog::shutdown();
  return 0;
}

}  // namespace zkx::exporter
