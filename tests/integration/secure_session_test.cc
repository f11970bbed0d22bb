// zk::Session over TLS and SASL against real ZooKeeper 3.8 servers (label `secure`; needs the bundled
// client):
//  - a 3-member ensemble serving only secureClientPort (Netty) with mutual TLS: walk, a watch, a member kill,
//    a real expiry, names checked (IP literal and "localhost");
//  - refusals, each with its reason counted (zk/secure_failures.h): a CA that did not sign the servers
//    (untrusted_certificate), a client certificate the servers do not trust (tls_handshake), an expired
//    server certificate (certificate_expired), a certificate for another name (hostname_mismatch);
//  - SASL DIGEST-MD5 with JAAS on the server and znodes only sasl:exporter may read: walked with SASL,
//    refused without it; a wrong password never gets a session and counts reason="sasl", also against a
//    server that requires SASL of every session (zookeeper.sessionRequireClientSASLAuth).
#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <future>
#include <memory>
#include <string>
#include <thread>

#include <gtest/gtest.h>

#include "tests/support/tls_pki.h"
#include "tests/support/wait_and_ports.h"
#include "tests/support/zk_ensemble.h"
#include "tests/support/zk_test_client.h"
#include "zk/secure_failures.h"
#include "zk/session.h"
#include "zk/subtree_walk.h"

namespace zkx {
namespace {

using std::chrono::milliseconds;

uint64_t Failures(zk::SecurityFailure f) {
  return zk::GetSecurityFailureCounts().failures[static_cast<std::size_t>(f)];
}

zk::TlsOptions Tls(const test::TlsPki& pki, const std::string& ca = "ca",
                   const std::string& client = "client") {
  zk::TlsOptions tls;
  tls.ca_file = pki.Pem(ca);
  tls.cert_file = pki.Pem(client);
  tls.key_file = pki.Key(client);
  return tls;
}

std::unique_ptr<zk::Session> StartSession(const std::string& hosts, zk::SecurityOptions security,
                                          milliseconds timeout = milliseconds(10000)) {
  zk::SessionOptions o;
  o.hosts = hosts;
  o.session_timeout = timeout;
  o.security = std::move(security);
  o.init_retry_backoff = milliseconds(200);
  Result<std::unique_ptr<zk::Session>> s = zk::Session::Create(std::move(o));
  EXPECT_TRUE(s.ok()) << s.status().ToString();
  if (!s.ok()) return nullptr;
  (*s)->Start();
  return std::move(s).value();
}

zk::SecurityOptions WithTls(zk::TlsOptions tls) {
  zk::SecurityOptions o;
  o.tls = std::move(tls);
  return o;
}

Status CreateSync(zk::Session& s, const std::string& path, const std::string& data) {
  std::promise<Status> done;
  s.Create(path, data, zk::CreateMode::kPersistent,
           [&](Status st, std::string) { done.set_value(std::move(st)); });
  return done.get_future().get();
}

std::string TempDir(const char* prefix) {
  std::string tmpl = std::string("/tmp/") + prefix + "-XXXXXX";
  char* made = mkdtemp(tmpl.data());
  return made == nullptr ? std::string() : std::string(made);
}

class TlsEnsembleTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = TempDir("zkx-pki");
    ASSERT_FALSE(dir_.empty());
    Result<test::TlsPki> pki = test::MakeTlsPki(dir_);
    ASSERT_TRUE(pki.ok()) << pki.status().ToString();
    pki_ = new test::TlsPki(*pki);
    test::ZkEnsembleOptions o = test::ZkEnsembleOptions::ShortSessions(3);
    o.secure_client_port = true;
    o.extra_config = test::TlsServerConfig(*pki_, "server");
    o.start_timeout = milliseconds(240000);  // JVMs start slowly on a loaded 2-core machine
    ensemble_ = new test::ZkEnsemble(o);
    Status s = ensemble_->Start();
    ASSERT_TRUE(s.ok()) << s.ToString();
  }
  static void TearDownTestSuite() {
    delete ensemble_;
    delete pki_;
    if (std::getenv("ZKX_KEEP_TEST_DIRS") == nullptr && !dir_.empty()) std::filesystem::remove_all(dir_);
  }
  static std::string LocalhostHosts() {
    std::string out;
    for (int i = 0; i < ensemble_->size(); ++i) {
      out += (i ? "," : "") + std::string("localhost:") + std::to_string(ensemble_->ClientPort(i));
    }
    return out;
  }
  static inline std::string dir_;
  static inline test::TlsPki* pki_ = nullptr;
  static inline test::ZkEnsemble* ensemble_ = nullptr;
};

TEST_F(TlsEnsembleTest, MutualTlsWalkWatchAndMemberKill) {
  const uint64_t ok_before = zk::GetSecurityFailureCounts().tls_handshakes_ok;
  auto session = StartSession(ensemble_->ConnectString(), WithTls(Tls(*pki_)));
  ASSERT_NE(session, nullptr);
  ASSERT_TRUE(test::WaitFor([&] { return session->Connected(); }, milliseconds(30000)));
  EXPECT_GT(zk::GetSecurityFailureCounts().tls_handshakes_ok, ok_before);

  ASSERT_TRUE(CreateSync(*session, "/tls", "").ok());
  for (int i = 0; i < 20; ++i) {
    ASSERT_TRUE(CreateSync(*session, "/tls/n" + std::to_string(i), "value").ok());
  }
  zk::WalkSummary w = zk::WalkSubtree(*session, "/tls", {}, [](const zk::WalkedZnode&) {});
  ASSERT_TRUE(w.status.ok()) << w.status.ToString();
  EXPECT_EQ(w.visited, 21u);

  // A watch over TLS fires when another TLS session changes the znode.
  std::atomic<int> fired{0};
  zk::WatchSubscription sub = session->SubscribeWatches([&](const zk::WatchEvent& e) {
    if (e.type == zk::WatchEventType::kDataChanged && e.path == "/tls/n0") ++fired;
  });
  std::promise<Status> watched;
  session->WatchExists("/tls/n0", [&](Status st, zk::ZnodeStat) { watched.set_value(st); });
  ASSERT_TRUE(watched.get_future().get().ok());
  auto writer = StartSession(LocalhostHosts(), WithTls(Tls(*pki_)));  // names, not IPs: "localhost" checked
  ASSERT_TRUE(test::WaitFor([&] { return writer->Connected(); }, milliseconds(30000)));
  std::promise<Status> set;
  writer->SetData("/tls/n0", "changed", -1, [&](Status st, zk::ZnodeStat) { set.set_value(st); });
  ASSERT_TRUE(set.get_future().get().ok());
  EXPECT_TRUE(test::WaitFor([&] { return fired.load() == 1; }, milliseconds(10000)));

  // Kill the leader: the session reconnects (over TLS) to a survivor and walks again.
  Result<int> leader = ensemble_->LeaderIndex();
  ASSERT_TRUE(leader.ok()) << leader.status().ToString();
  const uint64_t connects = session->Stats().connects_total;
  ensemble_->Kill(*leader);
  ASSERT_TRUE(
      test::WaitFor([&] { return session->Connected() && session->Stats().connects_total > connects; },
                    milliseconds(60000)));
  zk::WalkSummary again;
  ASSERT_TRUE(test::WaitFor(
      [&] {
        again = zk::WalkSubtree(*session, "/tls", {}, [](const zk::WalkedZnode&) {});
        return again.status.ok();
      },
      milliseconds(30000)));
  EXPECT_EQ(again.visited, 21u);
  ASSERT_TRUE(ensemble_->Restart(*leader).ok());
  ASSERT_TRUE(ensemble_->WaitForQuorum(milliseconds(240000)).ok());
}

TEST_F(TlsEnsembleTest, RealExpiryOverTls) {
  // Connected to one follower only: freezing it keeps our pings from the leader, which expires the session;
  // after the follower resumes, the reconnect learns of it and the session starts a new handle.
  ASSERT_TRUE(ensemble_->WaitForQuorum(milliseconds(240000)).ok());
  Result<int> leader = ensemble_->LeaderIndex();
  ASSERT_TRUE(leader.ok());
  const int follower = (*leader + 1) % ensemble_->size();
  auto session = StartSession(ensemble_->ServerAddress(follower), WithTls(Tls(*pki_)), milliseconds(2000));
  ASSERT_TRUE(test::WaitFor([&] { return session->Connected(); }, milliseconds(30000)));
  ensemble_->Pause(follower);
  std::this_thread::sleep_for(milliseconds(6000));  // 3 x the session timeout: the leader expires it
  ensemble_->Resume(follower);
  ASSERT_TRUE(test::WaitFor([&] { return session->Stats().expirations_total >= 1; }, milliseconds(60000)));
  EXPECT_TRUE(test::WaitFor([&] { return session->Connected(); }, milliseconds(60000)));
  EXPECT_GE(session->Stats().handles_created_total, 2u);
}

TEST_F(TlsEnsembleTest, WrongCaIsUntrustedCertificate) {
  const uint64_t before = Failures(zk::SecurityFailure::kUntrustedCertificate);
  auto session = StartSession(ensemble_->ConnectString(), WithTls(Tls(*pki_, "other_ca")));
  EXPECT_TRUE(test::WaitFor([&] { return Failures(zk::SecurityFailure::kUntrustedCertificate) > before; },
                            milliseconds(30000)));
  EXPECT_FALSE(session->Connected());
  EXPECT_EQ(session->Stats().connects_total, 0u);
}

TEST_F(TlsEnsembleTest, ClientCertificateFromAnotherCaIsRefusedByTheServer) {
  const uint64_t before = Failures(zk::SecurityFailure::kTlsHandshake);
  auto session = StartSession(ensemble_->ConnectString(), WithTls(Tls(*pki_, "ca", "other_client")));
  EXPECT_TRUE(test::WaitFor([&] { return Failures(zk::SecurityFailure::kTlsHandshake) > before; },
                            milliseconds(30000)));
  EXPECT_FALSE(session->Connected());
  EXPECT_EQ(session->Stats().connects_total, 0u);
}

TEST_F(TlsEnsembleTest, MissingClientCertificateIsAConfigurationError) {
  // The C client 3.8.0 cannot connect without a client certificate: refused before any connection.
  zk::TlsOptions tls = Tls(*pki_);
  tls.cert_file.clear();
  zk::SessionOptions o;
  o.hosts = ensemble_->ConnectString();
  o.security.tls = tls;
  Result<std::unique_ptr<zk::Session>> s = zk::Session::Create(o);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.status().message().find("--zookeeper.tls.cert-file"), std::string::npos);
}

TEST_F(TlsEnsembleTest, PathWithACommaIsRejected) {
  const std::string comma = dir_ + "/with,comma.pem";
  std::filesystem::copy_file(pki_->Pem("ca"), comma);
  zk::TlsOptions tls = Tls(*pki_);
  tls.ca_file = comma;
  zk::SessionOptions o;
  o.hosts = ensemble_->ConnectString();
  o.security.tls = tls;
  Result<std::unique_ptr<zk::Session>> s = zk::Session::Create(o);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.status().message().find("comma"), std::string::npos) << s.status().message();
}

// One TLS-only standalone server with the given keystore.
std::unique_ptr<test::ZkEnsemble> StandaloneTls(const test::TlsPki& pki, const std::string& keystore) {
  test::ZkEnsembleOptions o;
  o.servers = 1;
  o.secure_client_port = true;
  o.extra_config = test::TlsServerConfig(pki, keystore);
  o.start_timeout = milliseconds(240000);
  auto e = std::make_unique<test::ZkEnsemble>(o);
  Status s = e->Start();
  EXPECT_TRUE(s.ok()) << s.ToString();
  return s.ok() ? std::move(e) : nullptr;
}

TEST_F(TlsEnsembleTest, ExpiredAndMisnamedServerCertificates) {
  auto expired = StandaloneTls(*pki_, "expired");
  ASSERT_NE(expired, nullptr);
  const uint64_t expired_before = Failures(zk::SecurityFailure::kCertificateExpired);
  auto s1 = StartSession(expired->ConnectString(), WithTls(Tls(*pki_)));
  EXPECT_TRUE(
      test::WaitFor([&] { return Failures(zk::SecurityFailure::kCertificateExpired) > expired_before; },
                    milliseconds(30000)));
  EXPECT_FALSE(s1->Connected());
  s1.reset();
  expired.reset();

  // A certificate from the trusted CA, but for zk.other.example: the C client alone would accept it.
  auto misnamed = StandaloneTls(*pki_, "wrong_name");
  ASSERT_NE(misnamed, nullptr);
  const uint64_t name_before = Failures(zk::SecurityFailure::kHostnameMismatch);
  auto s2 = StartSession(misnamed->ConnectString(), WithTls(Tls(*pki_)));
  EXPECT_TRUE(test::WaitFor([&] { return Failures(zk::SecurityFailure::kHostnameMismatch) > name_before; },
                            milliseconds(30000)));
  EXPECT_FALSE(s2->Connected());
  EXPECT_EQ(s2->Stats().connects_total, 0u);
  s2.reset();
}

// ---- SASL ----------------------------------------------------------------------------------------------

TEST(SaslDigestTest, OnlyTheSaslIdentityReadsTheSubtree) {
  const std::string dir = TempDir("zkx-sasl");
  ASSERT_FALSE(dir.empty());
  const std::string password = "s3cret-for-test";
  {
    std::ofstream jaas(dir + "/jaas.conf");
    jaas << "Server {\n  org.apache.zookeeper.server.auth.DigestLoginModule required\n  user_exporter=\""
         << password << "\";\n};\n";
  }
  test::ZkEnsembleOptions o;
  o.servers = 1;
  o.jvm_flags.push_back("-Djava.security.auth.login.config=" + dir + "/jaas.conf");
  o.extra_config = {"authProvider.1=org.apache.zookeeper.server.auth.SASLAuthenticationProvider"};
  o.start_timeout = milliseconds(240000);
  test::ZkEnsemble ensemble(o);
  ASSERT_TRUE(ensemble.Start().ok());

  // The fixture: /sasl and its children readable by sasl:exporter only.
  // The writer (digest "admin") may create children under /sasl; nobody else but sasl:exporter reads
  // anything.
  test::ZkTestClient writer;
  ASSERT_TRUE(writer.Connect(ensemble.ConnectString()).ok());
  ASSERT_TRUE(writer.AddDigestAuth("admin", "admin-pw").ok());
  const test::AclList only_exporter = {test::AclEntry{31, "sasl", "exporter"}};
  test::AclList root_acl = test::DigestAcl("admin", "admin-pw");
  root_acl.push_back(only_exporter.front());
  ASSERT_TRUE(writer.Create("/sasl", "", test::NodeKind::kPersistent, root_acl).ok());
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(
        writer.Create("/sasl/c" + std::to_string(i), "x", test::NodeKind::kPersistent, only_exporter).ok());
  }

  auto sasl = [&](const std::string& pw) {
    zk::SecurityOptions s;
    zk::SaslOptions opt;
    opt.mechanism = "DIGEST-MD5";
    opt.username = "exporter";
    opt.password = pw;
    s.sasl = opt;
    return s;
  };

  auto with = StartSession(ensemble.ConnectString(), sasl(password));
  ASSERT_TRUE(test::WaitFor([&] { return with->Connected(); }, milliseconds(30000)));
  zk::WalkSummary w;
  ASSERT_TRUE(test::WaitFor(
      [&] {  // SASL completes just after the session connects
        w = zk::WalkSubtree(*with, "/sasl", {}, [](const zk::WalkedZnode&) {});
        return w.status.ok() && w.visited == 6u;
      },
      milliseconds(15000)))
      << w.status.ToString() << " visited " << w.visited;

  auto without = StartSession(ensemble.ConnectString(), {});
  ASSERT_TRUE(test::WaitFor([&] { return without->Connected(); }, milliseconds(30000)));
  zk::WalkSummary refused = zk::WalkSubtree(*without, "/sasl", {}, [](const zk::WalkedZnode&) {});
  EXPECT_FALSE(refused.status.ok() && refused.visited == 6u);
  EXPECT_NE(refused.status.code(), StatusCode::kOk) << "visited " << refused.visited;

  // A wrong password never gets a session: the server answers the SASL step with ZAUTHFAILED, the client
  // marks the handle AUTH_FAILED without a session event, and the session's poll counts reason="sasl".
  const uint64_t sasl_before = Failures(zk::SecurityFailure::kSasl);
  auto wrong = StartSession(ensemble.ConnectString(), sasl("not-the-password"));
  EXPECT_TRUE(
      test::WaitFor([&] { return Failures(zk::SecurityFailure::kSasl) > sasl_before; }, milliseconds(30000)));
  EXPECT_TRUE(test::WaitFor([&] { return wrong->Stats().auth_failures_total >= 1; }, milliseconds(10000)));
  EXPECT_FALSE(wrong->Connected());
  EXPECT_EQ(wrong->Stats().connects_total, 0u);
  // ... and keeps trying with a new handle (the password file may be fixed meanwhile).
  EXPECT_TRUE(test::WaitFor([&] { return wrong->Stats().handles_created_total >= 2; }, milliseconds(30000)));
  // The right password, meanwhile, was never counted as a failure: one refused handle, one count.
  EXPECT_TRUE(with->Connected());
  wrong.reset();
  with.reset();
  without.reset();
  if (std::getenv("ZKX_KEEP_TEST_DIRS") == nullptr) std::filesystem::remove_all(dir);
}

// A server that requires SASL of every session (zookeeper.sessionRequireClientSASLAuth, 3.8): the SASL
// identity connects and walks what only it may read; a wrong password is refused with
// ZSESSIONCLOSEDREQUIRESASLAUTH and counted as reason="sasl"; a session without SASL is closed by the server
// at its first request and never walks anything.
TEST(SaslDigestTest, ServerRequiringSaslRefusesAWrongPassword) {
  const std::string dir = TempDir("zkx-sasl-req");
  ASSERT_FALSE(dir.empty());
  const std::string password = "an0ther-s3cret";
  {
    std::ofstream jaas(dir + "/jaas.conf");
    jaas << "Server {\n  org.apache.zookeeper.server.auth.DigestLoginModule required\n  user_exporter=\""
         << password << "\";\n};\n";
  }
  test::ZkEnsembleOptions o;
  o.servers = 1;
  o.jvm_flags.push_back("-Djava.security.auth.login.config=" + dir + "/jaas.conf");
  o.jvm_flags.push_back("-Dzookeeper.sessionRequireClientSASLAuth=true");
  o.extra_config = {"authProvider.1=org.apache.zookeeper.server.auth.SASLAuthenticationProvider"};
  o.start_timeout = milliseconds(240000);
  test::ZkEnsemble ensemble(o);
  ASSERT_TRUE(ensemble.Start().ok());

  auto sasl = [&](const std::string& pw) {
    zk::SecurityOptions s;
    zk::SaslOptions opt;
    opt.mechanism = "DIGEST-MD5";
    opt.username = "exporter";
    opt.password = pw;
    s.sasl = opt;
    return s;
  };
  auto with = StartSession(ensemble.ConnectString(), sasl(password));
  ASSERT_TRUE(test::WaitFor([&] { return with->Connected(); }, milliseconds(30000)));
  // The SASL session writes its own fixture (only SASL sessions can reach the server at all).
  std::promise<Status> made;
  with->Create("/req", "", zk::CreateMode::kPersistent, [&](Status st, std::string) { made.set_value(st); });
  ASSERT_TRUE(made.get_future().get().ok());
  ASSERT_TRUE(CreateSync(*with, "/req/a", "x").ok());
  zk::WalkSummary w = zk::WalkSubtree(*with, "/req", {}, [](const zk::WalkedZnode&) {});
  EXPECT_TRUE(w.status.ok()) << w.status.ToString();
  EXPECT_EQ(w.visited, 2u);

  const uint64_t sasl_before = Failures(zk::SecurityFailure::kSasl);
  auto wrong = StartSession(ensemble.ConnectString(), sasl("wrong-password"));
  EXPECT_TRUE(
      test::WaitFor([&] { return Failures(zk::SecurityFailure::kSasl) > sasl_before; }, milliseconds(30000)));
  EXPECT_TRUE(test::WaitFor([&] { return wrong->Stats().auth_failures_total >= 1; }, milliseconds(10000)));
  EXPECT_EQ(wrong->Stats().connects_total, 0u);

  // Without SASL the server closes the session at its first request: nothing is walked.
  const uint64_t sasl_mid = Failures(zk::SecurityFailure::kSasl);
  wrong.reset();
  auto without = StartSession(ensemble.ConnectString(), {});
  zk::WalkSummary refused = zk::WalkSubtree(*without, "/req", {}, [](const zk::WalkedZnode&) {});
  EXPECT_NE(refused.status.code(), StatusCode::kOk) << "visited " << refused.visited;
  EXPECT_EQ(refused.visited, 0u);
  // Not a SASL failure of ours (this session has no SASL): the sasl reason does not move for it.
  EXPECT_EQ(Failures(zk::SecurityFailure::kSasl), sasl_mid);
  without.reset();
  with.reset();
  if (std::getenv("ZKX_KEEP_TEST_DIRS") == nullptr) std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace zkx
