#include "exporter/security_flags.h"

#include <utility>

#include <CLI/CLI.hpp>
#include <unistd.h>

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
  app.add_flag("--server.admin-https", f.admin_https,
               "AdminServer commands over HTTPS (admin.forceHttps / admin.portUnification servers)");
  app.add_option("--server.admin-tls.ca-file", f.admin_tls_ca_file,
                 "AdminServer HTTPS: PEM CA bundle (default: --zookeeper.tls.ca-file, else the system's CAs)")
      ->type_name("FILE");
  app.add_option("--server.admin-tls.cert-file", f.admin_tls_cert_file,
                 "AdminServer HTTPS: PEM client certificate to offer (default: --zookeeper.tls.cert-file)")
      ->type_name("FILE");
  app.add_option("--server.admin-tls.key-file", f.admin_tls_key_file,
                 "AdminServer HTTPS: its unencrypted PEM key (default: --zookeeper.tls.key-file)")
      ->type_name("FILE");
  app.add_flag("--server.admin-tls.insecure-skip-verify", f.admin_tls_insecure_skip_verify,
               "AdminServer HTTPS without checking the servers' certificates or names (logged as a warning)");
}

Result<std::optional<server::AdminTlsOptions>> BuildAdminTlsOptions(const SecurityFlags& f) {
  const bool on = f.admin_https || !f.admin_tls_ca_file.empty() || !f.admin_tls_cert_file.empty() ||
                  !f.admin_tls_key_file.empty() || f.admin_tls_insecure_skip_verify;
  if (!on) return std::optional<server::AdminTlsOptions>();
  server::AdminTlsOptions o;
  o.ca_file = f.admin_tls_ca_file.empty() ? f.tls_ca_file : f.admin_tls_ca_file;
  o.cert_file = f.admin_tls_cert_file.empty() ? f.tls_cert_file : f.admin_tls_cert_file;
  o.key_file = f.admin_tls_key_file.empty() ? f.tls_key_file : f.admin_tls_key_file;
  o.insecure_skip_verify = f.admin_tls_insecure_skip_verify;
  const std::pair<const char*, const std::string*> files[] = {{"--server.admin-tls.ca-file", &o.ca_file},
                                                              {"--server.admin-tls.cert-file", &o.cert_file},
                                                              {"--server.admin-tls.key-file", &o.key_file}};
  for (const auto& [flag, path] : files) {
    if (!path->empty() && access(path->c_str(), R_OK) != 0) {
      return Status::InvalidArgument(std::string(flag) + ": cannot read '" + *path + "'");
    }
  }
  if (o.cert_file.empty() != o.key_file.empty()) {
    return Status::InvalidArgument(
        "--server.admin-tls.cert-file and --server.admin-tls.key-file go together (or their "
        "--zookeeper.tls.* "
        "defaults)");
  }
  return std::optional<server::AdminTlsOptions>(std::move(o));
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
      if (!c.ok()) {
        return Status::InvalidArgument("--zookeeper.sasl.credentials-file: " + c.status().message());
      }
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
