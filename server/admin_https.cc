#include "server/admin_https.h"

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <mutex>
#include <system_error>
#include <utility>

#include <arpa/inet.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <poll.h>

#include "base/mutex.h"

namespace zkx::server {

class AdminTlsContext {
 public:
  explicit AdminTlsContext(SSL_CTX* ctx, bool verify) : ctx_(ctx), verify_(verify) {}
  ~AdminTlsContext() { SSL_CTX_free(ctx_); }
  AdminTlsContext(const AdminTlsContext&) = delete;
  AdminTlsContext& operator=(const AdminTlsContext&) = delete;
  [[nodiscard]] SSL_CTX* ctx() const { return ctx_; }
  [[nodiscard]] bool verify() const { return verify_; }

 private:
  SSL_CTX* ctx_;  // owned; SSL_new only reads it (OpenSSL's SSL_CTX is safe to share once configured)
  bool verify_;
};

namespace {

using Clock = std::chrono::steady_clock;

Mutex g_mu;
std::shared_ptr<const AdminTlsContext> g_current GUARDED_BY(g_mu);

std::string OpenSslError() {
  char buf[256] = {0};
  const unsigned long e = ERR_peek_last_error();
  if (e == 0) return "no detail from OpenSSL";
  ERR_error_string_n(e, buf, sizeof buf);
  return buf;
}

int RemainingMs(Clock::time_point deadline) {
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
  if (left <= 0) return 0;
  return static_cast<int>(std::min<long long>(left, 60'000));
}

// Waits for what OpenSSL asked for (SSL_ERROR_WANT_READ / _WRITE). False at the deadline or on poll errors.
bool WaitFor(int fd, int ssl_error, Clock::time_point deadline) {
  const short events = ssl_error == SSL_ERROR_WANT_WRITE ? POLLOUT : POLLIN;
  for (;;) {
    pollfd p{fd, events, 0};
    const int n = ::poll(&p, 1, RemainingMs(deadline));
    if (n > 0) return true;
    if (n == 0) {
      if (Clock::now() >= deadline) return false;
      continue;
    }
    if (errno != EINTR) return false;
  }
}

ProbeReply Fail(ProbeReason reason, std::string detail) {
  ProbeReply r;
  r.reason = reason;
  r.detail = std::move(detail);
  return r;
}

// Why a handshake failed: the certificate check's verdict first, then OpenSSL's error.
ProbeReply HandshakeFailure(SSL* ssl, const std::string& where) {
  const long verify = SSL_get_verify_result(ssl);
  if (verify != X509_V_OK) {
    ProbeReason reason = ProbeReason::kUntrustedCertificate;
    if (verify == X509_V_ERR_HOSTNAME_MISMATCH || verify == X509_V_ERR_IP_ADDRESS_MISMATCH) {
      reason = ProbeReason::kHostnameMismatch;
    } else if (verify == X509_V_ERR_CERT_HAS_EXPIRED || verify == X509_V_ERR_CERT_NOT_YET_VALID) {
      reason = ProbeReason::kCertificateExpired;
    }
    return Fail(reason, "TLS to " + where + ": " + X509_verify_cert_error_string(verify));
  }
  std::string detail = OpenSslError();
  if (detail.find("wrong version number") != std::string::npos ||
      detail.find("packet length too long") != std::string::npos) {
    detail += " (the port answered in plain HTTP: is the AdminServer's HTTPS on?)";
  }
  return Fail(ProbeReason::kTlsHandshake, "TLS to " + where + ": " + detail);
}

bool IsIpLiteral(const std::string& host) {
  unsigned char buf[16];
  return ::inet_pton(AF_INET, host.c_str(), buf) == 1 || ::inet_pton(AF_INET6, host.c_str(), buf) == 1;
}

}  // namespace

Status EnableAdminHttps(const AdminTlsOptions& o) {
  if (o.cert_file.empty() != o.key_file.empty()) {
    return Status::InvalidArgument(
        "AdminServer HTTPS: a client certificate needs its key, and a key its certificate");
  }
  // SSL_write writes to the socket without MSG_NOSIGNAL: a server closing early must not kill us.
  std::signal(SIGPIPE, SIG_IGN);
  ERR_clear_error();
  SSL_CTX* raw = SSL_CTX_new(TLS_client_method());
  if (raw == nullptr) return Status::Internal("AdminServer HTTPS: SSL_CTX_new: " + OpenSslError());
  auto ctx = std::make_shared<const AdminTlsContext>(raw, !o.insecure_skip_verify);
  SSL_CTX_set_min_proto_version(raw, TLS1_2_VERSION);
  SSL_CTX_set_options(raw, SSL_OP_IGNORE_UNEXPECTED_EOF);  // Jetty may close without close_notify
  if (o.insecure_skip_verify) {
    SSL_CTX_set_verify(raw, SSL_VERIFY_NONE, nullptr);
  } else {
    SSL_CTX_set_verify(raw, SSL_VERIFY_PEER, nullptr);
    const int loaded = o.ca_file.empty() ? SSL_CTX_set_default_verify_paths(raw)
                                         : SSL_CTX_load_verify_locations(raw, o.ca_file.c_str(), nullptr);
    if (loaded != 1) {
      return Status::InvalidArgument("AdminServer HTTPS: cannot load the CA file '" + o.ca_file +
                                     "': " + OpenSslError());
    }
  }
  if (!o.cert_file.empty()) {
    if (SSL_CTX_use_certificate_chain_file(raw, o.cert_file.c_str()) != 1) {
      return Status::InvalidArgument("AdminServer HTTPS: cannot load the client certificate '" + o.cert_file +
                                     "': " + OpenSslError());
    }
    if (SSL_CTX_use_PrivateKey_file(raw, o.key_file.c_str(), SSL_FILETYPE_PEM) != 1 ||
        SSL_CTX_check_private_key(raw) != 1) {
      return Status::InvalidArgument("AdminServer HTTPS: cannot load the key '" + o.key_file +
                                     "' (unencrypted PEM, matching the certificate): " + OpenSslError());
    }
  }
  MutexLock lock(g_mu);
  g_current = std::move(ctx);
  return Status::Ok();
}

void DisableAdminHttps() {
  MutexLock lock(g_mu);
  g_current.reset();
}

bool AdminHttpsEnabled() {
  MutexLock lock(g_mu);
  return g_current != nullptr;
}

std::shared_ptr<const AdminTlsContext> CurrentAdminTls() {
  MutexLock lock(g_mu);
  return g_current;
}

ProbeReply HttpsExchange(int fd, const AdminTlsContext& tls, const std::string& host,
                         const std::string& where, std::string_view request, Clock::time_point deadline,
                         std::size_t max_bytes) {
  ERR_clear_error();
  std::unique_ptr<SSL, decltype(&SSL_free)> ssl(SSL_new(tls.ctx()), &SSL_free);
  if (!ssl || SSL_set_fd(ssl.get(), fd) != 1) {
    return Fail(ProbeReason::kIoError, "TLS to " + where + ": " + OpenSslError());
  }
  if (tls.verify()) {
    X509_VERIFY_PARAM* param = SSL_get0_param(ssl.get());
    X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
    const int named = IsIpLiteral(host) ? X509_VERIFY_PARAM_set1_ip_asc(param, host.c_str())
                                        : X509_VERIFY_PARAM_set1_host(param, host.c_str(), 0);
    if (named != 1) return Fail(ProbeReason::kIoError, "TLS to " + where + ": cannot set the expected name");
  }
  if (!IsIpLiteral(host)) {  // SNI; SSL_set_tlsext_host_name is a macro with a C cast
    SSL_ctrl(ssl.get(), SSL_CTRL_SET_TLSEXT_HOSTNAME, TLSEXT_NAMETYPE_host_name,
             const_cast<char*>(host.c_str()));
  }

  for (;;) {  // handshake
    ERR_clear_error();
    const int rc = SSL_connect(ssl.get());
    if (rc == 1) break;
    const int err = SSL_get_error(ssl.get(), rc);
    if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE) {
      if (!WaitFor(fd, err, deadline)) {
        return Fail(ProbeReason::kTimeout, "TLS handshake with " + where + ": timed out");
      }
      continue;
    }
    if (err == SSL_ERROR_SYSCALL && ERR_peek_last_error() == 0) {
      return Fail(ProbeReason::kTlsHandshake,
                  "TLS to " + where + ": the server closed the connection during the handshake" +
                      (errno != 0 ? " (" + std::generic_category().message(errno) + ")" : std::string()));
    }
    return HandshakeFailure(ssl.get(), where);
  }

  std::size_t sent = 0;
  while (sent < request.size()) {
    ERR_clear_error();
    const int n = SSL_write(ssl.get(), request.data() + sent, static_cast<int>(request.size() - sent));
    if (n > 0) {
      sent += static_cast<std::size_t>(n);
      continue;
    }
    const int err = SSL_get_error(ssl.get(), n);
    if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE) {
      if (!WaitFor(fd, err, deadline)) return Fail(ProbeReason::kTimeout, "send to " + where + ": timed out");
      continue;
    }
    if (err == SSL_ERROR_SSL) {  // an alert right after the handshake (see below)
      return Fail(ProbeReason::kTlsHandshake, "TLS to " + where + ": " + OpenSslError());
    }
    return Fail(ProbeReason::kIoError, "send to " + where + " over TLS: " + OpenSslError());
  }

  ProbeReply reply;
  char buf[16384];
  for (;;) {
    ERR_clear_error();
    const int n = SSL_read(ssl.get(), buf, sizeof buf);
    if (n > 0) {
      if (reply.body.size() + static_cast<std::size_t>(n) > max_bytes) {
        return Fail(ProbeReason::kResponseTooLarge,
                    "reply from " + where + " exceeds " + std::to_string(max_bytes) + " bytes");
      }
      reply.body.append(buf, static_cast<std::size_t>(n));
      continue;
    }
    const int err = SSL_get_error(ssl.get(), n);
    if (err == SSL_ERROR_ZERO_RETURN) break;  // close_notify, or EOF (SSL_OP_IGNORE_UNEXPECTED_EOF)
    if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE) {
      if (!WaitFor(fd, err, deadline)) {
        return Fail(ProbeReason::kTimeout, "read from " + where + ": timed out");
      }
      continue;
    }
    if (err == SSL_ERROR_SYSCALL && !reply.body.empty()) break;  // a reset after the reply: keep it
    if (err == SSL_ERROR_SSL && reply.body.empty()) {
      // A TLS 1.3 server that refuses our client certificate (none, or from a CA it does not trust) says so
      // only after our side of the handshake completed: an alert on the first read.
      return Fail(ProbeReason::kTlsHandshake, "TLS to " + where + ": " + OpenSslError());
    }
    return Fail(ProbeReason::kIoError, "read from " + where + " over TLS: " + OpenSslError());
  }
  return reply;
}

}  // namespace zkx::server
