#pragma once
// --zookeeper.tls.* and --zookeeper.sasl.*: TLS and SASL to the ensemble (zk/secure_options.h has the rules).
// Secrets come only from files (--zookeeper.sasl.credentials-file, "user:password"): never from argv or the
// environment here, and they never appear in errors or logs.

#include <optional>
#include <string>

#include "base/status.h"
#include "server/admin_https.h"
#include "zk/secure_options.h"

namespace CLI {
class App;
}

namespace zkx::exporter {

struct SecurityFlags {
  std::string tls_ca_file;                // --zookeeper.tls.ca-file
  std::string tls_cert_file;              // --zookeeper.tls.cert-file
  std::string tls_key_file;               // --zookeeper.tls.key-file
  bool tls_insecure_skip_verify = false;  // --zookeeper.tls.insecure-skip-verify
  std::string sasl_mechanism;             // --zookeeper.sasl.mechanism: DIGEST-MD5 | GSSAPI ("" = no SASL)
  std::string sasl_credentials_file;      // --zookeeper.sasl.credentials-file (DIGEST-MD5: "user:password")
  std::string sasl_service_name = "zookeeper";  // --zookeeper.sasl.service-name
  std::string sasl_host = zk::kDigestSaslHost;  // --zookeeper.sasl.host
  std::string sasl_keytab_file;                 // --zookeeper.sasl.keytab-file (GSSAPI)
  std::string sasl_principal;                   // --zookeeper.sasl.principal (GSSAPI)
  // AdminServer over HTTPS (server/admin_https.h). Files default to the --zookeeper.tls.* ones.
  bool admin_https = false;                     // --server.admin-https
  std::string admin_tls_ca_file;                // --server.admin-tls.ca-file
  std::string admin_tls_cert_file;              // --server.admin-tls.cert-file
  std::string admin_tls_key_file;               // --server.admin-tls.key-file
  bool admin_tls_insecure_skip_verify = false;  // --server.admin-tls.insecure-skip-verify
};

// Registers the flags on `app`, writing into `flags` (which must outlive parsing).
void AddSecurityFlags(CLI::App& app, SecurityFlags& flags);

// The session's TLS/SASL options: TLS when any --zookeeper.tls.* file or insecure-skip-verify is given, SASL
// when a mechanism is. Reads the credentials file. Errors name the flag (and file), never a secret; they
// include ValidateSecurityOptions' (a comma in a TLS path, TLS + SASL, a client without TLS or SASL).
Result<zk::SecurityOptions> BuildSecurityOptions(const SecurityFlags& flags);

// The AdminServer's HTTPS settings: nullopt (plain HTTP) unless --server.admin-https or a
// --server.admin-tls.* flag is given. The CA, certificate and key default to --zookeeper.tls.*; without a CA
// the system's CAs are trusted; without a certificate none is offered. Errors name the flag; files are
// checked for readability here and loaded by server::EnableAdminHttps.
Result<std::optional<server::AdminTlsOptions>> BuildAdminTlsOptions(const SecurityFlags& flags);

}  // namespace zkx::exporter
