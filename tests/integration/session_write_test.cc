// zk::Session's writes (ZnodeWriter) and GetAcl against a real ZooKeeper server: create / set / get / delete
// round trip, the ephemeral flag, the ACL chosen for creates, ACLs read back, and the error mapping.
#include <chrono>
#include <future>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "tests/support/sessions.h"
#include "tests/support/wait_and_ports.h"
#include "tests/support/zk_ensemble.h"
#include "tests/support/zk_test_client.h"
#include "zk/session.h"

namespace zkx {
namespace {

using std::chrono::milliseconds;
using test::ConnectedSession;
constexpr auto kReplyTimeout = std::chrono::seconds(20);

// Synchronous wrappers: each waits (bounded) for the one callback.
template <typename T>
T Await(std::future<T> f) {
  EXPECT_EQ(f.wait_for(kReplyTimeout), std::future_status::ready);
  return f.get();
}

Result<std::string> Create(zk::Session& s, const std::string& path, const std::string& data,
                           zk::CreateMode mode = zk::CreateMode::kPersistent) {
  auto p = std::make_shared<std::promise<Result<std::string>>>();
  auto f = p->get_future();
  s.Create(path, data, mode, [p](Status st, std::string created) {
    if (st.ok()) {
      p->set_value(std::move(created));
    } else {
      p->set_value(std::move(st));
    }
  });
  return Await(std::move(f));
}

Result<zk::ZnodeStat> SetData(zk::Session& s, const std::string& path, const std::string& data,
                              int32_t version = zk::kAnyVersion) {
  auto p = std::make_shared<std::promise<Result<zk::ZnodeStat>>>();
  auto f = p->get_future();
  s.SetData(path, data, version, [p](Status st, zk::ZnodeStat stat) {
    if (st.ok()) {
      p->set_value(stat);
    } else {
      p->set_value(std::move(st));
    }
  });
  return Await(std::move(f));
}

struct DataAndStat {
  std::string data;
  zk::ZnodeStat stat;
};

Result<DataAndStat> GetData(zk::Session& s, const std::string& path) {
  auto p = std::make_shared<std::promise<Result<DataAndStat>>>();
  auto f = p->get_future();
  s.GetData(path, [p](Status st, std::string data, zk::ZnodeStat stat) {
    if (st.ok()) {
      p->set_value(DataAndStat{std::move(data), stat});
    } else {
      p->set_value(std::move(st));
    }
  });
  return Await(std::move(f));
}

Status Delete(zk::Session& s, const std::string& path, int32_t version = zk::kAnyVersion) {
  auto p = std::make_shared<std::promise<Status>>();
  auto f = p->get_future();
  s.Delete(path, version, [p](Status st) { p->set_value(std::move(st)); });
  return Await(std::move(f));
}

Result<std::vector<zk::AclEntry>> GetAcl(zk::Session& s, const std::string& path) {
  auto p = std::make_shared<std::promise<Result<std::vector<zk::AclEntry>>>>();
  auto f = p->get_future();
  s.GetAcl(path, [p](Status st, std::vector<zk::AclEntry> acl, zk::ZnodeStat) {
    if (st.ok()) {
      p->set_value(std::move(acl));
    } else {
      p->set_value(std::move(st));
    }
  });
  return Await(std::move(f));
}

class SessionWriteTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    ensemble_ = new test::ZkEnsemble(test::ZkEnsembleOptions{.servers = 1});
    Status s = ensemble_->Start();
    ASSERT_TRUE(s.ok()) << s.ToString();
    fixture_ = new test::ZkTestClient();
    ASSERT_TRUE(fixture_->Connect(ensemble_->ConnectString()).ok());
  }
  static void TearDownTestSuite() {
    delete fixture_;
    delete ensemble_;
  }
  static test::ZkEnsemble* ensemble_;
  static test::ZkTestClient* fixture_;  // the independent reference client
};
test::ZkEnsemble* SessionWriteTest::ensemble_ = nullptr;
test::ZkTestClient* SessionWriteTest::fixture_ = nullptr;

TEST_F(SessionWriteTest, CreateSetGetDeleteRoundTrip) {
  auto session = ConnectedSession(ensemble_->ConnectString());
  ASSERT_TRUE(session);
  Result<std::string> created = Create(*session, "/rt", "first");
  ASSERT_TRUE(created.ok()) << created.status().ToString();
  EXPECT_EQ(*created, "/rt");
  EXPECT_EQ(*fixture_->Get("/rt"), "first");  // visible to another client

  Result<DataAndStat> got = GetData(*session, "/rt");
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(got->data, "first");
  EXPECT_EQ(got->stat.version, 0);
  EXPECT_FALSE(got->stat.ephemeral());

  Result<zk::ZnodeStat> set = SetData(*session, "/rt", std::string("bin\0ary", 7), got->stat.version);
  ASSERT_TRUE(set.ok()) << set.status().ToString();
  EXPECT_EQ(set->version, 1);
  EXPECT_EQ(set->data_length, 7);
  got = GetData(*session, "/rt");
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->data, std::string("bin\0ary", 7));  // binary data survives
  EXPECT_EQ(got->stat, *set);

  // Empty data reads back empty (the client reports it as length -1 or 0).
  ASSERT_TRUE(SetData(*session, "/rt", "").ok());
  got = GetData(*session, "/rt");
  ASSERT_TRUE(got.ok());
  EXPECT_TRUE(got->data.empty());

  EXPECT_TRUE(Delete(*session, "/rt", 2).ok());
  EXPECT_FALSE(*fixture_->Exists("/rt"));
  EXPECT_EQ(session->InFlight(), 0u);
}

TEST_F(SessionWriteTest, EphemeralFlagIsHonoured) {
  auto session = ConnectedSession(ensemble_->ConnectString());
  ASSERT_TRUE(session);
  ASSERT_TRUE(Create(*session, "/eph", "e", zk::CreateMode::kEphemeral).ok());
  ASSERT_TRUE(Create(*session, "/per", "p", zk::CreateMode::kPersistent).ok());
  Result<DataAndStat> eph = GetData(*session, "/eph");
  ASSERT_TRUE(eph.ok());
  EXPECT_TRUE(eph->stat.ephemeral());
  EXPECT_EQ(eph->stat.ephemeral_owner, session->Stats().session_id);
  EXPECT_NE(eph->stat.ephemeral_owner, 0);
  Result<DataAndStat> per = GetData(*session, "/per");
  ASSERT_TRUE(per.ok());
  EXPECT_EQ(per->stat.ephemeral_owner, 0);

  // An ephemeral cannot have children.
  EXPECT_EQ(Create(*session, "/eph/child", "").status().code(), StatusCode::kFailedPrecondition);

  session->Stop();  // closing the session removes its ephemeral, not the persistent znode
  EXPECT_TRUE(test::WaitFor([] { return !*fixture_->Exists("/eph"); }, milliseconds(15000)));
  EXPECT_TRUE(*fixture_->Exists("/per"));
  ASSERT_TRUE(fixture_->Delete("/per").ok());
}

TEST_F(SessionWriteTest, ErrorsAreMapped) {
  auto session = ConnectedSession(ensemble_->ConnectString());
  ASSERT_TRUE(session);
  ASSERT_TRUE(Create(*session, "/err", "x").ok());
  EXPECT_EQ(Create(*session, "/err", "y").status().code(), StatusCode::kAlreadyExists);
  EXPECT_EQ(Create(*session, "/no/parent", "y").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(Create(*session, "bad-path", "y").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(SetData(*session, "/err", "z", 5).status().code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(SetData(*session, "/missing", "z").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(GetData(*session, "/missing").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(Delete(*session, "/missing").code(), StatusCode::kNotFound);
  EXPECT_EQ(Delete(*session, "/err", 9).code(), StatusCode::kFailedPrecondition);
  ASSERT_TRUE(Create(*session, "/err/child", "").ok());
  EXPECT_EQ(Delete(*session, "/err").code(), StatusCode::kFailedPrecondition);  // ZNOTEMPTY
  EXPECT_EQ(GetAcl(*session, "/missing").status().code(), StatusCode::kNotFound);
  ASSERT_TRUE(fixture_->DeleteRecursive("/err").ok());
  EXPECT_EQ(session->InFlight(), 0u);
}

TEST_F(SessionWriteTest, NotConnectedFailsUnavailable) {
  // A session to a server that is down: every request fails at once with kUnavailable.
  test::ZkEnsemble down(test::ZkEnsembleOptions{.servers = 1});
  ASSERT_TRUE(down.Start().ok());
  const std::string hosts = down.ConnectString();
  auto session = ConnectedSession(hosts);
  ASSERT_TRUE(session);
  down.Kill(0);
  ASSERT_TRUE(test::WaitFor([&] { return !session->Connected(); }, milliseconds(30000)));
  EXPECT_EQ(Create(*session, "/x", "").status().code(), StatusCode::kUnavailable);
  EXPECT_EQ(SetData(*session, "/x", "").status().code(), StatusCode::kUnavailable);
  EXPECT_EQ(GetData(*session, "/x").status().code(), StatusCode::kUnavailable);
  EXPECT_EQ(Delete(*session, "/x").code(), StatusCode::kUnavailable);
  EXPECT_EQ(GetAcl(*session, "/x").status().code(), StatusCode::kUnavailable);
  EXPECT_EQ(session->InFlight(), 0u);
}

TEST_F(SessionWriteTest, GetAclReadsWorldAndDigestAcls) {
  ASSERT_TRUE(fixture_->Create("/acl-open", "o").ok());
  ASSERT_TRUE(fixture_
                  ->Create("/acl-digest", "d", test::NodeKind::kPersistent,
                           test::DigestAcl("alice", "wonderland", zk::kPermRead | zk::kPermAdmin))
                  .ok());
  auto anonymous = ConnectedSession(ensemble_->ConnectString());
  ASSERT_TRUE(anonymous);
  Result<std::vector<zk::AclEntry>> open = GetAcl(*anonymous, "/acl-open");
  ASSERT_TRUE(open.ok()) << open.status().ToString();
  EXPECT_EQ(*open, (std::vector<zk::AclEntry>{{zk::kPermAll, "world", "anyone"}}));
  // Reading an ACL needs READ or ADMIN on the znode (ZooKeeper >= 3.6).
  EXPECT_EQ(GetAcl(*anonymous, "/acl-digest").status().code(), StatusCode::kPermissionDenied);

  auto alice = ConnectedSession(ensemble_->ConnectString(), zk::DigestCredentials{"alice", "wonderland"});
  ASSERT_TRUE(alice);
  Result<std::vector<zk::AclEntry>> digest = GetAcl(*alice, "/acl-digest");
  ASSERT_TRUE(digest.ok()) << digest.status().ToString();
  EXPECT_EQ(*digest, (std::vector<zk::AclEntry>{
                         {zk::kPermRead | zk::kPermAdmin, "digest", test::DigestId("alice", "wonderland")}}));
  ASSERT_TRUE(fixture_->Delete("/acl-open").ok());
  ASSERT_TRUE(fixture_->Delete("/acl-digest").ok());
}

TEST_F(SessionWriteTest, CreateUsesCreatorAclWithCredentialsElseOpenAcl) {
  auto alice = ConnectedSession(ensemble_->ConnectString(), zk::DigestCredentials{"alice", "wonderland"});
  ASSERT_TRUE(alice);
  ASSERT_TRUE(Create(*alice, "/mine", "m").ok());
  Result<std::vector<zk::AclEntry>> acl = GetAcl(*alice, "/mine");
  ASSERT_TRUE(acl.ok()) << acl.status().ToString();
  EXPECT_EQ(*acl,
            (std::vector<zk::AclEntry>{{zk::kPermAll, "digest", test::DigestId("alice", "wonderland")}}));
  // Others cannot read it.
  EXPECT_EQ(fixture_->Get("/mine").status().code(), StatusCode::kPermissionDenied);

  auto anonymous = ConnectedSession(ensemble_->ConnectString());
  ASSERT_TRUE(anonymous);
  ASSERT_TRUE(Create(*anonymous, "/theirs", "t").ok());
  acl = GetAcl(*anonymous, "/theirs");
  ASSERT_TRUE(acl.ok());
  EXPECT_EQ(*acl, (std::vector<zk::AclEntry>{{zk::kPermAll, "world", "anyone"}}));

  EXPECT_TRUE(Delete(*alice, "/mine").ok());  // the ACL of a parent governs deletes: "/" is open
  EXPECT_TRUE(Delete(*anonymous, "/theirs").ok());
}

}  // namespace
}  // namespace zkx
