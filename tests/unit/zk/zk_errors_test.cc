// ZOO_ERRORS -> Status mapping, and the permission constants mirrored in znode_reader.h.
#include "zk/zk_errors.h"

#include <gtest/gtest.h>
#include <zookeeper/zookeeper.h>

#include "zk/znode_reader.h"

namespace zkx::zk {
namespace {

TEST(ZkErrorsTest, MapsEachCodeFamily) {
  EXPECT_TRUE(ZkErrorToStatus(ZOK, "/a").ok());
  EXPECT_EQ(ZkErrorToStatus(ZNONODE, "/a").code(), StatusCode::kNotFound);
  EXPECT_EQ(ZkErrorToStatus(ZNODEEXISTS, "/a").code(), StatusCode::kAlreadyExists);
  EXPECT_EQ(ZkErrorToStatus(ZBADVERSION, "/a").code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(ZkErrorToStatus(ZNOTEMPTY, "/a").code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(ZkErrorToStatus(ZNOCHILDRENFOREPHEMERALS, "/a").code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(ZkErrorToStatus(ZBADARGUMENTS, "/a").code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(ZkErrorToStatus(ZINVALIDACL, "/a").code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(ZkErrorToStatus(ZNOAUTH, "/a").code(), StatusCode::kPermissionDenied);
  EXPECT_EQ(ZkErrorToStatus(ZAUTHFAILED, "/a").code(), StatusCode::kUnauthenticated);
  for (int rc : {ZCONNECTIONLOSS, ZSESSIONEXPIRED, ZINVALIDSTATE, ZOPERATIONTIMEOUT}) {
    EXPECT_EQ(ZkErrorToStatus(rc, "/a").code(), StatusCode::kUnavailable) << rc;
  }
  EXPECT_EQ(ZkErrorToStatus(ZCLOSING, "/a").code(), StatusCode::kCancelled);
  EXPECT_EQ(ZkErrorToStatus(ZSYSTEMERROR, "/a").code(), StatusCode::kInternal);
}

TEST(ZkErrorsTest, MessageNamesTheErrorAndPath) {
  const Status s = ZkErrorToStatus(ZNODEEXISTS, "/probe/x");
  EXPECT_NE(s.message().find("/probe/x"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("rc=" + std::to_string(ZNODEEXISTS)), std::string::npos) << s.message();
  EXPECT_EQ(s.ToString().rfind("ALREADY_EXISTS: ", 0), 0u) << s.ToString();
}

TEST(ZkErrorsTest, PermissionConstantsMirrorTheClient) {
  EXPECT_EQ(kPermRead, ZOO_PERM_READ);
  EXPECT_EQ(kPermWrite, ZOO_PERM_WRITE);
  EXPECT_EQ(kPermCreate, ZOO_PERM_CREATE);
  EXPECT_EQ(kPermDelete, ZOO_PERM_DELETE);
  EXPECT_EQ(kPermAdmin, ZOO_PERM_ADMIN);
  EXPECT_EQ(kPermAll, ZOO_PERM_ALL);
}

}  // namespace
}  // namespace zkx::zk
