// The request plumbing shared by every Session request: each callback type gets its part of the reply,
// errors deliver empty values, and a throwing callback never escapes.
#include "zk/session_requests.h"

#include <stdexcept>

#include <gtest/gtest.h>

namespace zkx::zk::internal {
namespace {

Reply SampleReply() {
  Reply r;
  r.stat.version = 7;
  r.stat.ephemeral_owner = 42;
  r.children = {"a", "b"};
  r.acl = {{kPermAll, "world", "anyone"}};
  r.value = "payload";
  return r;
}

TEST(SessionRequestsTest, EachCallbackTypeGetsItsPart) {
  int calls = 0;
  Deliver(Completion(std::in_place_type<ChildrenCallback>,
                     [&](Status s, ChildrenResult r) {
                       ++calls;
                       EXPECT_TRUE(s.ok());
                       EXPECT_EQ(r.children, (std::vector<std::string>{"a", "b"}));
                       EXPECT_EQ(r.stat.version, 7);
                     }),
          Status::Ok(), SampleReply());
  Deliver(Completion(std::in_place_type<StatCallback>,
                     [&](Status s, ZnodeStat st) {
                       ++calls;
                       EXPECT_TRUE(s.ok());
                       EXPECT_EQ(st.ephemeral_owner, 42);
                     }),
          Status::Ok(), SampleReply());
  Deliver(Completion(std::in_place_type<AclCallback>,
                     [&](Status s, std::vector<AclEntry> acl, ZnodeStat st) {
                       ++calls;
                       EXPECT_TRUE(s.ok());
                       ASSERT_EQ(acl.size(), 1u);
                       EXPECT_EQ(acl[0], (AclEntry{kPermAll, "world", "anyone"}));
                       EXPECT_EQ(st.version, 7);
                     }),
          Status::Ok(), SampleReply());
  Deliver(Completion(std::in_place_type<CreateCallback>,
                     [&](Status s, std::string path) {
                       ++calls;
                       EXPECT_TRUE(s.ok());
                       EXPECT_EQ(path, "payload");
                     }),
          Status::Ok(), SampleReply());
  Deliver(Completion(std::in_place_type<GetDataCallback>,
                     [&](Status s, std::string data, ZnodeStat st) {
                       ++calls;
                       EXPECT_TRUE(s.ok());
                       EXPECT_EQ(data, "payload");
                       EXPECT_EQ(st.version, 7);
                     }),
          Status::Ok(), SampleReply());
  Deliver(Completion(std::in_place_type<DeleteCallback>,
                     [&](Status s) {
                       ++calls;
                       EXPECT_TRUE(s.ok());
                     }),
          Status::Ok(), SampleReply());
  EXPECT_EQ(calls, 6);
}

TEST(SessionRequestsTest, ErrorsDeliverTheStatusWithEmptyValues) {
  bool called = false;
  Deliver(Completion(std::in_place_type<GetDataCallback>,
                     [&](Status s, std::string data, ZnodeStat st) {
                       called = true;
                       EXPECT_EQ(s.code(), StatusCode::kNotFound);
                       EXPECT_TRUE(data.empty());
                       EXPECT_EQ(st, ZnodeStat{});
                     }),
          Status::NotFound("/x"), Reply{});
  EXPECT_TRUE(called);
}

TEST(SessionRequestsTest, ThrowingCallbackIsContained) {
  EXPECT_NO_THROW(Deliver(Completion(std::in_place_type<DeleteCallback>,
                                     [](Status) { throw std::runtime_error("callback bug"); }),
                          Status::Ok(), Reply{}));
}

TEST(SessionRequestsTest, HasCallback) {
  EXPECT_FALSE(HasCallback(Completion(std::in_place_type<CreateCallback>)));
  EXPECT_TRUE(HasCallback(Completion(std::in_place_type<CreateCallback>, [](Status, std::string) {})));
}

}  // namespace
}  // namespace zkx::zk::internal
