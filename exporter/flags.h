#pragma once
// Command-line flags, Prometheus style (--zookeeper.hosts=..., --web.listen-address=..., durations "30s").
// Parsed with CLI11. Secrets never come from flags: --zookeeper.auth-file names a file, and the
// ZOOKEEPER_EXPORTER_AUTH environment variable ("user:password") is read by the application, not here.

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "base/status.h"
#include "collectors/registry.h"
#include "collectors/watch_budget.h"
#include "exporter/security_flags.h"
#include "zk/session.h"

namespace zkx::exporter {

struct Flags {
  std::string zookeeper_hosts = "127.0.0.1:2181";  // --zookeeper.hosts
  std::chrono::milliseconds session_timeout =
      zk::SessionOptions{}.session_timeout;                        // --zookeeper.session-timeout
  std::string auth_file;                                           // --zookeeper.auth-file ("" = none)
  std::size_t max_in_flight = zk::SessionOptions{}.max_in_flight;  // --zookeeper.max-in-flight
  // --zookeeper.walk-sessions: the most sessions walks spread their plain reads over. The exporter starts on
  // one, opens more only when a busy walk tries them, and uses them while they measure faster
  // (zk/walk_session_count.h), so a poll of small subtrees keeps one connection. 4: 1.6-1.8x one session's
  // rate at 100,000 znodes and more, on a 2-core loopback ensemble.
  std::size_t walk_sessions = 4;
  // --zookeeper.watch-sessions: sessions that share watch mode's watches, each with a SetWatches of its own
  // under --zookeeper.max-watch-bytes. 4: ~43,000 znodes of ~20-byte paths stay in watch mode at the default
  // budget, for 3 extra idle connections (a ping every few seconds each) on the ensemble.
  std::size_t watch_sessions = 4;
  std::string config_file;              // --config.file ("" = none)
  bool config_check = false;            // --config.check
  std::vector<std::string> tree_roots;  // --tree.root (repeatable)
  std::optional<std::chrono::milliseconds>
      tree_refresh_interval;  // --tree.refresh-interval (set only if given)
  std::string
      tree_refresh_mode;  // --tree.refresh-mode: "poll" or "watch" ("" = not given: the file's, else poll)
  std::size_t max_watch_bytes = collectors::WatchBudget::kDefaultLimit;  // --zookeeper.max-watch-bytes
                                                                         // (watched path bytes, per session)
  std::string listen_address = ":9141";                                  // --web.listen-address ([host]:port)
  std::string telemetry_path = "/metrics";                               // --web.telemetry-path
  std::chrono::milliseconds scrape_timeout{10000};  // --web.scrape-timeout (collector deadline)
  std::size_t max_concurrent_scrapes =
      2;                        // --web.max-concurrent-scrapes (more wait their turn; bounds memory)
  std::string web_config_file;  // --web.config.file (TLS, basic auth; "" = none)
  // The HTTP edge (issue 16): connections served at once (one CivetWeb worker each), and how long a client
  // may take to send a request head or stay idle between requests before it is cut off.
  int web_max_connections = 1024;                            // --web.max-connections
  std::chrono::milliseconds web_read_header_timeout{10000};  // --web.read-header-timeout
  std::chrono::milliseconds web_idle_timeout{60000};         // --web.idle-timeout
  std::string log_level = "info";                            // --log.level: debug|info|warn|error
  std::string log_format = "logfmt";                         // --log.format: logfmt|json
  SecurityFlags security;  // --zookeeper.tls.* and --zookeeper.sasl.* (exporter/security_flags.h)
  // --collector.<name> / --no-collector.<name>: only names given on the command line appear here.
  std::map<std::string, bool> collector_overrides;
  // The flags the collectors declare (collectors/registry.h: --server.*, --watches.*, --canary.*), parsed.
  collectors::FlagValues collector_flags = collectors::FlagValues::Defaults();
};

struct FlagsOutcome {
  enum class Action { kRun, kExit };  // kExit: --help or --version was printed; exit 0
  Action action = Action::kRun;
  Flags flags;
  std::string output;  // text to print for kExit (help or version)
};

// Each default is written once: in the field initialisers above (the help shows them), or in a collector's
// registration.
// Parses argv. `collector_defaults` are the known collectors (each gets --collector.X and --no-collector.X,
// with `collector_defaults[X]` shown in help; the app passes CollectorRegistry::Defaults()). The flags of
// every registered collector are parsed into Flags::collector_flags, checked by their kind and their own
// check. Errors are InvalidArgument with CLI11's message naming the flag; durations are validated with
// ParseDuration, the log level and format against their allowed values, the telemetry path must start with
// '/'.
Result<FlagsOutcome> ParseFlags(int argc, const char* const* argv,
                                const std::map<std::string, bool>& collector_defaults,
                                const std::string& version_text);

}  // namespace zkx::exporter
