#include "zk/secure_connector.h"

#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <utility>
#include <vector>

#include <spdlog/spdlog.h>

#if ZKX_ZOOKEEPER_HAS_SASL
#include <sasl/sasl.h>
#endif

#include "base/mutex.h"
#include "base/thread_annotations.h"
#include "zk/secure_failures.h"
#include "zk/tls_connect_hook.h"

namespace zkx::zk {
namespace {

#if ZKX_ZOOKEEPER_HAS_SSL
// zookeeper_init_ssl splits its certificate argument with strtok (process-wide state inside the C library,
// which no annotation can name: the lock is only held around that call).
Mutex g_init_ssl_mu;
#endif

#if ZKX_ZOOKEEPER_HAS_SASL
std::once_flag g_sasl_init_once;
int g_sasl_init_rc = SASL_OK;

// After a SASL failure the 3.8.0 client marks the handle AUTH_FAILED and stops its IO thread without any
// session event (zookeeper.c, zookeeper_process: a ZOO_SASL_OP reply with an error, such as ZAUTHFAILED for a
// wrong DIGEST-MD5 password or ZSESSIONCLOSEDREQUIRESASLAUTH from a server enforcing SASL, reaches
// zoo_sasl_mark_failed and logs nothing; a Cyrus SASL error on our side, such as an unknown GSSAPI service
// principal, logs "Starting (or During) SASL negotiation: <error>" and "SASL authentication failed").
// zk::Session therefore polls PollSaslFailure; this filter only keeps the client's last SASL error line as
// the detail of the next failure, and forwards every line to the session's own log callback (process-wide,
// like the bridge).
std::atomic<log_callback_fn> g_sasl_forward{nullptr};
Mutex g_sasl_detail_mu;
std::string g_sasl_detail GUARDED_BY(g_sasl_detail_mu);  // the client's last SASL error line, once
void SaslWatchingLogCallback(const char* message) {
  if (message != nullptr) {
    // zk_sasl.c: "Starting SASL negotiation: <Cyrus error>" and "During SASL negotiation: <Cyrus error>".
    const char* detail = std::strstr(message, "Starting SASL negotiation");
    if (detail == nullptr) detail = std::strstr(message, "During SASL negotiation");
    if (detail != nullptr) {
      try {
        MutexLock lock(g_sasl_detail_mu);
        g_sasl_detail = detail;
      } catch (...) {
      }
    }
  }
  if (log_callback_fn forward = g_sasl_forward.load(); forward != nullptr) forward(message);
}
// GSSAPI with a keytab: MIT krb5 reads the client keytab (KRB5_CLIENT_KTNAME) and the credential cache
// (KRB5CCNAME) from the environment, process-wide. Both are set once, before any session thread runs: a
// private in-memory cache (unless the operator chose one), so the exporter neither writes a ticket file nor
// picks up another principal's tickets from /tmp/krb5cc_<uid>. A second keytab in one process cannot work.
Mutex g_keytab_mu;
std::string g_keytab GUARDED_BY(g_keytab_mu);  // the keytab exported, "" before the first
Status UseClientKeytab(const std::string& keytab) {
  MutexLock lock(g_keytab_mu);
  if (!g_keytab.empty()) {
    if (g_keytab == keytab) return Status::Ok();
    return Status::InvalidArgument("--zookeeper.sasl.keytab-file: one process can use one client keytab ('" +
                                   g_keytab + "' already), not '" + keytab + "'");
  }
  // Under g_keytab_mu, before the first SASL session of the process starts (see above).
  setenv("KRB5_CLIENT_KTNAME", keytab.c_str(), 1);       // NOLINT(concurrency-mt-unsafe)
  setenv("KRB5CCNAME", "MEMORY:zookeeper_exporter", 0);  // NOLINT(concurrency-mt-unsafe)
  g_keytab = keytab;
  return Status::Ok();
}

// True when Cyrus SASL (initialised) has a client plugin for `mechanism`.
bool HasSaslMechanism(const std::string& mechanism) {
  const char** mechs = sasl_global_listmech();
  for (; mechs != nullptr && *mechs != nullptr; ++mechs) {
    if (mechanism == *mechs) return true;
  }
  return false;
}

std::string TakeSaslDetail() {
  MutexLock lock(g_sasl_detail_mu);
  return std::exchange(g_sasl_detail, std::string());
}
#endif

}  // namespace

struct SecureConnector::State {
  SecurityOptions options;
  std::string cert_argument;  // "ca,cert,key"
#if ZKX_ZOOKEEPER_HAS_SASL
  // Cyrus SASL's callbacks answer from here; `secret` is a sasl_secret_t (length + bytes), wiped on
  // destruction.
  std::vector<unsigned char> secret;
  std::vector<sasl_callback_t> callbacks;
  std::string mechlist;

  static int OnSimple(void* context, int id, const char** result, unsigned* len) {
    auto* self = static_cast<State*>(context);
    if (self == nullptr || result == nullptr) return SASL_BADPARAM;
    const SaslOptions& sasl = *self->options.sasl;
    const std::string& value = sasl.mechanism == "GSSAPI" ? sasl.principal : sasl.username;
    if (id != SASL_CB_USER && id != SASL_CB_AUTHNAME) return SASL_BADPARAM;
    *result = value.c_str();
    if (len != nullptr) *len = static_cast<unsigned>(value.size());
    return SASL_OK;
  }
  static int OnSecret(sasl_conn_t* /*conn*/, void* context, int id, sasl_secret_t** psecret) {
    auto* self = static_cast<State*>(context);
    if (self == nullptr || psecret == nullptr || id != SASL_CB_PASS || self->secret.empty()) {
      return SASL_BADPARAM;
    }
    *psecret = reinterpret_cast<sasl_secret_t*>(self->secret.data());
    return SASL_OK;
  }
  static int OnRealm(void* /*context*/, int id, const char** availrealms, const char** result) {
    if (id != SASL_CB_GETREALM || result == nullptr) return SASL_BADPARAM;
    *result = availrealms != nullptr ? availrealms[0] : nullptr;  // the server's own realm
    return SASL_OK;
  }
#endif

  ~State() {
#if ZKX_ZOOKEEPER_HAS_SASL
    if (!secret.empty()) explicit_bzero(secret.data(), secret.size());
#endif
    if (options.sasl) explicit_bzero(options.sasl->password.data(), options.sasl->password.size());
  }
};

SecureConnector::SecureConnector() : state_(std::make_unique<State>()) {}
SecureConnector::~SecureConnector() = default;

Result<std::unique_ptr<SecureConnector>> SecureConnector::Create(SecurityOptions options) {
  if (Status s = ValidateSecurityOptions(options); !s.ok()) return s;
  std::unique_ptr<SecureConnector> c(new SecureConnector());
  State& st = *c->state_;
  st.options = std::move(options);
  if (st.options.tls) {
    // Over TLS the client writes with SSL_write (write(2), no MSG_NOSIGNAL): a server closing the connection
    // would kill the process with SIGPIPE. The exporter ignores it anyway (exporter/signals.cc); so do we.
    std::signal(SIGPIPE, SIG_IGN);
    st.cert_argument = ZooKeeperCertArgument(*st.options.tls);
    if (st.options.tls->insecure_skip_verify) {
      spdlog::warn(
          "zookeeper: --zookeeper.tls.insecure-skip-verify is set: the servers' certificates and names are "
          "NOT "
          "verified; anyone on the path can impersonate the ensemble");
      SetTlsInsecureSkipVerify(true);
    }
  }
#if ZKX_ZOOKEEPER_HAS_SASL
  if (st.options.sasl) {
    const SaslOptions& sasl = *st.options.sasl;
    if (sasl.mechanism == "GSSAPI" && !sasl.keytab_file.empty()) {
      if (Status s = UseClientKeytab(sasl.keytab_file); !s.ok()) return s;
    }
    std::call_once(g_sasl_init_once, [] { g_sasl_init_rc = sasl_client_init(nullptr); });
    if (g_sasl_init_rc != SASL_OK) {
      return Status::Internal("Cyrus SASL initialisation failed: " +
                              std::string(sasl_errstring(g_sasl_init_rc, nullptr, nullptr)));
    }
    if (!HasSaslMechanism(sasl.mechanism)) {
      return Status::InvalidArgument(
          "--zookeeper.sasl.mechanism=" + sasl.mechanism +
          ": Cyrus SASL has no plugin for it on this machine (install " +
          (sasl.mechanism == "GSSAPI" ? "libsasl2-modules-gssapi-mit" : "libsasl2-modules") + ")");
    }
    if (!sasl.password.empty()) {
      st.secret.assign(sizeof(sasl_secret_t) + sasl.password.size(), 0);
      auto* secret = reinterpret_cast<sasl_secret_t*>(st.secret.data());
      secret->len = static_cast<unsigned long>(sasl.password.size());
      std::memcpy(secret->data, sasl.password.data(), sasl.password.size());
    }
    // Cyrus SASL stores every callback as int (*)(void) and calls it with its real type: cast through
    // void (*)(void), which GCC's -Wcast-function-type accepts as "any function".
    using Generic = int (*)(void);
    auto cb = [](auto fn) { return reinterpret_cast<Generic>(reinterpret_cast<void (*)(void)>(fn)); };
    st.callbacks = {
        {SASL_CB_USER, cb(&State::OnSimple), &st}, {SASL_CB_AUTHNAME, cb(&State::OnSimple), &st},
        {SASL_CB_PASS, cb(&State::OnSecret), &st}, {SASL_CB_GETREALM, cb(&State::OnRealm), &st},
        {SASL_CB_LIST_END, nullptr, nullptr},
    };
    st.mechlist = sasl.mechanism;
  }
#endif
  return c;
}

zhandle_t* SecureConnector::Init(const std::string& hosts, watcher_fn watcher, int timeout_ms, void* context,
                                 log_callback_fn log_callback) {
  [[maybe_unused]] State& st = *state_;  // unused when the client has neither TLS nor SASL
#if ZKX_ZOOKEEPER_HAS_SSL
  if (st.options.tls) {
    if (!st.options.tls->insecure_skip_verify) RegisterTlsPeerExpectations(ResolveTlsPeerExpectations(hosts));
    zhandle_t* zh = nullptr;
    {
      MutexLock lock(g_init_ssl_mu);
      zh = zookeeper_init_ssl(hosts.c_str(), st.cert_argument.c_str(), watcher, timeout_ms, nullptr, context,
                              0);
    }
    if (zh != nullptr) zoo_set_log_callback(zh, log_callback);
    return zh;
  }
#endif
#if ZKX_ZOOKEEPER_HAS_SASL
  if (st.options.sasl) {
    zoo_sasl_params_t params{};
    params.service = st.options.sasl->service.c_str();
    params.host = st.options.sasl->host.c_str();
    params.mechlist = st.mechlist.c_str();
    params.callbacks = st.callbacks.data();
    g_sasl_forward.store(log_callback);
    return zookeeper_init_sasl(hosts.c_str(), watcher, timeout_ms, nullptr, context, 0,
                               &SaslWatchingLogCallback, &params);
  }
#endif
  return zookeeper_init2(hosts.c_str(), watcher, timeout_ms, nullptr, context, 0, log_callback);
}

bool SecureConnector::PollSaslFailure(zhandle_t* zh) {
#if ZKX_ZOOKEEPER_HAS_SASL
  if (zh == nullptr || !state_->options.sasl || zoo_state(zh) != ZOO_AUTH_FAILED_STATE) return false;
  std::string detail = TakeSaslDetail();
  if (detail.empty()) {
    detail = "the server refused " + state_->options.sasl->mechanism +
             " authentication (wrong credentials, an unknown user or principal, or a mechanism it does not "
             "accept)";
  }
  RecordSecurityFailure(SecurityFailure::kSasl, "SASL " + state_->options.sasl->mechanism + ": " + detail);
  return true;
#else
  (void)zh;
  return false;
#endif
}

bool SecureConnector::uses_tls() const {
  return state_->options.tls.has_value();
}
bool SecureConnector::uses_sasl() const {
  return state_->options.sasl.has_value();
}

std::string SecureConnector::Describe() const {
  const SecurityOptions& o = state_->options;
  if (o.tls) {
    return "TLS (CA " + (o.tls->ca_file.empty() ? std::string("none") : o.tls->ca_file) +
           ", client certificate " + o.tls->cert_file +
           (o.tls->insecure_skip_verify ? ", verification OFF)" : ", server name checked)");
  }
  if (o.sasl) {
    return "SASL " + o.sasl->mechanism + " (service " + o.sasl->service + ", host " + o.sasl->host + ")";
  }
  return "plain TCP";
}

}  // namespace zkx::zk
