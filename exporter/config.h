#pragma once
// The YAML configuration file (--config.file) and how it combines with flags into the subtrees to walk.
//
// File format (every key optional; unknown keys are errors, reported with file and line):
//   defaults:                      # apply to every subtree below and to --tree.root subtrees
//     refresh_interval: 30s
//     max_depth: 64
//     max_znodes: 100000
//     max_in_flight: 2048          # most requests in flight for one walk (its window adapts below it)
//     walk_timeout: 60s
//     max_znode_series: 1000
//     refresh_mode: poll           # poll (walk every refresh_interval) or watch (watches; see README)
//     resync_interval: 10m         # watch mode: full resync period (also after reconnects)
//     acl_audit: false             # true: read every walked znode's ACL (one more request each)
//     acl_audit_max_znodes: 10000  # cap on ACL reads per walk
//   subtrees:
//     - root: /brokers
//       refresh_interval: 15s        # any key of `defaults` may be overridden per subtree
//       znode_patterns: ["/brokers/ids/*", "topics/*"]   # relative patterns are under `root`
//
// Validation: roots normalised (NormalizeZnodePath) and unique; patterns parse
// (collectors::ZnodePattern); durations parse (ParseDuration) and are > 0; caps > 0; max_depth >= 0.
// Thread-safety: pure functions over values.

#include <chrono>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "collectors/subtree_spec.h"

namespace zkx::exporter {

// The shortest refresh_interval / resync_interval (file) and --tree.refresh-interval (flag) accepted.
inline constexpr std::chrono::milliseconds kMinRefreshInterval{1000};
// InvalidArgument "<name>: <n>ms is below the floor of 1000ms (...)" when `interval` < kMinRefreshInterval.
Status CheckRefreshInterval(std::string_view name, std::chrono::milliseconds interval);

struct SubtreeDefaults {
  std::chrono::milliseconds refresh_interval{30000};
  zk::WalkLimits limits;  // max_depth 64, max_znodes 100000, max_in_flight 2048, timeout 60s
  std::size_t max_znode_series = 1000;
  std::optional<collectors::RefreshMode> refresh_mode;  // unset: --tree.refresh-mode, else poll
  std::chrono::milliseconds resync_interval{600000};
  bool acl_audit = false;                    // read ACLs after each full walk (see SubtreeSpec)
  std::size_t acl_audit_max_znodes = 10000;  // cap on ACL reads per walk
};

struct FileConfig {
  SubtreeDefaults defaults;
  std::vector<collectors::SubtreeSpec> subtrees;  // fully resolved: defaults applied, patterns resolved
  // Roots whose refresh_mode the file sets (in the subtree or in defaults): --tree.refresh-mode leaves them
  // be.
  std::set<std::string> roots_with_mode;
};

// Parses YAML text. `source_name` (a file path) prefixes error messages: "<source>:<line>: <problem>".
Result<FileConfig> ParseConfigYaml(std::string_view yaml_text, const std::string& source_name);
// Reads and parses the file at `path`; a missing or unreadable file is an InvalidArgument naming the path.
Result<FileConfig> LoadConfigFile(const std::string& path);

// The subtrees to walk: the file's subtrees, then one per --tree.root that the file does not already list,
// with the file's defaults (refresh interval overridden by --tree.refresh-interval when that flag was set).
// `flag_refresh_mode` (--tree.refresh-mode) is the mode of every subtree whose mode the file does not set.
// A --tree.root that is not a valid path is an InvalidArgument.
Result<std::vector<collectors::SubtreeSpec>> EffectiveSubtrees(
    const FileConfig& file, const std::vector<std::string>& tree_roots,
    std::optional<std::chrono::milliseconds> flag_refresh_interval,
    std::optional<collectors::RefreshMode> flag_refresh_mode = std::nullopt);

}  // namespace zkx::exporter
