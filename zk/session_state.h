#pragma once
// The exporter's view of its ZooKeeper session, and a pure state machine that counts transitions.
// SessionTracker knows nothing of the C client: zk::Session maps ZOO_*_STATE to SessionState and feeds it,
// and unit tests drive it directly.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace zkx::zk {

enum class SessionState {
  kConnecting,  // no session yet, or connection lost and the client is trying the ensemble
  kConnected,
  kReadOnly,    // connected to a read-only server
  kExpired,     // the server expired the session: the handle is dead and will be replaced
  kAuthFailed,  // authentication failed: the handle is dead and will be replaced
  kClosed,      // closed by us (shutdown)
};

inline constexpr SessionState kAllSessionStates[] = {SessionState::kConnecting, SessionState::kConnected,
                                                     SessionState::kReadOnly,   SessionState::kExpired,
                                                     SessionState::kAuthFailed, SessionState::kClosed};

// "connecting", "connected", "readonly", "expired", "auth_failed", "closed": the `state` label values.
std::string_view SessionStateName(SessionState state);

// A copy of the session's counters at one instant.
struct SessionStats {
  SessionState state = SessionState::kConnecting;
  std::chrono::system_clock::time_point last_state_change{};  // epoch until the first transition
  std::chrono::milliseconds negotiated_timeout{0};            // 0 until a session is established
  int64_t session_id = 0;                                     // 0 until a session is established
  uint64_t connects_total = 0;                                // transitions into kConnected / kReadOnly
  uint64_t disconnects_total = 0;      // transitions out of kConnected / kReadOnly, for any reason
  uint64_t expirations_total = 0;      // transitions into kExpired
  uint64_t auth_failures_total = 0;    // transitions into kAuthFailed
  uint64_t handles_created_total = 0;  // zookeeper_init successes (1 + re-inits after expiry/auth failure)
  // Watches: filled in by zk::Session (the tracker leaves them alone).
  uint64_t session_epoch = 0;  // +1 on every transition into kConnected / kReadOnly
  std::size_t watches = 0;     // the exporter's registered znode watches (data/exists + child)
  // Sum over those watches of (4 + chroot length + path length): what the client re-sends in SetWatches.
  std::size_t watched_path_bytes = 0;
  uint64_t watch_events_total = 0;  // znode watch events received
  // Why the latest zookeeper_init failed (e.g. a host name that does not resolve yet); "" once a handle was
  // created. Filled in by zk::Session.
  std::string last_error;
  // Exists-watches the client left on znodes that were gone (ZNONODE), removed again by the session.
  uint64_t orphan_watches_removed_total = 0;
  // Digest authentications the server confirmed (zoo_add_auth completion with ZOK).
  uint64_t auth_accepted_total = 0;
  // Process-wide (every session): requests issued through the C client, and how many remain before its xid
  // reaches ZOOKEEPER-3286's special values (zk/xid_budget.h).
  uint64_t requests_issued_total = 0;
  uint64_t xid_requests_remaining = 0;
};

// What the owner of the handle must do after a transition.
enum class SessionAction {
  kNone,
  kReplaceHandle,  // the handle is dead (expired / auth failed): drain, close it, create a new one
};

// Not thread-safe: the owner serialises calls (zk::Session calls it under its mutex).
class SessionTracker {
 public:
  // Records a transition to `next` observed at `now`. A repeated state is not a transition (no counter
  // moves).
  SessionAction OnState(SessionState next, std::chrono::system_clock::time_point now);
  // Records the negotiated timeout and session id once connected.
  void OnNegotiated(std::chrono::milliseconds timeout, int64_t session_id);
  // Counts a new handle (initial connect or re-init); the state becomes kConnecting.
  void OnHandleCreated(std::chrono::system_clock::time_point now);

  [[nodiscard]] const SessionStats& stats() const { return stats_; }

 private:
  SessionStats stats_;
};

}  // namespace zkx::zk
