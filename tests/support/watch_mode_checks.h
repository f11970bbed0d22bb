#pragma once
// Checks for watch-mode integration tests against a real ensemble: a watch-mode spec, a fresh walk of a
// subtree (a session without watches), what a refresher published, a wait until the two agree, and a write's
// Status as an assertion.
// Header-only: the tests that use it link zkx::collectors, zkx::zk and GoogleTest already.
#include <chrono>
#include <map>
#include <string>
#include <tuple>

#include <gtest/gtest.h>

#include "collectors/subtree_refresher.h"
#include "tests/support/wait_and_ports.h"
#include "zk/subtree_walk.h"

namespace zkx::test {

// path -> (version, cversion, children, data bytes)
using WatchedTree = std::map<std::string, std::tuple<int32_t, int32_t, int32_t, int32_t>>;

// Watch mode, resynced only after reconnects and expiry; polled every 500 ms after a fallback.
inline collectors::SubtreeSpec WatchModeSpec(const std::string& root) {
  collectors::SubtreeSpec s;
  s.root = root;
  s.refresh_mode = collectors::RefreshMode::kWatch;
  s.refresh_interval = std::chrono::milliseconds(500);
  s.resync_interval = std::chrono::hours(1);
  s.znode_patterns = {root + "/**"};
  s.max_znode_series = 100000;
  return s;
}

// The subtree as `reader` (a session without watches) walks it now; "<error>" when the walk failed.
inline WatchedTree FreshWalk(zk::ZnodeReader& reader, const std::string& root) {
  WatchedTree t;
  zk::WalkSummary s = zk::WalkSubtree(reader, root, {}, [&](const zk::WalkedZnode& z) {
    t[std::string(z.path)] = {z.stat->version, z.stat->cversion, z.stat->num_children, z.stat->data_length};
  });
  if (!s.status.ok() && s.status.code() != StatusCode::kNotFound) t["<error>"] = {};
  return t;
}

// The refresher's latest snapshot; "<none>" before the first.
inline WatchedTree Published(const collectors::SubtreeRefresher& r) {
  WatchedTree t;
  auto view = r.View();
  if (!view->last_success) {
    t["<none>"] = {};
    return t;
  }
  for (const auto& z : view->last_success->znode_samples) {
    t[z.path] = {z.stat.version, z.stat.cversion, z.stat.num_children, z.stat.data_length};
  }
  return t;
}

// Waits until the refresher's snapshot equals a fresh walk; prints the first differences otherwise.
inline ::testing::AssertionResult Converges(
    zk::ZnodeReader& checker, const collectors::SubtreeRefresher& r, const std::string& root,
    std::chrono::milliseconds timeout = std::chrono::milliseconds(20000)) {
  WatchedTree fresh;
  WatchedTree mine;
  if (WaitFor(
          [&] {
            fresh = FreshWalk(checker, root);
            mine = Published(r);
            return fresh == mine;
          },
          timeout, std::chrono::milliseconds(100))) {
    return ::testing::AssertionSuccess();
  }
  std::string diff;
  for (const auto& [p, v] : fresh) {
    if (!mine.count(p))
      diff += " missing " + p;
    else if (mine[p] != v)
      diff += " stale " + p;
    if (diff.size() > 300) break;
  }
  for (const auto& [p, v] : mine) {
    if (!fresh.count(p)) diff += " extra " + p;
    if (diff.size() > 300) break;
  }
  return ::testing::AssertionFailure()
         << "mirror (" << mine.size() << ") != fresh walk (" << fresh.size() << "):" << diff;
}

// A write's Status as an assertion, with its message on failure. (ZkTestClient's repeatable writes retry
// connection loss themselves.)
inline ::testing::AssertionResult Succeeds(const Status& s) {
  if (s.ok()) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << s.ToString();
}

}  // namespace zkx::test
