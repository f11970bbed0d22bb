#include "exporter/security_flags.h"

#include <utility>

#include <CLI/CLI.hpp>

#include "zk/digest_credentials.h"

namespace zkx::exporter {

void AddSecurityFlags(CLI::App& app, SecurityFlags& f) {
  app.add_option("--zookeeper.tls.ca-file", f.tls_ca_file,
                 "TLS to ZooKeeper: PEM CA bundle the servers' certificates must chain to (turns TLS on)")
      ->type_name("FILE");
  app.add_option("--zookeeper.tls.cert-file", f.tls_cert_file, "TLS to ZooKeeper: PEM client certificate")
      ->type_name("FILE");
  app.add_option("--zookeeper.tls.key-file", f.tls_key_file,
                 "TLS to ZooKeeper: PEM private key of the client certificate (unencrypted)")
      ->type_name("FILE");
  app.add_flag("--zookeeper.tls.insecure-skip-verify", f.tls_insecure_skip_verify,
               "TLS to ZooKeeper without checking the servers' certificates or names (logged as a warning)");
  app.add_option("--zookeeper.sasl.mechanism", f.sasl_mechanism,
                 "SASL to ZooKeeper: DIGEST-MD5 or GSSAPI (default: none)")
      ->type_name("MECHANISM");
  app.add_option("--zookeeper.sasl.credentials-file", f.sasl_credentials_file,
                 "SASL DIGEST-MD5: file holding \"user:password\"")
      ->type_name("FILE");
  app.add_option("--zookeeper.sasl.service-name", f.sasl_service_name, "SASL service name")
      ->capture_default_str()
      ->type_name("NAME");
  app.add_option("--zookeeper.sasl.host", f.sasl_host,
                 "SASL server host name (DIGEST-MD5: the servers' realm host; GSSAPI: the host part of the "
                 "servers' principal)")
      ->capture_default_str()
      ->type_name("HOST");
  app.add_option("--zookeeper.sasl.keytab-file", f.sasl_keytab_file, "SASL GSSAPI: client keytab")
      ->type_name("FILE");
  app.add_option("--zookeeper.sasl.principal", f.sasl_principal, "SASL GSSAPI: client principal")
      ->type_name("PRINCIPAL");
}

Result<zk::SecurityOptions> BuildSecurityOptions(const SecurityFlags& f) {
  zk::SecurityOptions out;
  if (!f.tls_ca_file.empty() || !f.tls_cert_file.empty() || !f.tls_key_file.empty() ||
      f.tls_insecure_skip_verify) {
    zk::TlsOptions tls;
    tls.ca_file = f.tls_ca_file;
    tls.cert_file = f.tls_cert_file;
    tls.key_file = f.tls_key_file;
    tls.insecure_skip_verify = f.tls_insecure_skip_verify;
    out.tls = std::move(tls);
  }
  if (!f.sasl_mechanism.empty()) {
    zk::SaslOptions sasl;
    sasl.mechanism = f.sasl_mechanism;
    sasl.service = f.sasl_service_name;
    sasl.host = f.sasl_host;
    sasl.keytab_file = f.sasl_keytab_file;
    sasl.principal = f.sasl_principal;
    if (!f.sasl_credentials_file.empty()) {
      Result<zk::DigestCredentials> c = zk::LoadDigestCredentialsFile(f.sasl_credentials_file);
      if (!c.ok())
        return Status::InvalidArgument("--zookeeper.sasl.credentials-file: " + c.status().message());
      sasl.username = std::move(c->user);
      sasl.password = std::move(c->password);
    }
    out.sasl = std::move(sasl);
  } else if (!f.sasl_credentials_file.empty() || !f.sasl_keytab_file.empty() || !f.sasl_principal.empty()) {
    return Status::InvalidArgument("--zookeeper.sasl.* given without --zookeeper.sasl.mechanism");
  }
  if (Status s = zk::ValidateSecurityOptions(out); !s.ok()) return s;
  return out;
}

}  // namespace zkx::exporter
