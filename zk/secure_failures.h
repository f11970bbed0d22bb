#pragma once
// Process-wide counters of why connections to ZooKeeper were refused for security reasons, and the "log once
// per change" rule for them.
//
// Reasons (the `reason` label of zookeeper_exporter_session_security_failures_total):
//   tls_handshake          the TLS handshake failed for another reason: the server refused our client
//                          certificate (none, or not signed by a CA it trusts), no common protocol, a reset
//   untrusted_certificate  the server's certificate does not chain to --zookeeper.tls.ca-file
//   certificate_expired    the server's certificate (or one in its chain) is expired or not yet valid
//   hostname_mismatch      the server's certificate is valid but not for the host (or IP) we connected to
//   sasl                   SASL authentication failed: the server refused it (a wrong DIGEST-MD5 password, an
//                          unknown principal; ZAUTHFAILED or ZSESSIONCLOSEDREQUIRESASLAUTH) or Cyrus SASL
//                          failed on our side (no Kerberos ticket, no mechanism); once per refused handle
// TLS failures are recorded by the client's IO thread (zk/tls_connect_hook.cc), SASL failures by
// zk::Session's manager thread polling the handle (zk/secure_connector.h: 3.8.0 sends no session event for
// them); they are counted per process because the C client's hook has no handle to name (every session of one
// exporter shares one TLS configuration).
//
// Thread-safety: every function is thread-safe and never blocks for long (a mutex only around the last
// reason).

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace zkx::zk {

enum class SecurityFailure {
  kTlsHandshake,
  kUntrustedCertificate,
  kCertificateExpired,
  kHostnameMismatch,
  kSasl,
};
inline constexpr std::size_t kSecurityFailureCount = 5;
inline constexpr std::array<SecurityFailure, kSecurityFailureCount> kAllSecurityFailures = {
    SecurityFailure::kTlsHandshake, SecurityFailure::kUntrustedCertificate,
    SecurityFailure::kCertificateExpired, SecurityFailure::kHostnameMismatch, SecurityFailure::kSasl};

// "tls_handshake", "untrusted_certificate", "certificate_expired", "hostname_mismatch", "sasl".
std::string_view SecurityFailureName(SecurityFailure failure);

struct SecurityFailureCounts {
  std::array<uint64_t, kSecurityFailureCount> failures{};  // indexed by SecurityFailure
  uint64_t tls_handshakes_ok = 0;                          // TLS handshakes that completed
};

// Counts a failure. `detail` (the peer address and OpenSSL's or SASL's reason; never a secret) is logged at
// WARN only when the reason differs from the last outcome recorded (a failure of another reason, or success).
void RecordSecurityFailure(SecurityFailure failure, const std::string& detail);
// Counts a completed TLS handshake; logs once (INFO) when the previous outcome was a failure.
void RecordTlsHandshakeOk(const std::string& peer);
// A snapshot of the counters.
SecurityFailureCounts GetSecurityFailureCounts();

}  // namespace zkx::zk
