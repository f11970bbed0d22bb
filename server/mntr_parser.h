#pragma once
// ParseMntr: the `mntr` four-letter word's text -> ServerReport. Pure; never throws, never crashes (fuzzed:
// tests/fuzz/mntr_parser_fuzz.cc).
//
// Accepted lines ("\n" or "\r\n"; key and value separated by a tab, or spaces):
//   zk_version\t3.4.14-4c25d480..., built on 03/06/2019 16:18 GMT     (string keys: version, server_state)
//   zk_znode_count\t778                                               (numeric keys, integer or decimal)
//   zk_x_latency{quantile="0.5",key="v"} 3                            (3.6+ labelled keys: name + labels)
// Anything else (garbage, values that are not finite numbers, out-of-range values, keys with characters
// outside [A-Za-z0-9_:] or malformed labels) is skipped and counted in ServerReport::skipped_lines.
// Fails (InvalidArgument) only when no key at all could be read, e.g. an empty reply or the whitelist text.

#include <string_view>

#include "base/status.h"
#include "server/server_report.h"

namespace zkx::server {

Result<ServerReport> ParseMntr(std::string_view text);

// Parses a finite number ("12", "-1", "0.9167", "1e3"); false for anything else (including "nan", "inf",
// trailing characters, values outside double's range).
bool ParseFiniteNumber(std::string_view text, double* out);

// Parses `{a="x",b="y\"z"}` (the braces included) into labels; false when malformed.
bool ParseLabelSet(std::string_view text, std::vector<std::pair<std::string, std::string>>* out);

// True for [A-Za-z_:][A-Za-z0-9_:]*.
bool IsMetricNameLike(std::string_view name);

}  // namespace zkx::server
