// AskServer: the one "admin first, four-letter words after, failures classified" path under the server and
// watches collectors, against fake loopback servers.
#include "server/ask_server.h"

#include <chrono>
#include <string>

#include <gtest/gtest.h>

#include "base/status.h"
#include "tests/unit/server/fake_server.h"

namespace zkx::server {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

Result<std::string> Echo(std::string_view body) {
  return std::string(body);
}
Result<std::string> Reject(std::string_view /*body*/) {
  return Status::InvalidArgument("not what we wanted");
}

TEST(AskServerTest, AnUnparsableWordIsAParseErrorAndMarksTheAdminPortDisabled) {
  test::FakeServer zk("garbage\n");
  const Question<std::string> q{"monitor", Echo, {{"mntr", Reject}, {"srvr", Echo}}};
  Answer<std::string> a =
      AskServer({"127.0.0.1", zk.port()}, test::ClosedPort(), q, Clock::now() + milliseconds(1000));
  EXPECT_FALSE(a.value);
  EXPECT_EQ(a.source, "");
  ASSERT_EQ(a.failures.size(), 2u);  // srvr is tried only after a whitelist refusal
  EXPECT_EQ(a.failures[0].source, "admin");
  EXPECT_EQ(a.failures[0].reason, ProbeReason::kAdminServerDisabled);
  EXPECT_EQ(a.failures[1].source, "mntr");
  EXPECT_EQ(a.failures[1].reason, ProbeReason::kParseError);
  EXPECT_EQ(a.failures[1].detail, "not what we wanted");
}

TEST(AskServerTest, AdminAloneKeepsARefusalAsItIs) {
  Question<std::string> q;
  q.admin_command = "watches_by_path";
  q.parse_admin = Echo;
  Answer<std::string> a =
      AskServer({"127.0.0.1", test::ClosedPort()}, test::ClosedPort(), q, Clock::now() + milliseconds(1000));
  EXPECT_FALSE(a.value);
  ASSERT_EQ(a.failures.size(), 1u);
  EXPECT_EQ(a.failures[0].reason, ProbeReason::kConnectionRefused);
}

TEST(AskServerTest, WordsOnlyWhenAdminPortIsZero) {
  test::FakeServer zk("zk_version\t3.8.0\n");
  const Question<std::string> q{"monitor", Reject, {{"mntr", Echo}}};
  Answer<std::string> a = AskServer({"127.0.0.1", zk.port()}, 0, q, Clock::now() + milliseconds(1000));
  ASSERT_TRUE(a.value);
  EXPECT_EQ(*a.value, "zk_version\t3.8.0\n");
  EXPECT_EQ(a.source, "mntr");
  EXPECT_TRUE(a.failures.empty());
}

}  // namespace
}  // namespace zkx::server
