#include "zk/tls_connect_hook.h"

#include <atomic>
#include <map>
#include <set>
#include <string_view>
#include <utility>

#include <arpa/inet.h>
#include <netdb.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>
#include <sys/socket.h>

#include "base/mutex.h"
#include "base/thread_annotations.h"
#include "zk/secure_failures.h"

namespace zkx::zk {
namespace {

Mutex g_mu;
std::map<std::string, std::set<std::pair<std::string, bool>>> g_expected GUARDED_BY(g_mu);  // ip -> names
std::atomic<bool> g_insecure{false};

// Marks an SSL as prepared (the client calls SSL_connect repeatedly while the handshake wants IO).
int PreparedIndex() {
  static const int index = SSL_get_ex_new_index(0, nullptr, nullptr, nullptr, nullptr);
  return index;
}
int g_prepared_marker = 1;

std::string PeerIp(int fd, std::string* printable) {
  sockaddr_storage addr{};
  socklen_t len = sizeof addr;
  if (fd < 0 || getpeername(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) return {};
  char host[NI_MAXHOST] = {0};
  char port[NI_MAXSERV] = {0};
  if (getnameinfo(reinterpret_cast<sockaddr*>(&addr), len, host, sizeof host, port, sizeof port,
                  NI_NUMERICHOST | NI_NUMERICSERV) != 0) {
    return {};
  }
  *printable = std::string(host) + ":" + port;
  return host;
}

// Sets the name or IP OpenSSL must find in the server's certificate. False: nothing registered for `ip`.
bool Prepare(SSL* ssl, const std::string& ip) {
  if (g_insecure.load()) {
    SSL_set_verify(ssl, SSL_VERIFY_NONE, nullptr);
    return true;
  }
  std::set<std::pair<std::string, bool>> names;
  {
    MutexLock lock(g_mu);
    auto it = g_expected.find(ip);
    if (it != g_expected.end()) names = it->second;
  }
  X509_VERIFY_PARAM* param = SSL_get0_param(ssl);
  X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
  if (names.empty()) {
    // Fail closed: a name no certificate may carry (".invalid" is reserved, RFC 6761).
    SSL_set1_host(ssl, "unexpected-peer.zookeeper-exporter.invalid");
    return false;
  }
  // An IP literal in the connect string: the peer's own address must be in the certificate's IP SANs (OpenSSL
  // would require both an IP and a name when both are set, so an IP literal wins).
  for (const auto& entry : names) {
    if (entry.second) {
      X509_VERIFY_PARAM_set1_ip_asc(param, ip.c_str());
      return true;
    }
  }
  bool first = true;
  for (const auto& entry : names) {
    if (first) {
      SSL_set1_host(ssl, entry.first.c_str());
      // SNI (SSL_set_tlsext_host_name is a macro with an old-style cast).
      SSL_ctrl(ssl, SSL_CTRL_SET_TLSEXT_HOSTNAME, TLSEXT_NAMETYPE_host_name,
               const_cast<char*>(entry.first.c_str()));
      first = false;
    } else {
      SSL_add1_host(ssl, entry.first.c_str());
    }
  }
  return true;
}

SecurityFailure Classify(long verify_result) {
  switch (verify_result) {
    case X509_V_OK: return SecurityFailure::kTlsHandshake;
    case X509_V_ERR_HOSTNAME_MISMATCH:
    case X509_V_ERR_IP_ADDRESS_MISMATCH:
    case X509_V_ERR_EMAIL_MISMATCH: return SecurityFailure::kHostnameMismatch;
    case X509_V_ERR_CERT_HAS_EXPIRED:
    case X509_V_ERR_CERT_NOT_YET_VALID:
    case X509_V_ERR_CRL_HAS_EXPIRED: return SecurityFailure::kCertificateExpired;
    default: return SecurityFailure::kUntrustedCertificate;
  }
}

}  // namespace

void RegisterTlsPeerExpectations(const std::vector<TlsPeerExpectation>& expectations) {
  MutexLock lock(g_mu);
  for (const TlsPeerExpectation& e : expectations) g_expected[e.ip].emplace(e.name, e.name_is_ip);
}

void SetTlsInsecureSkipVerify(bool skip) {
  g_insecure.store(skip);
}

std::vector<TlsPeerExpectation> ResolveTlsPeerExpectations(const std::string& connect_string) {
  std::vector<TlsPeerExpectation> out;
  std::string_view hosts = connect_string;
  if (const auto slash = hosts.find('/'); slash != std::string_view::npos) hosts = hosts.substr(0, slash);
  while (!hosts.empty()) {
    const auto comma = hosts.find(',');
    std::string_view entry = hosts.substr(0, comma);
    hosts = comma == std::string_view::npos ? std::string_view{} : hosts.substr(comma + 1);
    while (!entry.empty() && entry.front() == ' ') entry.remove_prefix(1);
    while (!entry.empty() && entry.back() == ' ') entry.remove_suffix(1);
    // The last ':' separates the port (the C client's IPv6 form is "::1:2181").
    if (const auto colon = entry.rfind(':'); colon != std::string_view::npos) entry = entry.substr(0, colon);
    if (entry.size() > 2 && entry.front() == '[' && entry.back() == ']') {
      entry = entry.substr(1, entry.size() - 2);
    }
    if (entry.empty()) continue;
    const std::string host(entry);
    unsigned char buf[sizeof(in6_addr)];
    if (inet_pton(AF_INET, host.c_str(), buf) == 1 || inet_pton(AF_INET6, host.c_str(), buf) == 1) {
      // Normalise through getnameinfo's printing, as PeerIp does.
      addrinfo hints{};
      hints.ai_flags = AI_NUMERICHOST;
      addrinfo* res = nullptr;
      if (getaddrinfo(host.c_str(), nullptr, &hints, &res) == 0 && res != nullptr) {
        char printed[NI_MAXHOST] = {0};
        if (getnameinfo(res->ai_addr, res->ai_addrlen, printed, sizeof printed, nullptr, 0, NI_NUMERICHOST) ==
            0) {
          out.push_back({printed, host, true});
        }
        freeaddrinfo(res);
      }
      continue;
    }
    addrinfo hints{};
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_family = AF_UNSPEC;
    addrinfo* res = nullptr;
    if (getaddrinfo(host.c_str(), nullptr, &hints, &res) != 0) continue;
    for (addrinfo* ai = res; ai != nullptr; ai = ai->ai_next) {
      char printed[NI_MAXHOST] = {0};
      if (getnameinfo(ai->ai_addr, ai->ai_addrlen, printed, sizeof printed, nullptr, 0, NI_NUMERICHOST) ==
          0) {
        out.push_back({printed, host, false});
      }
    }
    freeaddrinfo(res);
  }
  return out;
}

}  // namespace zkx::zk

extern "C" int zkx_zookeeper_ssl_connect(void* ssl_ptr) {
  using namespace zkx::zk;
  SSL* ssl = static_cast<SSL*>(ssl_ptr);
  std::string peer = "unknown peer";
  const std::string ip = PeerIp(SSL_get_fd(ssl), &peer);
  if (SSL_get_ex_data(ssl, PreparedIndex()) == nullptr) {
    SSL_set_ex_data(ssl, PreparedIndex(), &g_prepared_marker);
    if (!Prepare(ssl, ip)) {
      // Counted as hostname_mismatch by the handshake's verify result below.
      ERR_clear_error();
    }
  }
  const int rc = SSL_connect(ssl);
  if (rc == 1) {
    RecordTlsHandshakeOk(peer);
    return rc;
  }
  const int err = SSL_get_error(ssl, rc);  // peeks at the error queue: the client's own SSL_get_error agrees
  if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE) return rc;
  const long verify = SSL_get_verify_result(ssl);
  const SecurityFailure failure = Classify(verify);
  std::string detail = "TLS handshake with " + peer + " failed: ";
  if (verify != X509_V_OK) {
    detail += X509_verify_cert_error_string(verify);
  } else if (const unsigned long e = ERR_peek_last_error(); e != 0) {
    char text[256];
    ERR_error_string_n(e, text, sizeof text);
    detail += text;
  } else {
    detail +=
        err == SSL_ERROR_SYSCALL ? "connection closed by the server" : "SSL error " + std::to_string(err);
  }
  RecordSecurityFailure(failure, detail);
  return rc;
}

extern "C" int FIPS_mode(void) {
  return EVP_default_properties_is_fips_enabled(nullptr);
}
