#include "zk/secure_options.h"

#include <unistd.h>

namespace zkx::zk {
namespace {

Status CheckTlsFile(const std::string& path, const char* flag, bool required) {
  if (path.empty()) {
    if (!required) return Status::Ok();
    return Status::InvalidArgument(
        std::string(flag) +
        " is required for TLS: the ZooKeeper C client 3.8.0 needs a CA file, a client "
        "certificate and its key");
  }
  if (path.find(',') != std::string::npos) {
    return Status::InvalidArgument(std::string(flag) + ": the path '" + path +
                                   "' contains a comma, which the ZooKeeper C client cannot take (it splits "
                                   "\"ca,cert,key\" on commas); use a path without one (a symlink will do)");
  }
  if (access(path.c_str(), R_OK) != 0) {
    return Status::InvalidArgument(std::string(flag) + ": cannot read '" + path + "'");
  }
  return Status::Ok();
}

}  // namespace

bool ClientHasTls() {
  return ZKX_ZOOKEEPER_HAS_SSL != 0;
}
bool ClientHasSasl() {
  return ZKX_ZOOKEEPER_HAS_SASL != 0;
}

Status ValidateSecurityOptions(const SecurityOptions& options) {
  if (options.tls) {
    if (!ClientHasTls()) {
      return Status::InvalidArgument(
          "--zookeeper.tls.*: this build links a ZooKeeper C client without TLS (Debian's libzookeeper-mt); "
          "build with -DZKX_ZOOKEEPER_CLIENT=bundled (scripts/build-zk-client.sh)");
    }
    const TlsOptions& tls = *options.tls;
    // The client loads the CA file even when verification is skipped: the client certificate stands in.
    if (Status s = CheckTlsFile(tls.ca_file, "--zookeeper.tls.ca-file", !tls.insecure_skip_verify); !s.ok()) {
      return s;
    }
    if (Status s = CheckTlsFile(tls.cert_file, "--zookeeper.tls.cert-file", true); !s.ok()) return s;
    if (Status s = CheckTlsFile(tls.key_file, "--zookeeper.tls.key-file", true); !s.ok()) return s;
  }
  if (options.sasl) {
    if (!ClientHasSasl()) {
      return Status::InvalidArgument(
          "--zookeeper.sasl.*: this build links a ZooKeeper C client without SASL (Debian's "
          "libzookeeper-mt); "
          "build with -DZKX_ZOOKEEPER_CLIENT=bundled (scripts/build-zk-client.sh)");
    }
    if (options.tls) {
      return Status::InvalidArgument(
          "--zookeeper.tls.* and --zookeeper.sasl.* together: the ZooKeeper C client 3.8.0 has no way to "
          "combine them (zookeeper_init_ssl takes no SASL parameters)");
    }
    const SaslOptions& sasl = *options.sasl;
    if (sasl.service.empty() || sasl.host.empty()) {
      return Status::InvalidArgument(
          "--zookeeper.sasl.service-name and --zookeeper.sasl.host must not be empty");
    }
    if (sasl.mechanism == "DIGEST-MD5") {
      if (sasl.username.empty()) {
        return Status::InvalidArgument(
            "--zookeeper.sasl.mechanism=DIGEST-MD5 needs --zookeeper.sasl.credentials-file (user:password)");
      }
    } else if (sasl.mechanism == "GSSAPI") {
      if (sasl.principal.empty()) {
        return Status::InvalidArgument("--zookeeper.sasl.mechanism=GSSAPI needs --zookeeper.sasl.principal");
      }
      if (sasl.host == kDigestSaslHost) {
        // The C client asks for service/host@REALM with this host for every server (it does not use the
        // server's own name as the Java client does): the DIGEST-MD5 default cannot be anyone's principal.
        return Status::InvalidArgument(
            "--zookeeper.sasl.mechanism=GSSAPI needs --zookeeper.sasl.host: the host part of the servers' "
            "principal (<service-name>/<host>@REALM), the same for every server");
      }
      if (!sasl.keytab_file.empty() && access(sasl.keytab_file.c_str(), R_OK) != 0) {
        return Status::InvalidArgument("--zookeeper.sasl.keytab-file: cannot read '" + sasl.keytab_file +
                                       "'");
      }
    } else {
      return Status::InvalidArgument("--zookeeper.sasl.mechanism must be DIGEST-MD5 or GSSAPI, not '" +
                                     sasl.mechanism + "'");
    }
  }
  return Status::Ok();
}

std::string ZooKeeperCertArgument(const TlsOptions& tls) {
  const std::string& ca = tls.ca_file.empty() ? tls.cert_file : tls.ca_file;
  return ca + "," + tls.cert_file + "," + tls.key_file;
}

}  // namespace zkx::zk
