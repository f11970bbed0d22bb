#pragma once
// A throw-away PKI for TLS tests, made with the `openssl` and `keytool` command-line tools (Debian's openssl
// and the JDK) under a directory the caller owns, plus the zoo.cfg lines of a TLS-only ZooKeeper server.
//
// Certificates (RSA 2048, PEM; keys unencrypted):
//   ca            the trusted CA
//   server        CA-signed, SAN IP:127.0.0.1 + DNS:localhost: the ensemble's certificate
//   client        CA-signed client certificate (CN=zookeeper-exporter)
//   other_ca      a CA nobody trusts; other_client is signed by it (a client certificate the servers refuse)
//   expired       CA-signed, SAN IP:127.0.0.1, valid 2020-01-01 to 2020-01-02
//   wrong_name    CA-signed, SAN DNS:zk.other.example only (no IP, not localhost)
// Server keystores (PKCS12, password "changeit"): <name>.p12 for server, expired and wrong_name; trust.p12
// holds ca only (so the servers need a client certificate signed by ca).
// Not thread-safe; runs child processes (std::system) in the calling thread.

#include <cstdint>
#include <string>
#include <vector>

#include "base/status.h"

namespace zkx::test {

struct TlsPki {
  std::string dir;
  std::string Pem(const std::string& name) const { return dir + "/" + name + ".pem"; }
  std::string Key(const std::string& name) const { return dir + "/" + name + ".key"; }
  std::string KeyStore(const std::string& name) const { return dir + "/" + name + ".p12"; }
  std::string TrustStore() const { return dir + "/trust.p12"; }
};

// Creates everything above in `dir` (which must exist). Fails with the failing command's output.
Result<TlsPki> MakeTlsPki(const std::string& dir);

// zoo.cfg lines for a TLS-only server with `keystore` (one of KeyStore(...)) and mutual TLS (clientAuth=need)
// against TrustStore(). Use with ZkEnsembleOptions::secure_client_port = true.
std::vector<std::string> TlsServerConfig(const TlsPki& pki, const std::string& keystore_name);

// The server's mode ("leader", "follower", "standalone") from the AdminServer's `srvr` command over plain
// HTTP on 127.0.0.1:`admin_port` (for servers without a plain client port).
Result<std::string> AdminServerMode(uint16_t admin_port);

}  // namespace zkx::test
