#pragma once
// App: the exporter as one object, wired the way the binary runs it: the ZooKeeper session (and the extra
// walk sessions behind a reader pool, and the extra watch sessions behind zk::WatchShards), the collectors
// the registry enables (collectors/registry.h), the HTTP server with /metrics behind the scrape gate
// (--web.max-concurrent-scrapes), gzip and the scrape deadline, /probe for the multi-target modules,
// /healthz, /readyz and the landing page. exporter_app.cc runs it from the command line; tests construct it
// from Flags and use it as it is.
//
// Lifetime: Create -> [SetMultiTarget] -> Start -> ... -> Shutdown (also the destructor). Shutdown order:
// HTTP, targets, collectors' background work, the collector set's workers, the sessions. Thread-safety:
// Start, Reload and Shutdown from one thread (main's signal loop); the rest of the work happens on the HTTP
// server's and the collectors' threads.

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "base/status.h"
#include "collectors/collector_set.h"
#include "collectors/subtree_spec.h"
#include "exporter/flags.h"
#include "exporter/http_server.h"
#include "exporter/modules_config.h"
#include "exporter/scrape_gate.h"
#include "zk/reader_pool.h"
#include "zk/session.h"

namespace zkx::collectors {
class TreeCollector;
}

namespace zkx::exporter {

class TargetManager;

// The subtrees of --config.file and --tree.root (with --tree.refresh-interval / --tree.refresh-mode).
Result<std::vector<collectors::SubtreeSpec>> LoadSubtrees(const Flags& flags);

// TLS and basic auth for the HTTP endpoints from --web.config.file (none without it).
Result<HttpSecurity> LoadWebSecurity(const Flags& flags);

class App {
 public:
  // Creates the primary session, --zookeeper.walk-sessions - 1 walk sessions and --zookeeper.watch-sessions
  // - 1 watch sessions from `options` (not started).
  static Result<std::unique_ptr<App>> Create(Flags flags, zk::SessionOptions options);
  // `walk_sessions`: extra sessions that may share the walks' plain reads, started only when walks measure
  // that they pay (zk::ReaderPool::Spread::kMeasured). `watch_sessions`: extra sessions that
  // share watch mode's watches with the primary (zk/watch_shards.h).
  App(Flags flags, std::unique_ptr<zk::Session> session,
      std::vector<std::unique_ptr<zk::Session>> walk_sessions,
      std::vector<std::unique_ptr<zk::Session>> watch_sessions = {});
  ~App();
  App(const App&) = delete;
  App& operator=(const App&) = delete;

  // The multi-target endpoint's targets (before Start()).
  void SetMultiTarget(MultiTargetConfig config);
  // Starts the sessions, builds the enabled collectors for `subtrees` and starts serving on
  // --web.listen-address (port 0: any free port, see Ports()).
  Status Start(std::vector<collectors::SubtreeSpec> subtrees, HttpSecurity security);
  // SIGHUP: re-reads --web.config.file and the subtrees; a bad file keeps the running settings.
  void Reload();
  // Idempotent.
  void Shutdown();

  [[nodiscard]] std::vector<int> Ports() const;
  [[nodiscard]] zk::Session& session() { return *session_; }
  // What /readyz answers 200 to: connected, and every subtree walked once.
  [[nodiscard]] bool Ready() const;
  [[nodiscard]] std::vector<std::string> CollectorNames() const { return collectors_.Names(); }

 private:
  HttpResponse ServeMetrics(const HttpRequest& request);
  HttpResponse ServeReady() const;
  HttpResponse ServeLanding() const;
  void ReloadWebConfig();

  const Flags flags_;
  ScrapeGate scrape_gate_{flags_.max_concurrent_scrapes};
  std::unique_ptr<zk::Session> session_;
  std::vector<std::unique_ptr<zk::Session>> walk_sessions_;   // extra sessions for the walks' plain reads
  std::unique_ptr<zk::ReaderPool> reader_;                    // the primary and the walk sessions
  std::vector<std::unique_ptr<zk::Session>> watch_sessions_;  // extra sessions for watch mode's watches
  std::unique_ptr<zk::ZnodeReader>
      watch_reader_;  // zk::WatchShards over the primary and watch_sessions_, or null
  std::shared_ptr<collectors::TreeCollector> tree_;  // the "tree" collector when enabled (reload, /readyz)
  std::vector<std::function<void()>> stops_;         // the built collectors' background work
  collectors::CollectorSet collectors_;
  std::shared_ptr<TargetManager> targets_;  // /probe's targets
  std::unique_ptr<HttpServer> http_;
  bool shut_down_ = false;
};

}  // namespace zkx::exporter
