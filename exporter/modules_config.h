#pragma once
// The multi-target part of the config file (--config.file): /probe's modules and its allow-list.
//
//   modules:                        # /probe?module=<name>; each module is what one target's session runs
//     default:
//       defaults: {refresh_mode: poll, refresh_interval: 30s}   # the grammar of exporter/config.h
//       subtrees: [{root: /}]       # none given: `/` with the module's defaults
//       collectors: [tree, session, server]   # any of tree, session, server, watches (default: these three)
//       auth_file: /etc/zk/digest   # digest "user:password" from a file (never from the URL); "" = none
//       session_timeout: 30s
//       max_in_flight: 256          # requests in flight on the target's session
//       max_watch_bytes: 524288     # watched path bytes for this target's watch-mode subtrees
//       server: {admin_port: 8080, timeout: 2s}   # the server collector's probes of the target's servers
//   multi_target:
//     default_module: default       # the module used when the URL gives none
//     max_targets: 200              # live (target, module) pairs; more are refused with 503
//     idle_timeout: 10m             # a target nobody scraped for this long is dropped
//     targets: ["zk-a:2181/kafka"]  # always admitted (exact connect strings)
//     allow:                        # a target is admitted when EVERY server matches one rule
//       - hosts: ["127.0.0.1", "*.zookeeper.svc.cluster.local"]   # globs: '*' any run, '?' one char
//         cidrs: ["10.0.0.0/8", "::1/128"]   # IP literals only: names are never resolved to match
//         ports: [2181, "2000-2999"]         # omitted: any port
//
// Without `allow`, only `targets` and the static --zookeeper.hosts are admitted. Without `modules`, /probe
// has one module, "default", built from the file's top-level defaults and subtrees (else `/` polled).
// Validation at load: every error is "<file>:<line>: <problem>".
// Thread-safety: values and pure functions.

#include <array>
#include <chrono>
#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "collectors/server_collector.h"
#include "collectors/subtree_spec.h"
#include "collectors/watch_budget.h"
#include "server/connect_string.h"
#include "zk/session.h"

namespace zkx::exporter {

struct ModuleConfig {
  std::string name;
  std::vector<collectors::SubtreeSpec> subtrees;  // resolved, never empty
  std::set<std::string> collectors{"tree", "session", "server"};
  std::string auth_file;  // "" = no credentials
  std::chrono::milliseconds session_timeout = zk::SessionOptions{}.session_timeout;
  std::size_t max_in_flight = 256;
  std::size_t max_watch_bytes = collectors::WatchBudget::kDefaultLimit;
  uint16_t server_admin_port = collectors::ServerProbeOptions{}.admin_port;  // the --server.* defaults
  std::chrono::milliseconds server_timeout = collectors::ServerProbeOptions{}.timeout;
};

struct Cidr {
  std::array<uint8_t, 16> address{};  // IPv4 as ::ffff:a.b.c.d
  int prefix_bits = 0;                // of the 128-bit form
};

struct PortRange {
  uint16_t first = 1;
  uint16_t last = 65535;
};

struct AllowRule {
  std::vector<std::string> host_globs;
  std::vector<Cidr> cidrs;
  std::vector<PortRange> ports;  // empty: any port
};

struct MultiTargetConfig {
  std::map<std::string, ModuleConfig> modules;  // never empty after parsing
  std::string default_module = "default";
  std::size_t max_targets = 200;
  std::chrono::milliseconds idle_timeout{600000};
  std::vector<std::string> known_targets;  // canonical connect strings (CanonicalTarget)
  std::vector<AllowRule> allow;
  bool has_allow_list = false;
};

// Parses the `modules` and `multi_target` sections of a config file's text (the rest is exporter/config.h's).
// `fallback_subtrees`: the static configuration's subtrees, used for the implicit default module.
Result<MultiTargetConfig> ParseMultiTargetYaml(std::string_view yaml_text, const std::string& source_name,
                                               const std::vector<collectors::SubtreeSpec>& fallback_subtrees);
Result<MultiTargetConfig> LoadMultiTargetConfig(
    const std::string& path, const std::vector<collectors::SubtreeSpec>& fallback_subtrees);
// The config with no file: one default module walking `fallback_subtrees` (or `/`), no allow-list.
MultiTargetConfig DefaultMultiTargetConfig(const std::vector<collectors::SubtreeSpec>& fallback_subtrees);

// Each module's auth_file must read and parse (zk::LoadDigestCredentialsFile): a startup / --config.check
// error naming the module, never the file's content.
Status CheckModuleFiles(const MultiTargetConfig& config);
// The --config.check summary: modules, allow rules, limits (no secrets).
std::string DescribeMultiTarget(const MultiTargetConfig& config);

// "h1:p1,h2:p2/chroot" with ports made explicit, in the order given: the key of a target.
std::string CanonicalTarget(const server::ConnectString& target);

// Whether the allow-list admits `target`: OK, or PermissionDenied with a one-line reason naming the first
// server no rule admits. `static_hosts` (--zookeeper.hosts, canonical) is admitted like `known_targets`.
Status CheckTargetAllowed(const MultiTargetConfig& config, const server::ConnectString& target,
                          const std::string& static_hosts);

// Glob match: '*' any run of characters (including none), '?' exactly one; case-insensitive (host names).
bool HostGlobMatch(std::string_view glob, std::string_view host);

}  // namespace zkx::exporter
