// Session without a server: option validation, failing fast when not connected, and clean start/stop while
// the client dials a closed loopback port. Real-server behaviour is covered by the integration tests.
#include "zk/session.h"

#include <chrono>
#include <future>
#include <thread>
#include <vector>

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

namespace zkx::zk {
namespace {

// A loopback port with nothing listening (bound then released).
int ClosedLoopbackPort() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof addr;
  int port = 1;
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 &&
      getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
    port = ntohs(addr.sin_port);
  }
  close(fd);
  return port;
}

SessionOptions ClosedPortOptions() {
  SessionOptions o;
  o.hosts = "127.0.0.1:" + std::to_string(ClosedLoopbackPort());
  o.session_timeout = std::chrono::milliseconds(4000);
  o.max_in_flight = 4;
  o.init_retry_backoff = std::chrono::milliseconds(50);
  o.drain_timeout = std::chrono::milliseconds(200);
  return o;
}

Status GetChildrenStatus(Session& s, const std::string& path) {
  std::promise<Status> p;
  auto f = p.get_future();
  s.GetChildren2(path, [&p](Status st, const ChildrenResult& r) {
    EXPECT_TRUE(r.children.empty());
    p.set_value(std::move(st));
  });
  // Failures when not connected are reported on the calling thread, before GetChildren2 returns.
  EXPECT_EQ(f.wait_for(std::chrono::seconds(0)), std::future_status::ready);
  return f.get();
}

TEST(SessionTest, ValidatesOptions) {
  SessionOptions o = ClosedPortOptions();
  o.hosts = "";
  EXPECT_EQ(Session::Create(o).status().code(), StatusCode::kInvalidArgument);
  o = ClosedPortOptions();
  o.session_timeout = std::chrono::milliseconds(0);
  EXPECT_EQ(Session::Create(o).status().code(), StatusCode::kInvalidArgument);
  o = ClosedPortOptions();
  o.max_in_flight = 0;
  EXPECT_EQ(Session::Create(o).status().code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(Session::Create(ClosedPortOptions()).ok());
}

TEST(SessionTest, ClientVersion) {
  EXPECT_EQ(ClientVersion().rfind("3.", 0), 0u) << ClientVersion();
}

TEST(SessionTest, NotStartedFailsUnavailableAndDestroysCleanly) {
  auto s = Session::Create(ClosedPortOptions());
  ASSERT_TRUE(s.ok());
  EXPECT_FALSE((*s)->Connected());
  EXPECT_EQ(GetChildrenStatus(**s, "/").code(), StatusCode::kUnavailable);
  EXPECT_EQ((*s)->InFlight(), 0u);
}

TEST(SessionTest, StartStopAgainstClosedPort) {
  auto created = Session::Create(ClosedPortOptions());
  ASSERT_TRUE(created.ok());
  Session& s = **created;
  s.Start();
  s.Start();  // idempotent
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (s.Stats().handles_created_total == 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  SessionStats stats = s.Stats();
  EXPECT_EQ(stats.handles_created_total, 1u);
  EXPECT_EQ(stats.state, SessionState::kConnecting);
  EXPECT_NE(stats.last_state_change, std::chrono::system_clock::time_point{});
  EXPECT_FALSE(s.Connected());
  EXPECT_EQ(GetChildrenStatus(s, "/a").code(), StatusCode::kUnavailable);

  s.Stop();
  stats = s.Stats();
  EXPECT_EQ(stats.state, SessionState::kClosed);
  EXPECT_EQ(stats.connects_total, 0u);
  EXPECT_EQ(GetChildrenStatus(s, "/").code(), StatusCode::kCancelled);
  s.Stop();   // idempotent
  s.Start();  // no restart after Stop
  EXPECT_EQ(s.Stats().state, SessionState::kClosed);
}

TEST(SessionTest, ConcurrentStopIsSafe) {
  auto created = Session::Create(ClosedPortOptions());
  ASSERT_TRUE(created.ok());
  std::unique_ptr<Session> s = std::move(*created);
  s->Start();
  std::thread a([&] { s->Stop(); });
  std::thread b([&] { s->Stop(); });
  a.join();
  b.join();
  EXPECT_EQ(s->Stats().state, SessionState::kClosed);
  s.reset();
}

}  // namespace
}  // namespace zkx::zk

namespace zkx::zk {
namespace {

TEST(SessionWatchTest, WatchedReadsFailFastAndSubscriptionsUnregister) {
  auto s = std::move(Session::Create(ClosedPortOptions())).value();
  s->Start();
  int calls = 0;
  {
    WatchSubscription sub = s->SubscribeWatches([&calls](const WatchEvent&) { ++calls; });
    EXPECT_TRUE(sub.active());
    std::promise<Status> exists;
    s->WatchExists("/a", [&exists](Status st, ZnodeStat) { exists.set_value(std::move(st)); });
    EXPECT_EQ(exists.get_future().get().code(), StatusCode::kUnavailable);
    std::promise<Status> children;
    s->WatchChildren2("/a", [&children](Status st, ChildrenResult) { children.set_value(std::move(st)); });
    EXPECT_EQ(children.get_future().get().code(), StatusCode::kUnavailable);
    WatchSubscription moved = std::move(sub);
    EXPECT_FALSE(sub.active());  // NOLINT(bugprone-use-after-move): the moved-from state is the contract
    EXPECT_TRUE(moved.active());
  }
  const SessionStats stats = s->Stats();
  EXPECT_EQ(stats.watches, 0U);  // failed reads register nothing
  EXPECT_EQ(stats.watched_path_bytes, 0U);
  EXPECT_EQ(stats.session_epoch, 0U);
  EXPECT_EQ(s->WatchCount(), 0U);
  EXPECT_EQ(calls, 0);
  s->Stop();
}

// Writes and GetAcl share the request path: they fail at once (on the calling thread) with kUnavailable while
// not connected and with kCancelled after Stop, and leave nothing in flight.
TEST(SessionWriteTest, WritesAndGetAclFailFastWhenNotConnected) {
  auto s = std::move(Session::Create(ClosedPortOptions())).value();
  s->Start();
  for (int round = 0; round < 2; ++round) {
    const StatusCode want = round == 0 ? StatusCode::kUnavailable : StatusCode::kCancelled;
    std::vector<Status> got;
    s->Create("/p", "d", CreateMode::kEphemeral, [&](Status st, std::string path) {
      EXPECT_TRUE(path.empty());
      got.push_back(std::move(st));
    });
    s->SetData("/p", "d", kAnyVersion, [&](Status st, ZnodeStat) { got.push_back(std::move(st)); });
    s->GetData("/p", [&](Status st, std::string data, ZnodeStat) {
      EXPECT_TRUE(data.empty());
      got.push_back(std::move(st));
    });
    s->Delete("/p", kAnyVersion, [&](Status st) { got.push_back(std::move(st)); });
    s->GetAcl("/p", [&](Status st, std::vector<AclEntry> acl, ZnodeStat) {
      EXPECT_TRUE(acl.empty());
      got.push_back(std::move(st));
    });
    ASSERT_EQ(got.size(), 5u);  // every callback already ran, on this thread
    for (const Status& st : got) EXPECT_EQ(st.code(), want) << st.ToString();
    EXPECT_EQ(s->InFlight(), 0u);
    s->Stop();
  }
}

TEST(SessionWatchTest, EpochCountsEveryTransitionIntoConnected) {
  SessionTracker t;
  const auto now = std::chrono::system_clock::now();
  t.OnHandleCreated(now);
  t.OnState(SessionState::kConnected, now);
  EXPECT_EQ(t.stats().session_epoch, 1U);
  t.OnState(SessionState::kConnecting, now);
  t.OnState(SessionState::kConnected, now);
  EXPECT_EQ(t.stats().session_epoch, 2U);
  t.OnState(SessionState::kExpired, now);
  t.OnHandleCreated(now);
  t.OnState(SessionState::kConnected, now);
  EXPECT_EQ(t.stats().session_epoch, 3U);
}

}  // namespace
}  // namespace zkx::zk
