// The exporter binary with --zookeeper.tls.* against a real TLS-only ZooKeeper server (label `secure`; needs
// the bundled C client): ready over mutual TLS; with a CA that did not sign the server, /metrics keeps
// answering and counts reason="untrusted_certificate", logged once however often the client retries; a TLS
// path with a comma is a startup error. And SASL GSSAPI from a keytab against a real KDC on loopback.
#include <cstdlib>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>

#include <gtest/gtest.h>

#include "tests/e2e/e2e_util.h"
#include "tests/support/kdc.h"
#include "tests/support/tls_pki.h"
#include "tests/support/zk_ensemble.h"

namespace zkx::test::e2e {
namespace {

using std::chrono::milliseconds;

std::string ReadAll(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::vector<std::string> TlsArgs(const TlsPki& pki, const std::string& ca) {
  return {"--zookeeper.tls.ca-file=" + pki.Pem(ca), "--zookeeper.tls.cert-file=" + pki.Pem("client"),
          "--zookeeper.tls.key-file=" + pki.Key("client")};
}

TEST(SecureE2eTest, TlsFlagsReasonsAndMetricsKeepAnswering) {
  ScopedTempDir dir;
  Result<TlsPki> pki = MakeTlsPki(dir.path());
  ASSERT_TRUE(pki.ok()) << pki.status().ToString();
  ZkEnsembleOptions o;
  o.servers = 1;
  o.secure_client_port = true;
  o.extra_config = TlsServerConfig(*pki, "server");
  o.start_timeout = milliseconds(240000);
  ZkEnsemble ensemble(o);
  ASSERT_TRUE(ensemble.Start().ok());

  {
    std::vector<std::string> args = TlsArgs(*pki, "ca");
    args.push_back("--zookeeper.hosts=" + ensemble.ConnectString());
    args.push_back("--tree.root=/zookeeper");
    E2eExporter good(dir.path(), args, "good.log");
    ASSERT_TRUE(good.WaitReady(milliseconds(60000))) << ReadAll(dir.path() + "/good.log");
    const std::string metrics = good.Metrics();
    EXPECT_GE(SampleValue(metrics, "zookeeper_session_tls_handshakes_total").value_or(0), 1.0);
    EXPECT_EQ(SampleValue(metrics, "zookeeper_session_state{state=\"connected\"}").value_or(0), 1.0);
  }

  {
    std::vector<std::string> args = TlsArgs(*pki, "other_ca");
    args.push_back("--zookeeper.hosts=" + ensemble.ConnectString());
    E2eExporter bad(dir.path(), args, "bad.log");
    const std::string series = "zookeeper_session_security_failures_total{reason=\"untrusted_certificate\"}";
    // Several refused attempts, and /metrics answers all along.
    ASSERT_TRUE(
        WaitFor([&] { return SampleValue(bad.Metrics(), series).value_or(0) >= 3; }, milliseconds(60000)))
        << ReadAll(dir.path() + "/bad.log");
    const std::string metrics = bad.Metrics();
    EXPECT_EQ(SampleValue(metrics, "zookeeper_session_state{state=\"connected\"}").value_or(-1), 0.0);
    EXPECT_EQ(SampleValue(metrics, "zookeeper_session_security_failures_total{reason=\"tls_handshake\"}")
                  .value_or(-1),
              0.0);
    EXPECT_EQ(CountOf(ReadAll(dir.path() + "/bad.log"), "reason=untrusted_certificate"), 1u);
  }

  // A comma in a TLS path: one clear line, exit code 1.
  const std::string comma = dir.path() + "/ca,copy.pem";
  std::filesystem::copy_file(pki->Pem("ca"), comma);
  std::vector<std::string> args = TlsArgs(*pki, "ca");
  args[0] = "--zookeeper.tls.ca-file=" + comma;
  args.push_back("--zookeeper.hosts=" + ensemble.ConnectString());
  E2eExporter refused(dir.path(), args, "comma.log");
  EXPECT_EQ(refused.process().WaitExit(milliseconds(30000)), std::optional<int>(1));
  EXPECT_NE(ReadAll(dir.path() + "/comma.log").find("contains a comma"), std::string::npos);
}

// The exporter binary with --zookeeper.sasl.mechanism=GSSAPI and a keytab, against a server that requires
// SASL of every session and logs in from its own keytab, with a throw-away MIT KDC on loopback: ready, the
// subtree only its principal may read walked; a service principal the KDC does not know is counted as
// reason="sasl" while /metrics keeps answering. The keytab path is a flag; no secret is on the command line.
TEST(SecureE2eTest, GssapiKeytabWalksAndSaslFailuresAreCounted) {
  ScopedTempDir dir;
  Result<std::unique_ptr<Kdc>> kdc =
      Kdc::Start(dir.path(), "EXAMPLE.TEST", {"zookeeper/localhost", "exporter", "admin"});
  ASSERT_TRUE(kdc.ok()) << kdc.status().ToString();
  setenv("KRB5_CONFIG", (*kdc)->Krb5Conf().c_str(), 1);  // inherited by the exporter processes
  std::ofstream(dir.path() + "/server-jaas.conf") << (*kdc)->JaasSection("Server", "zookeeper/localhost");
  ZkEnsembleOptions o;
  o.servers = 1;
  o.jvm_flags.push_back("-Djava.security.krb5.conf=" + (*kdc)->Krb5Conf());
  o.jvm_flags.push_back("-Djava.security.auth.login.config=" + dir.path() + "/server-jaas.conf");
  o.jvm_flags.push_back("-Dzookeeper.sessionRequireClientSASLAuth=true");
  o.extra_config = {"authProvider.1=org.apache.zookeeper.server.auth.SASLAuthenticationProvider"};
  o.start_timeout = milliseconds(240000);
  ZkEnsemble ensemble(o);
  ASSERT_TRUE(ensemble.Start().ok());
  const std::string only_exporter = "sasl:" + (*kdc)->Principal("exporter") + ":cdrwa";
  const std::string cli =
      (*kdc)->ZkCliAs("admin", ensemble.ClientPort(0),
                      "create /krb \"\" " + only_exporter + ",sasl:" + (*kdc)->Principal("admin") +
                          ":cdrwa\ncreate /krb/a x " + only_exporter + "\ncreate /krb/b y " + only_exporter);
  ASSERT_NE(cli.find("Created /krb/b"), std::string::npos) << cli;

  auto args = [&](const std::string& host) {
    return std::vector<std::string>{"--zookeeper.hosts=" + ensemble.ConnectString(),
                                    "--zookeeper.sasl.mechanism=GSSAPI",
                                    "--zookeeper.sasl.host=" + host,
                                    "--zookeeper.sasl.principal=" + (*kdc)->Principal("exporter"),
                                    "--zookeeper.sasl.keytab-file=" + (*kdc)->Keytab("exporter"),
                                    "--tree.root=/krb"};
  };
  {
    E2eExporter good(dir.path(), args("localhost"), "gssapi.log");
    ASSERT_TRUE(good.WaitReady(milliseconds(60000))) << ReadAll(dir.path() + "/gssapi.log");
    ASSERT_TRUE(WaitFor(
        [&] {
          return SampleValue(good.Metrics(), "zookeeper_subtree_znodes{root=\"/krb\"}").value_or(0) == 3;
        },
        milliseconds(30000)))
        << good.Metrics() << ReadAll(dir.path() + "/gssapi.log");
    const std::string metrics = good.Metrics();
    EXPECT_EQ(SampleValue(metrics, "zookeeper_session_state{state=\"connected\"}").value_or(0), 1.0);
    EXPECT_EQ(SampleValue(metrics, "zookeeper_session_security_failures_total{reason=\"sasl\"}").value_or(-1),
              0.0);
  }
  {
    E2eExporter bad(dir.path(), args("nowhere"), "gssapi-bad.log");
    const std::string series = "zookeeper_session_security_failures_total{reason=\"sasl\"}";
    ASSERT_TRUE(
        WaitFor([&] { return SampleValue(bad.Metrics(), series).value_or(0) >= 2; }, milliseconds(60000)))
        << ReadAll(dir.path() + "/gssapi-bad.log");
    EXPECT_EQ(SampleValue(bad.Metrics(), "zookeeper_session_state{state=\"connected\"}").value_or(-1), 0.0);
    const std::string log = ReadAll(dir.path() + "/gssapi-bad.log");
    EXPECT_EQ(CountOf(log, "reason=sasl"), 1u) << log;  // once per change of reason, however many retries
    EXPECT_NE(log.find("zookeeper/nowhere@EXAMPLE.TEST not found"), std::string::npos) << log;
  }
}

// The exporter with --server.admin-https against a server whose AdminServer speaks only HTTPS
// (admin.forceHttps): the server collector answers from "admin"; without the flag it gets https_required and
// falls back to mntr, and /metrics says so.
TEST(SecureE2eTest, AdminServerOverHttps) {
  ScopedTempDir dir;
  Result<TlsPki> pki = MakeTlsPki(dir.path());
  ASSERT_TRUE(pki.ok()) << pki.status().ToString();
  ZkEnsembleOptions o;
  o.servers = 1;
  o.extra_config = {"admin.forceHttps=true",
                    "ssl.quorum.keyStore.location=" + pki->KeyStore("server"),
                    "ssl.quorum.keyStore.password=changeit",
                    "ssl.quorum.keyStore.type=PKCS12",
                    "ssl.quorum.trustStore.location=" + pki->TrustStore(),
                    "ssl.quorum.trustStore.password=changeit",
                    "ssl.quorum.trustStore.type=PKCS12",
                    "4lw.commands.whitelist=*"};
  o.start_timeout = milliseconds(240000);
  ZkEnsemble ensemble(o);
  ASSERT_TRUE(ensemble.Start().ok());
  const std::string server = ensemble.ServerAddress(0);
  std::vector<std::string> base = {"--zookeeper.hosts=" + ensemble.ConnectString(),
                                   "--server.admin-port=" + std::to_string(ensemble.AdminPort(0))};
  {
    std::vector<std::string> args = base;
    args.push_back("--server.admin-tls.ca-file=" + pki->Pem("ca"));  // turns HTTPS on
    E2eExporter https(dir.path(), args, "admin-https.log");
    ASSERT_TRUE(https.WaitReady(milliseconds(60000))) << ReadAll(dir.path() + "/admin-https.log");
    const std::string series = "zookeeper_server_source{server=\"" + server + "\",source=\"admin\"}";
    EXPECT_TRUE(
        WaitFor([&] { return SampleValue(https.Metrics(), series).value_or(0) == 1; }, milliseconds(30000)))
        << https.Metrics();
  }
  {
    E2eExporter plain(dir.path(), base, "admin-plain.log");
    ASSERT_TRUE(plain.WaitReady(milliseconds(60000))) << ReadAll(dir.path() + "/admin-plain.log");
    const std::string error =
        "zookeeper_server_probe_error{server=\"" + server + "\",source=\"admin\",reason=\"https_required\"}";
    const std::string mntr = "zookeeper_server_source{server=\"" + server + "\",source=\"mntr\"}";
    EXPECT_TRUE(WaitFor(
        [&] {
          const std::string m = plain.Metrics();
          return SampleValue(m, error).value_or(0) == 1 && SampleValue(m, mntr).value_or(0) == 1;
        },
        milliseconds(30000)))
        << plain.Metrics();
  }
}

}  // namespace
}  // namespace zkx::test::e2e
