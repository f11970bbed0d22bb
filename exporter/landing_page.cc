#include "exporter/landing_page.h"

#include <fmt/chrono.h>
#include <fmt/format.h>

namespace zkx::exporter {
namespace {

std::string FormatTime(std::chrono::system_clock::time_point t) {
  if (t.time_since_epoch().count() == 0) return "never";
  return fmt::format("{:%Y-%m-%d %H:%M:%S} UTC", std::chrono::floor<std::chrono::seconds>(t));
}

}  // namespace

std::string HtmlEscape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

std::string RenderLandingPage(const LandingPageData& d) {
  std::string h;
  auto out = std::back_inserter(h);
  fmt::format_to(out,
                 "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>ZooKeeper Exporter</title>\n"
                 "<style>body{{font-family:sans-serif;margin:2em}}table{{border-collapse:collapse}}"
                 "td,th{{border:1px solid #ccc;padding:4px 8px;text-align:left}}.ok{{color:#080}}"
                 ".bad{{color:#b00}}</style></head><body>\n"
                 "<h1>ZooKeeper Exporter</h1>\n<p>Version {} &middot; <a href=\"{}\">Metrics</a> &middot; "
                 "<a href=\"/healthz\">Health</a> &middot; <a href=\"/readyz\">Readiness</a></p>\n",
                 HtmlEscape(d.version), HtmlEscape(d.telemetry_path), HtmlEscape(d.telemetry_path));

  const bool connected =
      d.session.state == zk::SessionState::kConnected || d.session.state == zk::SessionState::kReadOnly;
  fmt::format_to(
      out,
      "<h2>Session</h2>\n<table><tr><th>Ensemble</th><td>{}</td></tr>\n"
      "<tr><th>State</th><td class=\"{}\">{}</td></tr>\n"
      "<tr><th>Since</th><td>{}</td></tr>\n<tr><th>Negotiated timeout</th><td>{} ms</td></tr>\n"
      "<tr><th>Connects / disconnects / expirations / auth failures</th><td>{} / {} / {} / {}</td></tr>"
      "</table>\n",
      HtmlEscape(d.zookeeper_hosts), connected ? "ok" : "bad", zk::SessionStateName(d.session.state),
      FormatTime(d.session.last_state_change), d.session.negotiated_timeout.count(), d.session.connects_total,
      d.session.disconnects_total, d.session.expirations_total, d.session.auth_failures_total);

  fmt::format_to(out,
                 "<h2>Collectors</h2>\n<table><tr><th>Collector</th><th>Last scrape</th><th>Duration</th>"
                 "<th>Result</th></tr>\n");
  if (d.collectors.empty()) fmt::format_to(out, "<tr><td colspan=\"4\">not scraped yet</td></tr>\n");
  for (const auto& c : d.collectors) {
    fmt::format_to(out, "<tr><td>{}</td><td>{}</td><td>{:.4f} s</td><td class=\"{}\">{}</td></tr>\n",
                   HtmlEscape(c.name), FormatTime(c.at), c.duration_seconds, c.success ? "ok" : "bad",
                   c.success ? std::string("success") : HtmlEscape(c.error));
  }
  fmt::format_to(out, "</table>\n");

  fmt::format_to(out,
                 "<h2>Subtrees</h2>\n<table><tr><th>Root</th><th>Znodes</th><th>Data bytes</th>"
                 "<th>Ephemerals</th><th>Last walk</th><th>Walk time</th><th>Latest attempt</th></tr>\n");
  if (d.subtrees.empty()) fmt::format_to(out, "<tr><td colspan=\"7\">no subtree configured</td></tr>\n");
  for (const auto& s : d.subtrees) {
    const auto& snap = s.view->last_success;
    fmt::format_to(out, "<tr><td>{}</td>", HtmlEscape(s.root));
    if (snap) {
      fmt::format_to(out, "<td>{}{}</td><td>{}</td><td>{}</td><td>{}</td><td>{:.3f} s</td>",
                     snap->root_exists ? std::to_string(snap->znodes) : std::string("root missing"),
                     snap->truncated() ? " (truncated)" : "", snap->data_bytes, snap->ephemeral_znodes,
                     FormatTime(snap->completed_at), std::chrono::duration<double>(snap->duration).count());
    } else {
      fmt::format_to(out, "<td colspan=\"5\">not walked yet</td>");
    }
    const bool ok = s.view->refreshes_total > 0 && s.view->last_status.ok();
    fmt::format_to(out, "<td class=\"{}\">{}</td></tr>\n", ok ? "ok" : "bad",
                   s.view->refreshes_total == 0
                       ? std::string("pending")
                       : (ok ? std::string("ok") : HtmlEscape(s.view->last_status.ToString())));
  }
  fmt::format_to(out, "</table>\n</body></html>\n");
  return h;
}

}  // namespace zkx::exporter
