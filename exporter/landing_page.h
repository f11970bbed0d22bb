#pragma once
// The landing page at "/": at a glance, the session, each collector's last result and each subtree's size,
// with links to the endpoints. Pure rendering from values: thread-safe.

#include <string>
#include <vector>

#include "collectors/collector_set.h"
#include "collectors/tree_collector.h"
#include "zk/session_state.h"

namespace zkx::exporter {

struct LandingPageData {
  std::string version;
  std::string zookeeper_hosts;  // connect string (no credentials ever live there)
  std::string telemetry_path;
  zk::SessionStats session;
  std::vector<collectors::CollectorResult> collectors;
  std::vector<collectors::SubtreeSummary> subtrees;
};

std::string RenderLandingPage(const LandingPageData& data);
// Escapes &, <, >, " and ' for HTML text and attribute values.
std::string HtmlEscape(std::string_view text);

}  // namespace zkx::exporter
