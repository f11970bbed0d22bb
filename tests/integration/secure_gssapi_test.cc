// zk::Session with SASL GSSAPI (Kerberos) against a real ZooKeeper 3.8 server and a real MIT KDC, both on
// loopback (label `secure`; needs the bundled client, krb5-kdc, krb5-admin-server and
// libsasl2-modules-gssapi-mit):
//  - a throw-away realm (tests/support/kdc.h) with zookeeper/localhost, exporter and admin, keytabs only;
//  - the server logs in from its keytab (JAAS Krb5LoginModule) and requires SASL of every session
//    (zookeeper.sessionRequireClientSASLAuth);
//  - the fixture is written by ZooKeeper's own Java client (zkCli's ZooKeeperMain) logged in as admin: /krb
//    and /krb/a, where /krb/a is readable by sasl:exporter@EXAMPLE.TEST only (admin's own read is refused);
//  - the exporter's session authenticates from its keytab (KRB5_CLIENT_KTNAME, private memory cache),
//    connects and walks both znodes;
//  - a session asking for a principal the KDC does not know (zookeeper/nowhere) fails SASL: reason="sasl".
// One process can hold one GSSAPI keytab (the C client's Kerberos reads it from the environment): a second
// keytab is refused at Create.
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>

#include <gtest/gtest.h>

#include "tests/support/kdc.h"
#include "tests/support/wait_and_ports.h"
#include "tests/support/zk_ensemble.h"
#include "zk/secure_failures.h"
#include "zk/session.h"
#include "zk/subtree_walk.h"

namespace zkx {
namespace {

using std::chrono::milliseconds;

constexpr const char* kRealm = "EXAMPLE.TEST";

std::string TempDir(const char* prefix) {
  std::string tmpl = std::string("/tmp/") + prefix + "-XXXXXX";
  char* made = mkdtemp(tmpl.data());
  return made == nullptr ? std::string() : std::string(made);
}

std::string Slurp(const std::string& path) {
  std::ifstream in(path);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

uint64_t SaslFailures() {
  return zk::GetSecurityFailureCounts().failures[static_cast<std::size_t>(zk::SecurityFailure::kSasl)];
}

class GssapiTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = TempDir("zkx-krb");
    ASSERT_FALSE(dir_.empty());
    Result<std::unique_ptr<test::Kdc>> kdc =
        test::Kdc::Start(dir_, kRealm, {"zookeeper/localhost", "exporter", "admin"});
    ASSERT_TRUE(kdc.ok()) << kdc.status().ToString();
    kdc_ = std::move(kdc).value().release();
    // This process's Kerberos (the C client's GSSAPI) uses the throw-away realm only.
    setenv("KRB5_CONFIG", kdc_->Krb5Conf().c_str(), 1);
    {
      std::ofstream jaas(dir_ + "/server-jaas.conf");
      jaas << kdc_->JaasSection("Server", "zookeeper/localhost");
    }
    test::ZkEnsembleOptions o;
    o.servers = 1;
    o.jvm_flags.push_back("-Djava.security.krb5.conf=" + kdc_->Krb5Conf());
    o.jvm_flags.push_back("-Djava.security.auth.login.config=" + dir_ + "/server-jaas.conf");
    o.jvm_flags.push_back("-Dzookeeper.sessionRequireClientSASLAuth=true");
    o.extra_config = {"authProvider.1=org.apache.zookeeper.server.auth.SASLAuthenticationProvider"};
    o.start_timeout = milliseconds(240000);
    ensemble_ = new test::ZkEnsemble(o);
    Status s = ensemble_->Start();
    ASSERT_TRUE(s.ok()) << s.ToString();
  }
  static void TearDownTestSuite() {
    delete ensemble_;
    delete kdc_;
    if (std::getenv("ZKX_KEEP_TEST_DIRS") == nullptr && !dir_.empty()) std::filesystem::remove_all(dir_);
  }

  static zk::SecurityOptions Gssapi(const std::string& host = "localhost") {
    zk::SaslOptions sasl;
    sasl.mechanism = "GSSAPI";
    sasl.host = host;
    sasl.principal = kdc_->Principal("exporter");
    sasl.keytab_file = kdc_->Keytab("exporter");
    zk::SecurityOptions o;
    o.sasl = sasl;
    return o;
  }

  static std::unique_ptr<zk::Session> StartSession(zk::SecurityOptions security) {
    zk::SessionOptions o;
    o.hosts = ensemble_->ConnectString();
    o.session_timeout = milliseconds(10000);
    o.security = std::move(security);
    o.init_retry_backoff = milliseconds(200);
    Result<std::unique_ptr<zk::Session>> s = zk::Session::Create(std::move(o));
    EXPECT_TRUE(s.ok()) << s.status().ToString();
    if (!s.ok()) return nullptr;
    (*s)->Start();
    return std::move(s).value();
  }

  static inline std::string dir_;
  static inline test::Kdc* kdc_ = nullptr;
  static inline test::ZkEnsemble* ensemble_ = nullptr;
};

TEST_F(GssapiTest, KeytabSessionWalksWhatOnlyItsPrincipalMayRead) {
  const std::string exporter = "sasl:" + kdc_->Principal("exporter") + ":cdrwa";
  const std::string admin = "sasl:" + kdc_->Principal("admin") + ":cdrwa";
  const std::string cli = kdc_->ZkCliAs(
      "admin", ensemble_->ClientPort(0),
      "create /krb \"\" " + exporter + "," + admin + "\ncreate /krb/a x " + exporter + "\nget /krb/a");
  ASSERT_NE(cli.find("Created /krb/a"), std::string::npos) << cli;
  // The admin principal authenticated (the server requires SASL) but may not read /krb/a.
  ASSERT_NE(cli.find("Insufficient permission : /krb/a"), std::string::npos) << cli;

  const uint64_t sasl_before = SaslFailures();
  auto session = StartSession(Gssapi());
  ASSERT_NE(session, nullptr);
  // With SASL the client reports "connected" only after the SASL exchange completed.
  ASSERT_TRUE(test::WaitFor([&] { return session->Connected(); }, milliseconds(30000)))
      << "state " << zk::SessionStateName(session->Stats().state) << "; KDC log:\n"
      << Slurp(dir_ + "/kdc.log");
  zk::WalkSummary w = zk::WalkSubtree(*session, "/krb", {}, [](const zk::WalkedZnode&) {});
  EXPECT_TRUE(w.status.ok()) << w.status.ToString();
  EXPECT_EQ(w.visited, 2u);
  EXPECT_EQ(SaslFailures(), sasl_before);
  // The ticket came from the exporter's keytab, for the server's principal.
  const std::string kdc_log = Slurp(dir_ + "/kdc.log");
  EXPECT_NE(kdc_log.find("exporter@EXAMPLE.TEST for zookeeper/localhost@EXAMPLE.TEST"), std::string::npos)
      << kdc_log;
}

TEST_F(GssapiTest, UnknownServerPrincipalIsASaslFailure) {
  const uint64_t before = SaslFailures();
  auto session = StartSession(Gssapi("nowhere"));  // zookeeper/nowhere@EXAMPLE.TEST does not exist
  ASSERT_NE(session, nullptr);
  EXPECT_TRUE(test::WaitFor([&] { return SaslFailures() > before; }, milliseconds(30000)));
  EXPECT_TRUE(test::WaitFor([&] { return session->Stats().auth_failures_total >= 1; }, milliseconds(10000)));
  EXPECT_EQ(session->Stats().connects_total, 0u);
}

TEST_F(GssapiTest, ConfigurationErrors) {
  // The DIGEST-MD5 host cannot name a Kerberos service principal.
  zk::SecurityOptions digest_host = Gssapi();
  digest_host.sasl->host = zk::kDigestSaslHost;
  Status s = zk::ValidateSecurityOptions(digest_host);
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find("--zookeeper.sasl.host"), std::string::npos) << s.message();

  // A second, different keytab in the same process.
  zk::SecurityOptions other = Gssapi();
  other.sasl->keytab_file = kdc_->Keytab("admin");
  zk::SessionOptions o;
  o.hosts = ensemble_->ConnectString();
  o.security = Gssapi();
  ASSERT_TRUE(zk::Session::Create(o).ok());  // the first keytab (or the same again) is fine
  o.security = other;
  Result<std::unique_ptr<zk::Session>> refused = zk::Session::Create(o);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.status().message().find("one client keytab"), std::string::npos)
      << refused.status().message();
}

}  // namespace
}  // namespace zkx
