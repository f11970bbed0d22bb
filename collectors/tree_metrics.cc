#include "collectors/tree_metrics.h"

#include <cinttypes>
#include <cstdio>

#include "collectors/family_builder.h"

namespace zkx::collectors {
namespace {

using prometheus::MetricFamily;
using prometheus::MetricType;

std::string SessionIdHex(int64_t id) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "0x%" PRIx64, static_cast<uint64_t>(id));
  return buf;
}

double Seconds(std::chrono::nanoseconds d) {
  return std::chrono::duration<double>(d).count();
}
double MillisToSeconds(int64_t ms) {
  return static_cast<double>(ms) / 1000.0;
}

// Families in exposition order. Indexes into the vector built by BuildTreeFamilies.
enum Family : std::size_t {
  kZnodes,
  kDataBytes,
  kEphemerals,
  kMaxDepth,
  kLargestBytes,
  kLargestInfo,
  kRootExists,
  kTruncated,
  kSeriesTruncated,
  kSkipped,
  kLastRefresh,
  kRefreshDuration,
  kLastSuccess,
  kRefreshes,
  kRefreshFailures,
  kInterval,
  kZChildren,
  kZDataBytes,
  kZVersion,
  kZCversion,
  kZAversion,
  kZCtime,
  kZMtime,
  kZEphemeral,
  kZOwner,
  kMode,
  kChanges,
  kWatchedBytes,
  kAclAudited,
  kAclTruncated,
  kAclWorldReadable,
  kAclWorldWritable,
  kAclScheme,
  kFamilyCount
};

std::vector<MetricFamily> EmptyFamilies() {
  std::vector<MetricFamily> f(kFamilyCount);
  const auto g = MetricType::Gauge;
  const auto c = MetricType::Counter;
  f[kZnodes] = MakeFamily("zookeeper_subtree_znodes",
                          "Znodes in the subtree, the root included, as of the last successful walk.", g);
  f[kDataBytes] = MakeFamily("zookeeper_subtree_data_bytes",
                             "Sum of the data sizes of the subtree's znodes, in bytes.", g);
  f[kEphemerals] = MakeFamily("zookeeper_subtree_ephemeral_znodes", "Ephemeral znodes in the subtree.", g);
  f[kMaxDepth] = MakeFamily("zookeeper_subtree_max_depth",
                            "Depth of the deepest znode walked, relative to the root (the root is 0).", g);
  f[kLargestBytes] = MakeFamily(
      "zookeeper_subtree_largest_znode_bytes",
      "Data size of the subtree's largest znode, in bytes (ZooKeeper's default limit is 1 MiB).", g);
  f[kLargestInfo] = MakeFamily("zookeeper_subtree_largest_znode_info",
                               "The path of the subtree's largest znode; always 1.", g);
  f[kRootExists] =
      MakeFamily("zookeeper_subtree_root_exists", "1 if the subtree's root znode exists, 0 if not.", g);
  f[kTruncated] =
      MakeFamily("zookeeper_subtree_truncated",
                 "1 if a cap (depth, znode count or walk timeout) stopped the last walk early.", g);
  f[kSeriesTruncated] =
      MakeFamily("zookeeper_subtree_znode_series_truncated",
                 "1 if more znodes matched the per-znode patterns than the series cap allows.", g);
  f[kSkipped] = MakeFamily("zookeeper_subtree_skipped_znodes",
                           "Znodes the last walk could not read, by reason (no_node: deleted mid-walk, "
                           "no_auth: ACL denies us, error).",
                           g);
  f[kLastRefresh] = MakeFamily(
      "zookeeper_subtree_last_refresh_timestamp_seconds",
      "When the last successful walk of the subtree completed, in seconds since the Unix epoch.", g);
  f[kRefreshDuration] =
      MakeFamily("zookeeper_subtree_refresh_duration_seconds", "How long the last successful walk took.", g);
  f[kLastSuccess] = MakeFamily(
      "zookeeper_subtree_last_refresh_success",
      "1 if the latest refresh attempt succeeded, 0 if it failed (the previous snapshot is still served).",
      g);
  f[kRefreshes] = MakeFamily("zookeeper_subtree_refreshes_total", "Refresh attempts of the subtree.", c);
  f[kRefreshFailures] =
      MakeFamily("zookeeper_subtree_refresh_failures_total",
                 "Refresh attempts that failed (not connected, connection lost, root unreadable).", c);
  f[kInterval] = MakeFamily("zookeeper_subtree_refresh_interval_seconds",
                            "Configured interval between walks of the subtree.", g);
  f[kZChildren] = MakeFamily("zookeeper_znode_children", "Number of children of the znode.", g);
  f[kZDataBytes] = MakeFamily("zookeeper_znode_data_bytes", "Data size of the znode, in bytes.", g);
  f[kZVersion] =
      MakeFamily("zookeeper_znode_version", "Data version of the znode (number of data changes).", g);
  f[kZCversion] = MakeFamily("zookeeper_znode_cversion",
                             "Children version of the znode (number of child list changes).", g);
  f[kZAversion] =
      MakeFamily("zookeeper_znode_aversion", "ACL version of the znode (number of ACL changes).", g);
  f[kZCtime] = MakeFamily("zookeeper_znode_ctime_timestamp_seconds",
                          "When the znode was created, in seconds since the Unix epoch.", g);
  f[kZMtime] = MakeFamily("zookeeper_znode_mtime_timestamp_seconds",
                          "When the znode's data last changed, in seconds since the Unix epoch.", g);
  f[kZEphemeral] = MakeFamily("zookeeper_znode_ephemeral", "1 if the znode is ephemeral.", g);
  f[kZOwner] = MakeFamily("zookeeper_znode_ephemeral_owner_info",
                          "The session that owns an ephemeral znode; always 1.", g);
  f[kMode] = MakeFamily("zookeeper_subtree_refresh_mode",
                        "How the subtree is kept fresh: 1 for the mode in effect (poll: a walk every "
                        "interval; watch: watches, re-reading only what changed), 0 for the other. A watch "
                        "subtree over the watch budget falls back to poll.",
                        g);
  f[kChanges] = MakeFamily("zookeeper_subtree_changes_total",
                           "Changes seen by a watch-mode subtree, by type (created, deleted: znodes; "
                           "data_changed, children_changed: watch events).",
                           c);
  f[kWatchedBytes] = MakeFamily("zookeeper_subtree_watched_path_bytes",
                                "Bytes the watch-mode subtree's watches add to the session's SetWatches "
                                "packet (2 x (4 + path length) per znode).",
                                g);
  f[kAclAudited] = MakeFamily("zookeeper_subtree_acl_audited_znodes",
                              "Znodes whose ACL the last ACL audit read (subtrees with acl_audit).", g);
  f[kAclTruncated] = MakeFamily(
      "zookeeper_subtree_acl_audit_truncated",
      "1 if the last ACL audit left znodes unread (acl_audit_max_znodes, walk_timeout or a lost connection).",
      g);
  f[kAclWorldReadable] = MakeFamily("zookeeper_subtree_acl_world_readable_znodes",
                                    "Audited znodes whose ACL lets world:anyone read them.", g);
  f[kAclWorldWritable] = MakeFamily("zookeeper_subtree_acl_world_writable_znodes",
                                    "Audited znodes whose ACL lets world:anyone write (set) their data.", g);
  f[kAclScheme] = MakeFamily("zookeeper_subtree_acl_scheme_znodes",
                             "Audited znodes with at least one ACL entry of the scheme (world, digest, ip, "
                             "sasl, x509, ...; more than 8 schemes fold into \"other\").",
                             g);
  return f;
}

// At most this many scheme label values per subtree; the rest are summed into "other". ZooKeeper knows about
// five schemes, but a server may load custom authentication providers.
constexpr std::size_t kMaxSchemeLabels = 8;

void AddAclAudit(const std::string& root, const AclAuditResult& acl, std::vector<MetricFamily>& f) {
  const std::vector<Label> labels{{"root", root}};
  const zk::AclTally& t = acl.tally;
  AddSample(&f[kAclAudited], static_cast<double>(t.audited), labels);
  AddSample(&f[kAclTruncated], acl.truncated ? 1 : 0, labels);
  AddSample(&f[kAclWorldReadable], static_cast<double>(t.world_readable), labels);
  AddSample(&f[kAclWorldWritable], static_cast<double>(t.world_writable), labels);
  uint64_t other = 0;
  std::size_t shown = 0;
  for (const auto& [scheme, count] : t.znodes_by_scheme) {
    if (shown < kMaxSchemeLabels && scheme != "other") {
      AddSample(&f[kAclScheme], static_cast<double>(count), {{"root", root}, {"scheme", scheme}});
      ++shown;
    } else {
      other += count;
    }
  }
  if (other > 0) AddSample(&f[kAclScheme], static_cast<double>(other), {{"root", root}, {"scheme", "other"}});
}

void AddSnapshot(const SubtreeSnapshot& s, std::vector<MetricFamily>& f) {
  const std::vector<Label> root{{"root", s.root}};
  AddSample(&f[kZnodes], static_cast<double>(s.znodes), root);
  AddSample(&f[kDataBytes], static_cast<double>(s.data_bytes), root);
  AddSample(&f[kEphemerals], static_cast<double>(s.ephemeral_znodes), root);
  AddSample(&f[kMaxDepth], s.max_depth, root);
  AddSample(&f[kLargestBytes], static_cast<double>(s.largest_znode_bytes), root);
  if (!s.largest_znode_path.empty()) {
    AddSample(&f[kLargestInfo], 1, {{"root", s.root}, {"path", s.largest_znode_path}});
  }
  AddSample(&f[kRootExists], s.root_exists ? 1 : 0, root);
  AddSample(&f[kTruncated], s.truncated() ? 1 : 0, root);
  AddSample(&f[kSeriesTruncated], s.znode_series_truncated ? 1 : 0, root);
  AddSample(&f[kSkipped], static_cast<double>(s.skipped_no_node), {{"root", s.root}, {"reason", "no_node"}});
  AddSample(&f[kSkipped], static_cast<double>(s.skipped_no_auth), {{"root", s.root}, {"reason", "no_auth"}});
  AddSample(&f[kSkipped], static_cast<double>(s.skipped_errors), {{"root", s.root}, {"reason", "error"}});
  AddSample(&f[kLastRefresh], ToUnixSeconds(s.completed_at), root);
  AddSample(&f[kRefreshDuration], Seconds(s.duration), root);
  if (s.acl) AddAclAudit(s.root, *s.acl, f);
}

bool IsPerZnode(std::size_t family) {
  return family >= kZChildren && family <= kZOwner;
}

// The per-znode family `family` (IsPerZnode), over every subtree's sampled znodes.
void AddZnodeFamily(const std::vector<TreeEntry>& entries, std::size_t family, MetricFamily& f) {
  for (const TreeEntry& e : entries) {
    if (!e.view->last_success) continue;
    const SubtreeSnapshot& s = *e.view->last_success;
    for (const ZnodeSample& z : s.znode_samples) {
      const zk::ZnodeStat& st = z.stat;
      if (family == kZOwner) {
        if (st.ephemeral()) {
          AddSample(&f, 1,
                    {{"path", z.path}, {"root", s.root}, {"session_id", SessionIdHex(st.ephemeral_owner)}});
        }
        continue;
      }
      double value = 0;
      switch (family) {
        case kZChildren: value = st.num_children; break;
        case kZDataBytes: value = st.data_length; break;
        case kZVersion: value = st.version; break;
        case kZCversion: value = st.cversion; break;
        case kZAversion: value = st.aversion; break;
        case kZCtime: value = MillisToSeconds(st.ctime_ms); break;
        case kZMtime: value = MillisToSeconds(st.mtime_ms); break;
        default: value = st.ephemeral() ? 1 : 0; break;  // kZEphemeral
      }
      AddSample(&f, value, {{"path", z.path}, {"root", s.root}});
    }
  }
}

}  // namespace

void BuildTreeFamilies(const std::vector<TreeEntry>& entries, FamilySink out) {
  std::vector<MetricFamily> families = EmptyFamilies();  // the per-znode ones stay empty until their turn
  for (const TreeEntry& e : entries) {
    const std::vector<Label> root{{"root", e.root}};
    if (e.view->last_success) AddSnapshot(*e.view->last_success, families);
    if (e.view->refreshes_total > 0) {
      AddSample(&families[kLastSuccess], e.view->last_status.ok() ? 1 : 0, root);
    }
    AddSample(&families[kRefreshes], static_cast<double>(e.view->refreshes_total), root);
    AddSample(&families[kRefreshFailures], static_cast<double>(e.view->refresh_failures_total), root);
    AddSample(&families[kInterval], std::chrono::duration<double>(e.refresh_interval).count(), root);
    const RefreshMode mode = e.view->watch.mode;
    for (const RefreshMode m : {RefreshMode::kPoll, RefreshMode::kWatch}) {
      AddSample(&families[kMode], m == mode ? 1 : 0, {{"mode", RefreshModeName(m)}, {"root", e.root}});
    }
    if (e.view->configured_mode == RefreshMode::kWatch) {
      const WatchState& w = e.view->watch;
      const std::pair<const char*, uint64_t> changes[] = {{"created", w.created_total},
                                                          {"deleted", w.deleted_total},
                                                          {"data_changed", w.data_changed_total},
                                                          {"children_changed", w.children_changed_total}};
      for (const auto& [type, value] : changes) {
        AddSample(&families[kChanges], static_cast<double>(value), {{"root", e.root}, {"type", type}});
      }
      AddSample(&families[kWatchedBytes], static_cast<double>(w.watched_bytes), root);
    }
  }
  for (std::size_t i = 0; i < families.size(); ++i) {
    if (IsPerZnode(i)) AddZnodeFamily(entries, i, families[i]);
    // Families without samples are left out of the exposition.
    if (!families[i].metric.empty()) out.Add(std::move(families[i]));
  }
}

}  // namespace zkx::collectors
