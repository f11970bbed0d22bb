#pragma once
// HTTPS to the AdminServer: the TLS settings every AdminGet uses once enabled, and the TLS exchange itself.
//
// ZooKeeper serves its AdminServer over HTTPS with admin.forceHttps=true (HTTPS only) or
// admin.portUnification=true (HTTP and HTTPS on one port), with the ssl.quorum.* key and trust stores; 3.9
// adds admin.needClientAuth (3.8 never asks for a client certificate). Once EnableAdminHttps succeeded,
// server::AdminGet (server_probe.h) speaks HTTPS to every server:
//   - the server's certificate must chain to `ca_file` (the system's CAs when empty) and name the host we
//     connected to: an IP literal must be in its IP SANs, a host name in its DNS SANs (sent as SNI too);
//   - a client certificate is offered when `cert_file`/`key_file` are given (servers requiring one refuse us
//     without it);
//   - failures are classified (ProbeReason): untrusted_certificate, certificate_expired, hostname_mismatch,
//     tls_handshake (anything else: the server refused our certificate, no common protocol, the port speaks
//     plain HTTP); a plain-HTTP AdminGet answered with a TLS alert is https_required (server_probe.cc).
// The setting is process-wide, like the C client's TLS hook: every target of one exporter shares its flags.
//
// Thread-safety: EnableAdminHttps / DisableAdminHttps may race with probes: a probe keeps the context it
// started with (shared_ptr to an immutable context). Never throws.

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

#include "base/status.h"
#include "server/server_probe.h"

namespace zkx::server {

struct AdminTlsOptions {
  std::string ca_file;                // PEM CA bundle; "" = the system's default CAs
  std::string cert_file;              // PEM client certificate (chain); "" = none offered
  std::string key_file;               // its unencrypted PEM key; required with cert_file
  bool insecure_skip_verify = false;  // neither the certificate nor the name is checked (warned at startup)
};

// Loads the files into a TLS client context and makes every later AdminGet use HTTPS with it. Errors
// (InvalidArgument) name the file and OpenSSL's reason, never file contents.
Status EnableAdminHttps(const AdminTlsOptions& options);
// Back to plain HTTP (tests).
void DisableAdminHttps();
[[nodiscard]] bool AdminHttpsEnabled();

class AdminTlsContext;  // an immutable SSL_CTX
[[nodiscard]] std::shared_ptr<const AdminTlsContext> CurrentAdminTls();

// HTTPS over `fd`, a connected non-blocking socket to `host` (the name or IP literal the certificate must
// match): handshake, send `request`, read until the server closes; everything bounded by `deadline`.
// `where` names the peer in details. The caller owns and closes `fd`.
ProbeReply HttpsExchange(int fd, const AdminTlsContext& tls, const std::string& host,
                         const std::string& where, std::string_view request,
                         std::chrono::steady_clock::time_point deadline, std::size_t max_bytes);

}  // namespace zkx::server
