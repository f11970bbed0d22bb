// The ACL audit against a real ZooKeeper server: open, read-only, mixed and digest-only znodes are counted as
// an operator would expect, in poll mode and in watch mode, and the per-walk cap is reported.
#include "zk/acl_audit.h"

#include <chrono>
#include <cstdio>
#include <memory>
#include <string>

#include <gtest/gtest.h>

#include "collectors/subtree_refresher.h"
#include "collectors/watch_budget.h"
#include "tests/support/wait_and_ports.h"
#include "tests/support/zk_ensemble.h"
#include "tests/support/zk_test_client.h"
#include "zk/session.h"

namespace zkx {
namespace {

using std::chrono::milliseconds;

class AclAuditTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(ensemble_.Start().ok());
    ASSERT_TRUE(writer_.Connect(ensemble_.ConnectString()).ok());
    // /acl: open; open (world all), readonly (world read), mixed (world read + digest all), private
    // (digest only: the exporter's session may not even list it), many/n0..n29 (open).
    ASSERT_TRUE(writer_.CreateRecursive("/acl").ok());
    ASSERT_TRUE(writer_.Create("/acl/open", "x").ok());
    ASSERT_TRUE(
        writer_.Create("/acl/readonly", "x", test::NodeKind::kPersistent, test::ReadOnlyWorldAcl()).ok());
    test::AclList mixed = test::ReadOnlyWorldAcl();
    mixed.push_back(test::DigestAcl("app", "s3cret-pw").front());
    ASSERT_TRUE(writer_.Create("/acl/mixed", "x", test::NodeKind::kPersistent, mixed).ok());
    ASSERT_TRUE(
        writer_.Create("/acl/private", "x", test::NodeKind::kPersistent, test::DigestAcl("app", "s3cret-pw"))
            .ok());
    ASSERT_TRUE(writer_.Create("/acl/many", "").ok());
    for (int i = 0; i < 30; ++i) ASSERT_TRUE(writer_.Create("/acl/many/n" + std::to_string(i), "").ok());

    zk::SessionOptions o;
    o.hosts = ensemble_.ConnectString();
    o.session_timeout = milliseconds(10000);
    session_ = std::move(zk::Session::Create(o)).value();
    session_->Start();
    ASSERT_TRUE(test::WaitFor([&] { return session_->Connected(); }, milliseconds(30000)));
  }

  // Starts a refresher for `spec` and waits for its first snapshot with an ACL audit.
  std::shared_ptr<const collectors::SubtreeSnapshot> Audit(collectors::SubtreeSpec spec) {
    refresher_ = std::make_unique<collectors::SubtreeRefresher>(
        std::move(spec), session_.get(), [this] { return session_->Connected(); }, &budget_);
    refresher_->Start();
    std::shared_ptr<const collectors::SubtreeSnapshot> snapshot;
    EXPECT_TRUE(test::WaitFor(
        [&] {
          snapshot = refresher_->View()->last_success;
          return snapshot != nullptr && snapshot->acl.has_value();
        },
        milliseconds(30000)));
    return snapshot;
  }

  test::ZkEnsemble ensemble_{test::ZkEnsembleOptions{.servers = 1}};
  test::ZkTestClient writer_;
  std::unique_ptr<zk::Session> session_;
  collectors::WatchBudget budget_;
  std::unique_ptr<collectors::SubtreeRefresher> refresher_;  // stopped before the session goes
};

collectors::SubtreeSpec Spec(const std::string& root, collectors::RefreshMode mode) {
  collectors::SubtreeSpec s;
  s.root = root;
  s.refresh_mode = mode;
  s.refresh_interval = std::chrono::hours(1);
  s.acl_audit = true;
  return s;
}

TEST_F(AclAuditTest, PollModeCountsWorldAccessAndSchemes) {
  auto snapshot = Audit(Spec("/acl", collectors::RefreshMode::kPoll));
  ASSERT_TRUE(snapshot);
  const zk::AclTally& t = snapshot->acl->tally;
  // Walked: /acl, open, readonly, mixed, many + 30 children = 35; private is unreadable (skipped by the
  // walk).
  EXPECT_EQ(snapshot->znodes, 35U);
  EXPECT_EQ(snapshot->skipped_no_auth, 1U);
  EXPECT_EQ(t.audited, 35U);
  EXPECT_FALSE(snapshot->acl->truncated);
  EXPECT_EQ(t.world_readable, 35U);
  EXPECT_EQ(t.world_writable, 33U);  // all but readonly and mixed
  EXPECT_EQ(t.znodes_by_scheme.at("world"), 35U);
  EXPECT_EQ(t.znodes_by_scheme.at("digest"), 1U);
  EXPECT_EQ(t.no_auth + t.no_node + t.errors, 0U);
  std::printf("acl audit of /acl: %llu audited, %llu world-readable, %llu world-writable\n",
              static_cast<unsigned long long>(t.audited), static_cast<unsigned long long>(t.world_readable),
              static_cast<unsigned long long>(t.world_writable));
  refresher_->Stop();
}

TEST_F(AclAuditTest, WatchModeAuditsAtEachFullSyncWithinTheCap) {
  collectors::SubtreeSpec spec = Spec("/acl/many", collectors::RefreshMode::kWatch);
  spec.acl_audit_max_znodes = 10;
  spec.znode_patterns = {"/acl/many/*"};
  auto snapshot = Audit(spec);
  ASSERT_TRUE(snapshot);
  EXPECT_EQ(snapshot->znodes, 31U);
  EXPECT_EQ(snapshot->acl->tally.audited, 10U);
  EXPECT_TRUE(snapshot->acl->truncated);
  EXPECT_EQ(snapshot->acl->tally.world_writable, 10U);
  // A change (a watch event, no full sync) keeps the last audit in the rebuilt snapshot.
  ASSERT_TRUE(writer_.Set("/acl/many/n3", "changed").ok());
  EXPECT_TRUE(test::WaitFor(
      [&] {
        auto s = refresher_->View()->last_success;
        for (const auto& z : s->znode_samples) {
          if (z.path == "/acl/many/n3" && z.stat.data_length == 7) return s->acl.has_value();
        }
        return false;
      },
      milliseconds(20000)))
      << "the changed znode never showed, or its snapshot lost the ACL audit";
  refresher_->Stop();
}

// An unreadable znode in a watched subtree: exists checks no ACL, so the sync's read arms a data watch on
// /acl/private while its listing answers NoAuth. The refresher removes that watch: the server keeps one data
// watch per mirrored znode and no other, and the session counts a data and a child watch for each.
TEST_F(AclAuditTest, WatchModeLeavesNoWatchOnAnUnreadableZnode) {
  auto snapshot = Audit(Spec("/acl", collectors::RefreshMode::kWatch));
  ASSERT_TRUE(snapshot);
  EXPECT_EQ(snapshot->znodes, 35U);
  EXPECT_EQ(refresher_->View()->watch.mode, collectors::RefreshMode::kWatch);
  EXPECT_TRUE(test::WaitFor([&] { return ensemble_.DataWatches(0) == 35 && session_->Stats().watches == 70; },
                            milliseconds(10000)))
      << "the server holds " << ensemble_.DataWatches(0) << " data watches, the session counts "
      << session_->Stats().watches << " watches";
  refresher_->Stop();
}

}  // namespace
}  // namespace zkx
