#pragma once
// Parsers for the watch four-letter words' text. Pure; never throw.
//   wchs: "1 connections watching 5 paths\nTotal watches:5\n"
//   wchp: a path per line, followed by one "\t0x<session id>" line per session watching it.

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>

#include "base/status.h"
#include "server/server_report.h"

namespace zkx::server {

// Accepts the paths to keep (e.g. "inside a configured subtree").
using PathFilter = std::function<bool(std::string_view path)>;

// InvalidArgument when the "connections watching" or "Total watches" line is missing or not numeric.
Result<WatchSummary> ParseWchs(std::string_view text);

// Keeps the first `max_paths` paths that `filter` accepts (counts the rest in `matched`, sets `truncated`).
// InvalidArgument when a session line comes before any path line or the text is the whitelist refusal.
Result<WatchesByPath> ParseWchp(std::string_view text, const PathFilter& filter, std::size_t max_paths);

}  // namespace zkx::server
