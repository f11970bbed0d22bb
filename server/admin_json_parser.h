#pragma once
// Parsers for the AdminServer's JSON replies (3.5+: http://host:admin-port/commands/<name>). Pure; never
// throw (nlohmann-json is used without exceptions), never crash (fuzzed:
// tests/fuzz/admin_json_parser_fuzz.cc). Input above kMaxAdminJsonBytes or nested deeper than
// kMaxAdminJsonDepth is refused before parsing.
//
// Every reply carries "command" and "error"; a non-null "error" is returned as a FailedPrecondition-like
// InvalidArgument whose message starts with "admin: <command>: ".

#include <cstddef>
#include <string_view>

#include "base/status.h"
#include "server/server_report.h"
#include "server/watch_parser.h"

namespace zkx::server {

inline constexpr std::size_t kMaxAdminJsonBytes = 64u << 20;
inline constexpr int kMaxAdminJsonDepth = 32;

// /commands/monitor: {"version": "...", "server_state": "leader", "znode_count": 778, ...}. Numeric members
// become samples (names as sent, no "zk_" prefix); nested values are skipped (counted in skipped_lines).
Result<ServerReport> ParseAdminMonitor(std::string_view json);

// /commands/watch_summary: {"num_connections": 1, "num_paths": 5, "num_total_watches": 5, ...}.
Result<WatchSummary> ParseAdminWatchSummary(std::string_view json);

// /commands/watches_by_path: {"path_to_session_ids": {"/a": [sid, ...], ...}, ...}; filter and cap as
// ParseWchp.
Result<WatchesByPath> ParseAdminWatchesByPath(std::string_view json, const PathFilter& filter,
                                              std::size_t max_paths);

}  // namespace zkx::server
