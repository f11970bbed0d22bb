#include "tests/support/kdc.h"

#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <thread>

#include <sys/wait.h>

#include "tests/support/wait_and_ports.h"

namespace zkx::test {
namespace {

std::string Slurp(const std::string& path) {
  std::ifstream in(path);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

// Runs `command` in `dir` (sh -c) with the KDC's environment; its output goes to <dir>/kdc-setup.log.
// Error: the command and the log's tail.
Status Run(const std::string& dir, const std::string& command) {
  const std::string full = "cd '" + dir + "' && export KRB5_CONFIG='" + dir +
                           "/krb5.conf' KRB5_KDC_PROFILE='" + dir + "/kdc.conf' && (" + command +
                           ") >>kdc-setup.log 2>&1";
  if (std::system(full.c_str()) == 0) return Status::Ok();
  std::string text = Slurp(dir + "/kdc-setup.log");
  if (text.size() > 2000) text = text.substr(text.size() - 2000);
  return Status::Internal("kdc command failed: " + command + "\n" + text);
}

Status Write(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::trunc);
  out << text;
  return out ? Status::Ok() : Status::Internal("write " + path);
}

std::string KeytabName(const std::string& name) {
  std::string file = name;
  for (char& c : file) {
    if (c == '/') c = '_';
  }
  return file + ".keytab";
}

}  // namespace

std::string Kdc::Keytab(const std::string& name) const {
  return dir_ + "/" + KeytabName(name);
}

std::string Kdc::JaasSection(const std::string& section, const std::string& name) const {
  return section +
         " {\n  com.sun.security.auth.module.Krb5LoginModule required\n  useKeyTab=true\n  keyTab=\"" +
         Keytab(name) + "\"\n  storeKey=true\n  useTicketCache=false\n  doNotPrompt=true\n  principal=\"" +
         Principal(name) + "\";\n};\n";
}

std::string Kdc::ZkCliAs(const std::string& name, uint16_t port, const std::string& commands) const {
  const std::string base = dir_ + "/cli-" + KeytabName(name);
  if (!Write(base + ".jaas", JaasSection("Client", name)).ok() ||
      !Write(base + ".in", commands + "\nquit\n").ok()) {
    return "cannot write " + base + ".*";
  }
  const std::string cmd = "/usr/bin/java -Djava.security.krb5.conf=" + Krb5Conf() +
                          " -Djava.security.auth.login.config=" + base +
                          ".jaas -Dzookeeper.sasl.client.canonicalize.hostname=false"
                          " -cp /usr/share/java/zookeeper.jar:/usr/share/java/slf4j-simple.jar"
                          " org.apache.zookeeper.ZooKeeperMain -server localhost:" +
                          std::to_string(port) + " <" + base + ".in >" + base + ".out 2>&1";
  (void)std::system(cmd.c_str());
  return Slurp(base + ".out");
}

Result<std::unique_ptr<Kdc>> Kdc::Start(const std::string& dir, const std::string& realm,
                                        const std::vector<std::string>& principals) {
  Result<uint16_t> port = FreeLoopbackPort();
  if (!port.ok()) return port.status();
  std::unique_ptr<Kdc> kdc(new Kdc());
  kdc->dir_ = dir;
  kdc->realm_ = realm;
  kdc->port_ = *port;
  const std::string address = "127.0.0.1:" + std::to_string(*port);
  if (Status s = Write(dir + "/krb5.conf", "[libdefaults]\n  default_realm = " + realm +
                                               "\n  dns_lookup_kdc = false\n  dns_lookup_realm = false\n"
                                               "  dns_canonicalize_hostname = false\n  rdns = false\n"
                                               "  udp_preference_limit = 1\n  ticket_lifetime = 1h\n"
                                               "[realms]\n  " +
                                               realm + " = {\n    kdc = " + address +
                                               "\n  }\n[domain_realm]\n  localhost = " + realm + "\n");
      !s.ok()) {
    return s;
  }
  if (Status s = Write(dir + "/kdc.conf",
                       "[kdcdefaults]\n  kdc_listen = " + address + "\n  kdc_tcp_listen = " + address +
                           "\n[realms]\n  " + realm + " = {\n    database_name = " + dir +
                           "/principal\n    key_stash_file = " + dir + "/stash\n    acl_file = " + dir +
                           "/kadm5.acl\n    kdc_listen = " + address + "\n    kdc_tcp_listen = " + address +
                           "\n    max_life = 1h\n  }\n[logging]\n  kdc = FILE:" + dir + "/kdc.log\n");
      !s.ok()) {
    return s;
  }
  if (Status s = Write(dir + "/kadm5.acl", ""); !s.ok()) return s;
  // The master key only protects this throw-away database (it is stashed next to it): random, never shown.
  if (Status s = Run(dir, "kdb5_util create -s -r " + realm + " -P \"$(head -c 24 /dev/urandom | base64)\"");
      !s.ok()) {
    return s;
  }
  for (const std::string& name : principals) {
    if (Status s = Run(dir, "kadmin.local -r " + realm + " -q \"addprinc -randkey " + name + "\""); !s.ok()) {
      return s;
    }
    if (Status s =
            Run(dir, "kadmin.local -r " + realm + " -q \"ktadd -k " + kdc->Keytab(name) + " " + name + "\"");
        !s.ok()) {
      return s;
    }
  }
  if (Status s = Run(dir, "krb5kdc -r " + realm + " -P " + dir + "/kdc.pid"); !s.ok()) return s;
  // krb5kdc daemonises: its pid file appears once it runs; then it must answer on its TCP port.
  bool up = WaitFor(
      [&] {
        const std::string pid = Slurp(dir + "/kdc.pid");
        if (!pid.empty()) kdc->pid_ = static_cast<pid_t>(std::atoi(pid.c_str()));
        return kdc->pid_ > 0;
      },
      std::chrono::milliseconds(30000));
  up = up && WaitFor(
                 [&] {
                   Result<std::string> r =
                       TcpExchange("127.0.0.1", kdc->port_, "", std::chrono::milliseconds(500));
                   return r.ok() || r.status().code() != StatusCode::kUnavailable;
                 },
                 std::chrono::milliseconds(30000));
  if (!up) {
    return Status::Internal("krb5kdc did not start on " + address + ":\n" + Slurp(dir + "/kdc.log") +
                            Slurp(dir + "/kdc-setup.log"));
  }
  return kdc;
}

Kdc::~Kdc() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGTERM);
  // Not our child (it daemonised): poll until it is gone, then insist.
  const bool gone = WaitFor([&] { return ::kill(pid_, 0) != 0; }, std::chrono::milliseconds(5000));
  if (!gone) ::kill(pid_, SIGKILL);
}

}  // namespace zkx::test
