// SessionTracker: a pure state machine over SessionState that counts transitions (see session_state.h).
#include "zk/session_state.h"

namespace zkx::zk {
namespace {

bool IsConnected(SessionState s) {
  return s == SessionState::kConnected || s == SessionState::kReadOnly;
}

}  // namespace

std::string_view SessionStateName(SessionState state) {
  switch (state) {
    case SessionState::kConnecting: return "connecting";
    case SessionState::kConnected: return "connected";
    case SessionState::kReadOnly: return "readonly";
    case SessionState::kExpired: return "expired";
    case SessionState::kAuthFailed: return "auth_failed";
    case SessionState::kClosed: return "closed";
  }
  return "unknown";
}

SessionAction SessionTracker::OnState(SessionState next, std::chrono::system_clock::time_point now) {
  const SessionState prev = stats_.state;
  if (next == prev) return SessionAction::kNone;  // a repeated state is not a transition

  if (IsConnected(prev)) ++stats_.disconnects_total;  // out of connected, for any reason (incl. ro <-> rw)
  if (IsConnected(next)) {
    ++stats_.connects_total;
    ++stats_.session_epoch;
  }
  if (next == SessionState::kExpired) ++stats_.expirations_total;
  if (next == SessionState::kAuthFailed) ++stats_.auth_failures_total;
  stats_.state = next;
  stats_.last_state_change = now;

  if (next == SessionState::kExpired || next == SessionState::kAuthFailed) {
    return SessionAction::kReplaceHandle;
  }
  return SessionAction::kNone;
}

void SessionTracker::OnNegotiated(std::chrono::milliseconds timeout, int64_t session_id) {
  stats_.negotiated_timeout = timeout;
  stats_.session_id = session_id;
}

void SessionTracker::OnHandleCreated(std::chrono::system_clock::time_point now) {
  ++stats_.handles_created_total;
  // A new handle is a fresh start: its kConnecting counts as a transition even from the initial
  // kConnecting (so last_state_change moves off the epoch).
  OnState(SessionState::kConnecting, now);
  stats_.last_state_change = now;
}

}  // namespace zkx::zk
