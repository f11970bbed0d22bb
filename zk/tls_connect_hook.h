#pragma once
// The server-name check the ZooKeeper C client 3.8.0 lacks, and the classification of TLS failures.
//
// The client sets SSL_VERIFY_PEER and loads the CA (plus the system's default CAs), but never tells OpenSSL
// which name to expect: any certificate from a trusted CA would do, for any host. scripts/build-zk-client.sh
// renames the client's one SSL_connect call to zkx_zookeeper_ssl_connect (objcopy on the static archive; the
// C source is unchanged), defined here. Before the first handshake step on a connection it:
//  - looks up the peer's IP (getpeername on the SSL's socket) among the expectations registered from the
//    connect string: a host given as an IP literal must be in the certificate's IP SANs
//    (X509_VERIFY_PARAM_set1_ip_asc); a host given as a name must match the certificate's DNS SANs
//    (SSL_set1_host, which also sets SNI). A peer IP with no expectation (DNS changed since the handle was
//    created) gets a name that matches no certificate: fail closed, reason hostname_mismatch.
//  - with insecure_skip_verify, switches verification off for that connection (SSL_VERIFY_NONE).
// After a failed step it classifies the failure (zk/secure_failures.h) from SSL_get_verify_result.
//
// Thread-safety: the registry is mutex-guarded; the hook runs on the C clients' IO threads.

#include <string>
#include <vector>

namespace zkx::zk {

struct TlsPeerExpectation {
  std::string ip;    // numeric peer address, as getpeername + getnameinfo(NI_NUMERICHOST) prints it
  std::string name;  // the host as written in the connect string
  bool name_is_ip = false;
};

// Adds expectations (process-wide; kept for the life of the process, bounded by the connect strings given).
void RegisterTlsPeerExpectations(const std::vector<TlsPeerExpectation>& expectations);
// Process-wide: skip certificate and name verification (--zookeeper.tls.insecure-skip-verify).
void SetTlsInsecureSkipVerify(bool skip);

// Resolves the hosts of `connect_string` ("h1:p1,h2:p2[/chroot]") the way the C client does (getaddrinfo) and
// returns one expectation per address. IP literals need no DNS.
std::vector<TlsPeerExpectation> ResolveTlsPeerExpectations(const std::string& connect_string);

}  // namespace zkx::zk

// The function the bundled client's archive calls instead of SSL_connect. `ssl` is an SSL*.
extern "C" int zkx_zookeeper_ssl_connect(void* ssl);

// The 3.8.0 client calls FIPS_mode() only to log "FIPS mode is ON/OFF" before each handshake; OpenSSL 3
// removed that function (the client was written for 1.x), so the archive does not link against libssl 3 as it
// is. This definition answers as OpenSSL 3 would (EVP_default_properties_is_fips_enabled), which keeps the
// client's source unchanged. (Fixed upstream after 3.8.0.)
extern "C" int FIPS_mode(void);
