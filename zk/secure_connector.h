#pragma once
// SecureConnector: creates a zhandle_t with the session's TLS or SASL settings (zk/secure_options.h); the one
// place that calls zookeeper_init_ssl / zookeeper_init_sasl. zk::Session calls Init instead of
// zookeeper_init2.
//
//  - Plain: zookeeper_init2 (as before).
//  - TLS: ignores SIGPIPE process-wide (the client's SSL_write has no MSG_NOSIGNAL), registers the connect
//  string's expected peer names (zk/tls_connect_hook.h), then zookeeper_init_ssl
//    with "ca,cert,key", serialised by a process-wide mutex (the client splits that string with strtok, which
//    is not thread-safe), and sets the log callback right after (zookeeper_init_ssl takes none).
//  - SASL: zookeeper_init_sasl with Cyrus SASL callbacks that answer from this object's memory (user,
//  password
//    from the credentials file, realm); sasl_client_init runs once per process. GSSAPI: the keytab is
//    exported as KRB5_CLIENT_KTNAME once per process (a second, different keytab is refused), with a private
//    KRB5CCNAME=MEMORY:zookeeper_exporter unless the environment names a cache, at Create, before any session
//    thread runs. Create refuses a mechanism Cyrus SASL has no plugin for (libsasl2-modules-gssapi-mit).
//
// Lifetime: the SASL callbacks are referenced by every handle Init created: the connector must outlive them
// (zk::Session owns it and closes its handles first). Thread-safety: Init may be called from any thread.

#include <memory>
#include <string>

#include <zookeeper/zookeeper.h>

#include "base/status.h"
#include "zk/secure_options.h"

namespace zkx::zk {

class SecureConnector {
 public:
  // Validates `options` (ValidateSecurityOptions) and prepares what every Init needs.
  static Result<std::unique_ptr<SecureConnector>> Create(SecurityOptions options);
  ~SecureConnector();
  SecureConnector(const SecureConnector&) = delete;
  SecureConnector& operator=(const SecureConnector&) = delete;

  // Like zookeeper_init2. NULL (errno set) when the client refuses; the caller retries.
  zhandle_t* Init(const std::string& hosts, watcher_fn watcher, int timeout_ms, void* context,
                  log_callback_fn log_callback);

  // True when `zh` (a handle Init created with SASL) failed SASL authentication: the 3.8.0 client then sets
  // ZOO_AUTH_FAILED_STATE and stops its IO thread WITHOUT a session event, so the owner must poll
  // (zk::Session's manager thread does, every 100 ms while a SASL handle is current). Records a `sasl`
  // security failure (zk/secure_failures.h) each time it returns true: call it until it does, then retire the
  // handle. Always false without SASL. Any thread; never blocks. (With digest credentials as well, a refused
  // digest could be counted here too if this poll sees AUTH_FAILED before the session event does.)
  [[nodiscard]] bool PollSaslFailure(zhandle_t* zh);

  [[nodiscard]] bool uses_tls() const;
  [[nodiscard]] bool uses_sasl() const;
  // A one-line description for the startup log: mechanism and files, never secrets.
  [[nodiscard]] std::string Describe() const;

 private:
  SecureConnector();
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace zkx::zk
