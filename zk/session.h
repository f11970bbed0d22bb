#pragma once
// zk::Session: the exporter's one ZooKeeper session, kept alive for the life of the process.
//
// Follows the C client's rules for a long-running daemon (checked in the 3.8.0 client's source) and the
// client behaviour written down in zk/README.md:
//  - zookeeper_init2 with our log callback (client log -> spdlog, rate-limited), retried while it returns
//    NULL; zoo_set_servers_resolution_delay(-1) right after init (it stops re-resolution while connected
//    only: while disconnected the IO thread resolves every host on each iteration; IP addresses avoid DNS
//    altogether);
//  - one watcher function + one context (this Session) for every event, dispatched by path;
//  - a cap on requests in flight (callers block for a slot: backpressure; a waiter that leaves without the
//    slot passes the wake-up on);
//  - an exists-watch the client registers on a znode that is gone (ZNONODE) is removed at once
//    (zoo_aremove_all_watches, ZWATCHTYPE_DATA, on the server too), so SetWatches holds only live watches;
//  - every request is counted against the process-wide xid (zk/xid_budget.h); close to ZOOKEEPER-3286's
//    special values, requests fail with kUnavailable and the process must be restarted;
//  - on EXPIRED / AUTH_FAILED the handle is dead: stop submitting, wait (bounded) for in-flight completions,
//    close it on a background thread, create a new one from our own manager thread;
//  - digest credentials are added with zoo_add_auth once each handle is connected (the client refuses them
//    while its state is 0, after every failed connect), before any request goes out on it; the client
//    re-sends them on every reconnect. Until then Connected() is false and requests fail with kUnavailable.
//
// Threads: a manager thread owns handle (re)creation; the C client runs its IO and completion threads.
// Completions copy what they got and call the user's callback, which must not block.
// Thread-safety: all public methods are thread-safe.
// Lifetime: the destructor stops everything; callbacks never run after it returns. Requests still pending
// when the handle is closed are failed with kCancelled (the C client drops them: ZOOKEEPER-3868).

#include <chrono>
#include <cstddef>
#include <memory>
#include <optional>
#include <string>

#include "base/status.h"
#include "zk/digest_credentials.h"
#include "zk/secure_options.h"
#include "zk/session_state.h"
#include "zk/znode_reader.h"
#include "zk/znode_writer.h"

namespace zkx::zk {

class SecureConnector;  // zk/secure_connector.h

struct SessionOptions {
  std::string hosts;  // connect string "h1:p1,h2:p2[/chroot]"
  std::chrono::milliseconds session_timeout{30000};
  std::optional<DigestCredentials> credentials;  // digest auth, added after every (re)init
  // Cap on outstanding async requests, all callers together. A walk keeps to half of it (and to its own
  // max_in_flight, 2048 by default), so the rest always has room.
  std::size_t max_in_flight = 4096;
  std::chrono::milliseconds init_retry_backoff{1000};  // between zookeeper_init attempts that return NULL
  std::chrono::milliseconds drain_timeout{5000};       // how long a dead handle's in-flight requests may take
  SecurityOptions security;  // TLS or SASL to the ensemble (zk/secure_connector.h); plain TCP when empty
};

class Session final : public ZnodeReader, public ZnodeWriter {
 public:
  // Validates options (non-empty hosts, positive timeout, max_in_flight > 0).
  static Result<std::unique_ptr<Session>> Create(SessionOptions options);
  ~Session() override;  // = Stop()

  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  // Starts connecting in the background and returns at once. Idempotent.
  void Start();
  // Closes the session: fails pending requests with kCancelled, joins threads. Blocks up to a few seconds.
  void Stop();

  [[nodiscard]] SessionStats Stats() const;
  [[nodiscard]] bool Connected() const;  // kConnected or kReadOnly, and the credentials (if any) added
  // Length of the connect string's chroot ("/prod/kafka" -> 11; 0 for none): the client prefixes it to every
  // watched path in SetWatches (collectors::WatchBudget counts it).
  [[nodiscard]] std::size_t ChrootLength() const;
  [[nodiscard]] std::size_t InFlight() const;

  // ZnodeReader. Fails at once with kUnavailable when not connected.
  void GetChildren2(const std::string& path, ChildrenCallback done) override;
  // Watched reads: the watch is registered with the session's one watcher and counted in
  // Stats().watches / watched_path_bytes until it fires or the handle is replaced.
  void WatchChildren2(const std::string& path, ChildrenCallback done) override;
  void WatchExists(const std::string& path, StatCallback done) override;
  // zoo_aremove_all_watches(ZWATCHTYPE_ANY) on the server too; a removal uncounts the path's watches in
  // Stats() and dispatches kNotWatching for it.
  void RemoveWatches(const std::string& path, std::function<void(Status)> done) override;
  // Listeners run on the C client's completion thread, in registration order, and must not block.
  // A kResync event follows every transition into connected (Stats().session_epoch grows).
  WatchSubscription SubscribeWatches(WatchListener listener) override;
  [[nodiscard]] uint64_t SessionEpoch() const override;
  [[nodiscard]] std::size_t InFlightCap() const override;
  // ACL and Stat of `path` (zoo_aget_acl). Fails at once with kUnavailable when not connected.
  void GetAcl(const std::string& path, AclCallback done) override;

  // ZnodeWriter (zoo_acreate, zoo_aset, zoo_aget without a watch, zoo_adelete). Same guarantees as the
  // reads: exactly one callback, backpressure on the in-flight cap, kUnavailable at once when not connected,
  // kCancelled for requests still pending when the handle is closed.
  // Create's ACL: ZOO_CREATOR_ALL_ACL (all permissions for the session's own digest identity, "auth" scheme)
  // when the session has digest credentials, else ZOO_OPEN_ACL_UNSAFE (world:anyone, all permissions).
  void Create(const std::string& path, std::string data, CreateMode mode, CreateCallback done) override;
  void SetData(const std::string& path, std::string data, int32_t version, SetDataCallback done) override;
  void GetData(const std::string& path, GetDataCallback done) override;
  void Delete(const std::string& path, int32_t version, DeleteCallback done) override;

  // The exporter's own registered watches (for the watches collector).
  [[nodiscard]] std::size_t WatchCount() const;

 private:
  Session(SessionOptions options, std::unique_ptr<SecureConnector> connector);
  class Impl;
  std::unique_ptr<Impl> impl_;
};

// The linked C client's version, e.g. "3.8.0".
std::string ClientVersion();

}  // namespace zkx::zk
