#include "zk/session_state.h"

#include <gtest/gtest.h>

namespace zkx::zk {
namespace {

using std::chrono::system_clock;
using Clock = system_clock;

Clock::time_point T(int seconds) {
  return Clock::time_point(std::chrono::seconds(1'700'000'000 + seconds));
}

TEST(SessionStateTest, Names) {
  EXPECT_EQ(SessionStateName(SessionState::kConnecting), "connecting");
  EXPECT_EQ(SessionStateName(SessionState::kConnected), "connected");
  EXPECT_EQ(SessionStateName(SessionState::kReadOnly), "readonly");
  EXPECT_EQ(SessionStateName(SessionState::kExpired), "expired");
  EXPECT_EQ(SessionStateName(SessionState::kAuthFailed), "auth_failed");
  EXPECT_EQ(SessionStateName(SessionState::kClosed), "closed");
}

TEST(SessionStateTest, InitialStats) {
  SessionTracker t;
  EXPECT_EQ(t.stats().state, SessionState::kConnecting);
  EXPECT_EQ(t.stats().last_state_change, Clock::time_point{});
  EXPECT_EQ(t.stats().connects_total, 0u);
  EXPECT_EQ(t.stats().handles_created_total, 0u);
}

TEST(SessionStateTest, ConnectDisconnectReconnect) {
  SessionTracker t;
  t.OnHandleCreated(T(0));
  EXPECT_EQ(t.stats().handles_created_total, 1u);
  EXPECT_EQ(t.stats().state, SessionState::kConnecting);

  EXPECT_EQ(t.OnState(SessionState::kConnected, T(1)), SessionAction::kNone);
  t.OnNegotiated(std::chrono::milliseconds(30000), 0x1234);
  EXPECT_EQ(t.stats().connects_total, 1u);
  EXPECT_EQ(t.stats().disconnects_total, 0u);
  EXPECT_EQ(t.stats().last_state_change, T(1));
  EXPECT_EQ(t.stats().negotiated_timeout, std::chrono::milliseconds(30000));
  EXPECT_EQ(t.stats().session_id, 0x1234);

  EXPECT_EQ(t.OnState(SessionState::kConnecting, T(2)), SessionAction::kNone);
  EXPECT_EQ(t.stats().disconnects_total, 1u);
  EXPECT_EQ(t.OnState(SessionState::kReadOnly, T(3)), SessionAction::kNone);
  EXPECT_EQ(t.stats().connects_total, 2u);
  EXPECT_EQ(t.OnState(SessionState::kConnecting, T(4)), SessionAction::kNone);
  EXPECT_EQ(t.OnState(SessionState::kConnected, T(5)), SessionAction::kNone);
  EXPECT_EQ(t.stats().connects_total, 3u);
  EXPECT_EQ(t.stats().disconnects_total, 2u);
  EXPECT_EQ(t.stats().expirations_total, 0u);
  EXPECT_EQ(t.stats().state, SessionState::kConnected);
  EXPECT_EQ(t.stats().last_state_change, T(5));
}

TEST(SessionStateTest, RepeatedStatesAreNotTransitions) {
  SessionTracker t;
  t.OnHandleCreated(T(0));
  t.OnState(SessionState::kConnecting, T(1));  // already connecting
  EXPECT_EQ(t.stats().last_state_change, T(0));
  t.OnState(SessionState::kConnected, T(2));
  t.OnState(SessionState::kConnected, T(3));
  t.OnState(SessionState::kConnected, T(4));
  EXPECT_EQ(t.stats().connects_total, 1u);
  EXPECT_EQ(t.stats().last_state_change, T(2));
  t.OnState(SessionState::kExpired, T(5));
  EXPECT_EQ(t.OnState(SessionState::kExpired, T(6)), SessionAction::kNone);  // no second replacement
  EXPECT_EQ(t.stats().expirations_total, 1u);
  EXPECT_EQ(t.stats().disconnects_total, 1u);
  EXPECT_EQ(t.stats().last_state_change, T(5));
}

TEST(SessionStateTest, ExpiryAsksForReplacementAndCountsDisconnect) {
  SessionTracker t;
  t.OnHandleCreated(T(0));
  t.OnState(SessionState::kConnected, T(1));
  t.OnState(SessionState::kConnecting, T(2));  // partitioned
  EXPECT_EQ(t.stats().disconnects_total, 1u);
  // Expiry seen on reconnect: not connected just before, so no second disconnect.
  EXPECT_EQ(t.OnState(SessionState::kExpired, T(3)), SessionAction::kReplaceHandle);
  EXPECT_EQ(t.stats().expirations_total, 1u);
  EXPECT_EQ(t.stats().disconnects_total, 1u);

  // Replacement handle.
  t.OnHandleCreated(T(4));
  EXPECT_EQ(t.stats().handles_created_total, 2u);
  EXPECT_EQ(t.stats().state, SessionState::kConnecting);
  EXPECT_EQ(t.stats().last_state_change, T(4));
  t.OnState(SessionState::kConnected, T(5));
  EXPECT_EQ(t.stats().connects_total, 2u);
}

TEST(SessionStateTest, ExpiryStraightFromConnectedIsADisconnect) {
  SessionTracker t;
  t.OnHandleCreated(T(0));
  t.OnState(SessionState::kConnected, T(1));
  EXPECT_EQ(t.OnState(SessionState::kExpired, T(2)), SessionAction::kReplaceHandle);
  EXPECT_EQ(t.stats().disconnects_total, 1u);
  EXPECT_EQ(t.stats().expirations_total, 1u);
}

TEST(SessionStateTest, AuthFailure) {
  SessionTracker t;
  t.OnHandleCreated(T(0));
  t.OnState(SessionState::kConnected, T(1));
  EXPECT_EQ(t.OnState(SessionState::kAuthFailed, T(2)), SessionAction::kReplaceHandle);
  EXPECT_EQ(t.stats().auth_failures_total, 1u);
  EXPECT_EQ(t.stats().disconnects_total, 1u);
  EXPECT_EQ(t.stats().expirations_total, 0u);
  t.OnHandleCreated(T(3));
  EXPECT_EQ(t.OnState(SessionState::kAuthFailed, T(4)), SessionAction::kReplaceHandle);
  EXPECT_EQ(t.stats().auth_failures_total, 2u);
  EXPECT_EQ(t.stats().disconnects_total, 1u);
}

TEST(SessionStateTest, CloseFromConnectedCountsDisconnect) {
  SessionTracker t;
  t.OnHandleCreated(T(0));
  t.OnState(SessionState::kReadOnly, T(1));
  EXPECT_EQ(t.OnState(SessionState::kClosed, T(2)), SessionAction::kNone);
  EXPECT_EQ(t.stats().state, SessionState::kClosed);
  EXPECT_EQ(t.stats().disconnects_total, 1u);
  EXPECT_EQ(t.stats().connects_total, 1u);
}

}  // namespace
}  // namespace zkx::zk
