#pragma once
// A throw-away Kerberos KDC for GSSAPI tests: MIT krb5 (Debian's krb5-kdc and krb5-admin-server) with its
// database, configuration and keytabs under a directory the caller owns, listening on one free port of
// 127.0.0.1 only (TCP and UDP). Nothing outside that directory is read or written: the commands run with
// KRB5_CONFIG and KRB5_KDC_PROFILE pointing at the files here, never at /etc/krb5.conf or /etc/krb5kdc.
//
//   krb5.conf     the clients' configuration (C clients through KRB5_CONFIG, Java through
//                 -Djava.security.krb5.conf): the realm's one KDC on 127.0.0.1:<port>, TCP preferred (Java),
//                 no DNS lookups or canonicalisation (a principal for "localhost" stays "localhost")
//   kdc.conf      the KDC's profile; the database (random master key, in a stash file) lives here too
//   <name>.keytab one keytab per principal, with "/" in the name written as "_" (zookeeper/localhost ->
//                 zookeeper_localhost.keytab)
//
// Every principal gets a random key: there are no passwords. The KDC runs as a daemon (krb5kdc -P) until the
// destructor stops it (SIGTERM, then SIGKILL). Not thread-safe; runs child processes (std::system) in the
// calling thread.

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <sys/types.h>

#include "base/status.h"

namespace zkx::test {

class Kdc {
 public:
  // Creates realm `realm` in `dir` (which must exist) with `principals` (e.g. "zookeeper/localhost",
  // "exporter"; the realm is appended), exports a keytab for each, starts krb5kdc and waits until it answers
  // on its port. Fails with the failing command's output.
  static Result<std::unique_ptr<Kdc>> Start(const std::string& dir, const std::string& realm,
                                            const std::vector<std::string>& principals);
  ~Kdc();  // stops krb5kdc; leaves `dir` to its owner
  Kdc(const Kdc&) = delete;
  Kdc& operator=(const Kdc&) = delete;

  [[nodiscard]] const std::string& realm() const { return realm_; }
  [[nodiscard]] uint16_t port() const { return port_; }
  [[nodiscard]] std::string Krb5Conf() const { return dir_ + "/krb5.conf"; }
  // "name@REALM".
  [[nodiscard]] std::string Principal(const std::string& name) const { return name + "@" + realm_; }
  // The keytab holding `name`'s key (name without the realm).
  [[nodiscard]] std::string Keytab(const std::string& name) const;
  // A JAAS login section `section` ("Server", "Client") that logs `name` in from its keytab with Java's
  // Krb5LoginModule, never from a ticket cache or a prompt.
  [[nodiscard]] std::string JaasSection(const std::string& section, const std::string& name) const;
  // Runs ZooKeeper's own Java CLI (org.apache.zookeeper.ZooKeeperMain) against localhost:`port`, logged in
  // as `name` from its keytab, with `commands` (one per line) on stdin; returns its stdout and stderr.
  // The 3.8 CLI exits 1 after "quit": judge the output. Blocks for a JVM start (seconds).
  [[nodiscard]] std::string ZkCliAs(const std::string& name, uint16_t port,
                                    const std::string& commands) const;

 private:
  Kdc() = default;
  std::string dir_;
  std::string realm_;
  uint16_t port_ = 0;
  pid_t pid_ = -1;
};

}  // namespace zkx::test
