#pragma once
// TLS and SASL settings for the ZooKeeper session (--zookeeper.tls.*, --zookeeper.sasl.*), and their checks.
//
// Secrets (SASL passwords) are read from files only; they never appear in errors, logs or labels, and there
// is deliberately no operator<<. Paths appear in errors; file contents never do.
//
// Limits of the ZooKeeper C client 3.8.0 that these checks turn into clear startup errors:
//  - zookeeper_init_ssl takes "ca,cert,key,passwd" as one string split on commas: a path containing a comma
//    cannot be passed;
//  - it needs a CA file, a client certificate and its key (it fails before connecting without them);
//  - TLS and SASL cannot be combined (there is no init function taking both);
//  - the system library (Debian's libzookeeper-mt) has neither: the bundled build is needed.

#include <optional>
#include <string>

#include "base/status.h"

namespace zkx::zk {

struct TlsOptions {
  std::string ca_file;                // PEM CA bundle the server's certificate must chain to
  std::string cert_file;              // PEM client certificate (chain)
  std::string key_file;               // PEM private key of the client certificate, unencrypted
  bool insecure_skip_verify = false;  // no certificate and no name check (logged as a warning)
};

// The SASL host the ZooKeeper servers use as their DIGEST-MD5 realm (zkCli and the Java client send it).
inline constexpr const char* kDigestSaslHost = "zk-sasl-md5";

struct SaslOptions {
  std::string mechanism;               // "DIGEST-MD5" or "GSSAPI"
  std::string service = "zookeeper";   // SASL service name (the server principal's first part for GSSAPI)
  std::string host = kDigestSaslHost;  // SASL server host (DIGEST-MD5: the server's realm host, as zkCli
                                       // uses; GSSAPI: the host part of the servers' principal, one for all)
  // DIGEST-MD5: from the credentials file ("user:password"); secret.
  std::string username;
  std::string password;
  // GSSAPI: a client keytab (exported as KRB5_CLIENT_KTNAME, with KRB5CCNAME=MEMORY:zookeeper_exporter unless
  // set; one keytab per process) and the principal to authenticate as. Without a keytab: the default
  // credential cache (kinit).
  std::string keytab_file;
  std::string principal;
};

struct SecurityOptions {
  std::optional<TlsOptions> tls;
  std::optional<SaslOptions> sasl;
  [[nodiscard]] bool enabled() const { return tls.has_value() || sasl.has_value(); }
};

// True when the linked C client has TLS (zookeeper_init_ssl) / SASL (zookeeper_init_sasl).
bool ClientHasTls();
bool ClientHasSasl();

// InvalidArgument naming the flag: TLS files missing or unreadable or containing a comma, TLS and SASL
// together, an unknown mechanism, DIGEST-MD5 without credentials, GSSAPI without a principal or with the
// DIGEST-MD5 host, or a feature
// the linked client lacks.
Status ValidateSecurityOptions(const SecurityOptions& options);

// "ca,cert,key" for zookeeper_init_ssl (no password: keys are unencrypted). Requires a validated TlsOptions.
std::string ZooKeeperCertArgument(const TlsOptions& tls);

}  // namespace zkx::zk
