// The exporter binary with --zookeeper.tls.* against a real TLS-only ZooKeeper server (label `secure`; needs
// the bundled C client): ready over mutual TLS; with a CA that did not sign the server, /metrics keeps
// answering and counts reason="untrusted_certificate", logged once however often the client retries; a TLS
// path with a comma is a startup error.
#include <fstream>
#include <sstream>
#include <string>

#include <gtest/gtest.h>

#include "tests/e2e/e2e_util.h"
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

}  // namespace
}  // namespace zkx::test::e2e
