#include "exporter/exporter_app.h"

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>

#include <spdlog/spdlog.h>

#include "collectors/build_info_collector.h"
#include "collectors/registry.h"
#include "exporter/app.h"
#include "exporter/config.h"
#include "exporter/flags.h"
#include "exporter/logging.h"
#include "exporter/modules_config.h"
#include "exporter/signals.h"
#include "server/admin_https.h"
#include "server/connect_string.h"
#include "zk/client_log.h"
#include "zk/digest_credentials.h"
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
  // Read once at start-up, before any thread that could setenv runs.
  // NOLINTNEXTLINE(concurrency-mt-unsafe)
  if (const char* env = std::getenv(kAuthEnvVar); env != nullptr && *env != '\0') {
    Result<zk::DigestCredentials> c = zk::ParseDigestCredentials(env);
    if (!c.ok()) return Status::InvalidArgument(std::string(kAuthEnvVar) + ": " + c.status().message());
    return std::optional<zk::DigestCredentials>(std::move(c).value());
  }
  return std::optional<zk::DigestCredentials>();
}

}  // namespace

int RunExporter(int argc, const char* const* argv) {
  Result<FlagsOutcome> parsed =
      ParseFlags(argc, argv, collectors::CollectorRegistry::Global().Defaults(), VersionText());
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
  Result<std::unique_ptr<App>> app = App::Create(flags, std::move(options));
  if (!app.ok()) return Fatal(app.status().message());
  spdlog::info("starting zookeeper_exporter {} (revision {}), ZooKeeper {}", collectors::ExporterVersion(),
               collectors::ExporterRevision(), flags.zookeeper_hosts);
  App& exporter = **app;
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
