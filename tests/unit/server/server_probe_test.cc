#include "server/server_probe.h"

#include <chrono>

#include <gtest/gtest.h>

#include "tests/unit/server/fake_server.h"
#include "tests/unit/server/test_files.h"

namespace zkx::server {
namespace {

using std::chrono::milliseconds;
using Clock = std::chrono::steady_clock;

HostPort Local(uint16_t port) {
  return HostPort{"127.0.0.1", port};
}

TEST(ServerProbeTest, FourLetterWordReadsUntilClose) {
  const std::string mntr = testdata::Read("mntr_3.8_leader.txt");
  test::FakeServer fake(mntr);
  ProbeReply r = FourLetterWord(Local(fake.port()), "mntr", Clock::now() + milliseconds(2000));
  ASSERT_TRUE(r.ok()) << r.detail;
  EXPECT_EQ(r.body, mntr);
}

TEST(ServerProbeTest, RefusedTimeoutWhitelistNotServingTooLarge) {
  ProbeReply refused = FourLetterWord(Local(test::ClosedPort()), "mntr", Clock::now() + milliseconds(2000));
  EXPECT_EQ(refused.reason, ProbeReason::kConnectionRefused) << refused.detail;

  test::FakeServer hung("", /*hang=*/true);
  const auto t0 = Clock::now();
  ProbeReply timeout = FourLetterWord(Local(hung.port()), "mntr", t0 + milliseconds(300));
  const auto took = Clock::now() - t0;
  EXPECT_EQ(timeout.reason, ProbeReason::kTimeout);
  EXPECT_GE(took, milliseconds(290));
  EXPECT_LT(took, milliseconds(1000));

  test::FakeServer refusing("mntr is not executed because it is not in the whitelist.\n");
  ProbeReply nw = FourLetterWord(Local(refusing.port()), "mntr", Clock::now() + milliseconds(2000));
  EXPECT_EQ(nw.reason, ProbeReason::kNotWhitelisted);
  EXPECT_NE(nw.detail.find("not in the whitelist"), std::string::npos);

  test::FakeServer not_serving("This ZooKeeper instance is not currently serving requests\n");
  EXPECT_EQ(FourLetterWord(Local(not_serving.port()), "mntr", Clock::now() + milliseconds(2000)).reason,
            ProbeReason::kNotServing);

  test::FakeServer big(std::string(10000, 'x'));
  EXPECT_EQ(FourLetterWord(Local(big.port()), "mntr", Clock::now() + milliseconds(2000), 1000).reason,
            ProbeReason::kResponseTooLarge);

  test::FakeServer silent("");
  EXPECT_EQ(FourLetterWord(Local(silent.port()), "mntr", Clock::now() + milliseconds(2000)).reason,
            ProbeReason::kParseError);

  EXPECT_EQ(FourLetterWord(HostPort{"no-such-host.invalid", 2181}, "mntr", Clock::now() + milliseconds(2000))
                .reason,
            ProbeReason::kResolveFailed);
}

TEST(ServerProbeTest, AdminGetContentLengthChunkedAndErrors) {
  const std::string json = testdata::Read("admin_watch_summary_3.8.json");
  test::FakeServer plain("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: " +
                         std::to_string(json.size()) + "\r\n\r\n" + json);
  ProbeReply r = AdminGet(Local(2181), plain.port(), "watch_summary", Clock::now() + milliseconds(2000));
  ASSERT_TRUE(r.ok()) << r.detail;
  EXPECT_EQ(r.body, json);

  test::FakeServer chunked(
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6;x=y\r\n world\r\n0\r\n\r\n");
  ProbeReply c = AdminGet(Local(2181), chunked.port(), "monitor", Clock::now() + milliseconds(2000));
  ASSERT_TRUE(c.ok()) << c.detail;
  EXPECT_EQ(c.body, "hello world");

  test::FakeServer not_found("HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n");
  EXPECT_EQ(AdminGet(Local(2181), not_found.port(), "monitor", Clock::now() + milliseconds(2000)).reason,
            ProbeReason::kHttpError);
  test::FakeServer garbage("SSH-2.0-OpenSSH\r\n");
  EXPECT_EQ(AdminGet(Local(2181), garbage.port(), "monitor", Clock::now() + milliseconds(2000)).reason,
            ProbeReason::kParseError);
  EXPECT_EQ(AdminGet(Local(2181), test::ClosedPort(), "monitor", Clock::now() + milliseconds(2000)).reason,
            ProbeReason::kConnectionRefused);
}

TEST(ServerProbeTest, ParseHttpReply) {
  EXPECT_FALSE(ParseHttpReply("").ok());
  EXPECT_FALSE(ParseHttpReply("HTTP/1.1 200 OK\r\n").ok());
  EXPECT_FALSE(ParseHttpReply("HTTP/1.1 abc OK\r\n\r\n").ok());
  EXPECT_FALSE(ParseHttpReply("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort").ok());
  EXPECT_FALSE(ParseHttpReply("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n").ok());
  Result<HttpReply> until_close = ParseHttpReply("HTTP/1.0 200 OK\r\nServer: x\r\n\r\nbody");
  ASSERT_TRUE(until_close.ok());
  EXPECT_EQ(until_close->status, 200);
  EXPECT_EQ(until_close->body, "body");
}

}  // namespace
}  // namespace zkx::server
