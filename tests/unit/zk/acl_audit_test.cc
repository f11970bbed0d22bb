#include "zk/acl_audit.h"

#include <chrono>
#include <map>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "tests/support/fake_znode_tree.h"

namespace zkx::zk {
namespace {

using Clock = std::chrono::steady_clock;
using test::FakeZnodeTree;

const AclEntry kWorldAll{kPermAll, "world", "anyone"};
const AclEntry kWorldRead{kPermRead, "world", "anyone"};
const AclEntry kDigestAll{kPermAll, "digest", "app:c2VjcmV0aGFzaA=="};
const AclEntry kIpRead{kPermRead, "ip", "10.0.0.0/8"};

TEST(TallyAclTest, CountsWorldPermissionsAndSchemesNotIdentities) {
  AclTally t;
  TallyAcl({kWorldAll}, &t);
  TallyAcl({kWorldRead, kDigestAll}, &t);
  TallyAcl({kDigestAll, {kPermRead, "digest", "other:aGFzaA=="}}, &t);  // two digest entries: one znode
  TallyAcl({kIpRead}, &t);
  TallyAcl({{kPermWrite, "world", "someone-else"}}, &t);  // not world:anyone
  EXPECT_EQ(t.audited, 5U);
  EXPECT_EQ(t.world_readable, 2U);
  EXPECT_EQ(t.world_writable, 1U);
  EXPECT_EQ(t.znodes_by_scheme, (std::map<std::string, uint64_t>{{"digest", 2}, {"ip", 1}, {"world", 3}}));
}

// ACLs answered by worker threads, out of order; the fake records the most requests outstanding at once.
TEST(AuditAclsTest, TalliesEveryPathWithinTheWindow) {
  FakeZnodeTree reader(FakeZnodeTree::Answer::kWorkers);
  std::vector<std::string> paths;
  for (int i = 0; i < 500; ++i) {
    const std::string p = "/t/n" + std::to_string(i);
    reader.Create(p, {}, i % 5 == 0 ? std::vector<AclEntry>{kWorldAll} : std::vector<AclEntry>{kDigestAll});
    paths.push_back(p);
  }
  const AclTally t = AuditAcls(reader, paths, 16, Clock::now() + std::chrono::seconds(30));
  EXPECT_TRUE(t.status.ok()) << t.status.ToString();
  EXPECT_FALSE(t.timed_out);
  EXPECT_EQ(t.audited, 500U);
  EXPECT_EQ(t.world_readable, 100U);
  EXPECT_EQ(t.world_writable, 100U);
  EXPECT_EQ(t.znodes_by_scheme.at("digest"), 400U);
  EXPECT_LE(reader.max_in_flight(), 16);
}

TEST(AuditAclsTest, VanishedAndUnreadableZnodesAreCountedAndSkipped) {
  FakeZnodeTree reader(FakeZnodeTree::Answer::kWorkers);
  reader.Create("/secret", {}, {kDigestAll});
  reader.Create("/odd");
  reader.Create("/open", {}, {kWorldAll});
  reader.FailWith("/secret", Status::PermissionDenied("no"));
  reader.FailWith("/odd", Status::Internal("odd"));  // "/gone" was never created
  const AclTally t =
      AuditAcls(reader, {"/gone", "/secret", "/odd", "/open"}, 4, Clock::now() + std::chrono::seconds(30));
  EXPECT_TRUE(t.status.ok());
  EXPECT_EQ(t.audited, 1U);
  EXPECT_EQ(t.no_node, 1U);
  EXPECT_EQ(t.no_auth, 1U);
  EXPECT_EQ(t.errors, 1U);
}

TEST(AuditAclsTest, ALostConnectionStopsTheAudit) {
  FakeZnodeTree reader(FakeZnodeTree::Answer::kWorkers);
  std::vector<std::string> paths;
  for (int i = 0; i < 200; ++i) {
    paths.push_back("/n" + std::to_string(i));
    reader.Create(paths.back());
    reader.FailWith(paths.back(), Status::Unavailable("connection lost"));
  }
  const AclTally t = AuditAcls(reader, paths, 1, Clock::now() + std::chrono::seconds(30));
  EXPECT_EQ(t.status.code(), StatusCode::kUnavailable);
  EXPECT_EQ(t.audited, 0U);
}

// A reader that never answers: the deadline ends the audit, and the late callbacks stay harmless.
TEST(AuditAclsTest, TheDeadlineEndsAnAuditThatGetsNoAnswers) {
  FakeZnodeTree reader(FakeZnodeTree::Answer::kHold);
  for (const char* p : {"/a", "/b", "/c"}) reader.Create(p, {}, {kWorldAll});
  const AclTally t = AuditAcls(reader, {"/a", "/b", "/c"}, 2, Clock::now() + std::chrono::milliseconds(50));
  EXPECT_TRUE(t.timed_out);
  EXPECT_EQ(t.audited, 0U);
  ASSERT_EQ(reader.held(), 2U);  // the window: the third request was never issued
  EXPECT_EQ(reader.requests(), 2);
  reader.ReleaseHeld();  // late answers: must not crash
}

}  // namespace
}  // namespace zkx::zk
