// The AdminServer over HTTPS (server/admin_https.h) against real servers on loopback:
//  - ZooKeeper 3.8 with admin.forceHttps=true and the ssl.quorum.* key and trust stores: AdminGet over HTTPS
//    with our CA (the IP literal and "localhost" both checked against the certificate's SANs) returns a
//    `monitor` that parses; AskServer answers from "admin". With a CA that did not sign the server:
//    untrusted_certificate, and AskServer falls back to mntr. Plain HTTP to it: https_required.
//  - `openssl s_server` stands in where ZooKeeper 3.8 cannot: a server that REQUIRES a client certificate
//    (3.8's AdminServer never asks for one; 3.9's admin.needClientAuth does): with ours the command is
//    served, without it tls_handshake; an expired certificate (certificate_expired) and one for another name
//    (hostname_mismatch).
//  - HTTPS to a plain-HTTP server (python3 -m http.server): tls_handshake, with a hint in the detail.
// Label `integration`: needs no bundled C client, so the sanitizer presets run it too.
#include "server/admin_https.h"

#include <chrono>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <spawn.h>
#include <sys/wait.h>

#include "server/admin_json_parser.h"
#include "server/ask_server.h"
#include "server/mntr_parser.h"
#include "server/server_probe.h"
#include "tests/support/tls_pki.h"
#include "tests/support/wait_and_ports.h"
#include "tests/support/zk_ensemble.h"

extern char** environ;

namespace zkx {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

std::string TempDir(const char* prefix) {
  std::string tmpl = std::string("/tmp/") + prefix + "-XXXXXX";
  char* made = mkdtemp(tmpl.data());
  return made == nullptr ? std::string() : std::string(made);
}

// A child process (argv[0] an absolute path) run in `cwd`, output to `log`; SIGTERM + wait on destruction.
class Child {
 public:
  Child(const std::vector<std::string>& argv, const std::string& cwd, const std::string& log) {
    std::vector<char*> args;
    std::string line = "cd '" + cwd + "' && exec";
    for (const std::string& a : argv) line += " '" + a + "'";
    line += " >'" + log + "' 2>&1";
    const char* sh[] = {"/bin/sh", "-c", line.c_str(), nullptr};
    if (::posix_spawn(&pid_, "/bin/sh", nullptr, nullptr, const_cast<char**>(sh), environ) != 0) pid_ = -1;
  }
  ~Child() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGTERM);
    int status = 0;
    ::waitpid(pid_, &status, 0);
  }
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;

 private:
  pid_t pid_ = -1;
};

server::AdminTlsOptions Options(const test::TlsPki& pki, const std::string& ca, bool client_cert = true) {
  server::AdminTlsOptions o;
  o.ca_file = pki.Pem(ca);
  if (client_cert) {
    o.cert_file = pki.Pem("client");
    o.key_file = pki.Key("client");
  }
  return o;
}

server::ProbeReply Get(const std::string& host, uint16_t port, std::string_view command = "monitor") {
  return server::AdminGet({host, 2181}, port, command, Clock::now() + milliseconds(10000));
}

// Waits until something accepts on 127.0.0.1:port.
bool Listening(uint16_t port) {
  return test::WaitFor(
      [&] {
        Result<std::string> r = test::TcpExchange("127.0.0.1", port, "", milliseconds(200));
        return r.ok() || r.status().code() != StatusCode::kUnavailable;
      },
      milliseconds(30000));
}

class AdminHttpsTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = TempDir("zkx-admin-https");
    ASSERT_FALSE(dir_.empty());
    Result<test::TlsPki> pki = test::MakeTlsPki(dir_);
    ASSERT_TRUE(pki.ok()) << pki.status().ToString();
    pki_ = new test::TlsPki(*pki);
    // What the stand-in servers serve as /commands/monitor.
    std::filesystem::create_directories(dir_ + "/www/commands");
    std::ofstream(dir_ + "/www/commands/monitor") << "{\"command\":\"monitor\",\"stand_in\":true}";

    test::ZkEnsembleOptions o;
    o.servers = 1;
    o.extra_config = {"admin.forceHttps=true",
                      "ssl.quorum.keyStore.location=" + pki_->KeyStore("server"),
                      "ssl.quorum.keyStore.password=changeit",
                      "ssl.quorum.keyStore.type=PKCS12",
                      "ssl.quorum.trustStore.location=" + pki_->TrustStore(),
                      "ssl.quorum.trustStore.password=changeit",
                      "ssl.quorum.trustStore.type=PKCS12",
                      "4lw.commands.whitelist=*"};
    o.start_timeout = milliseconds(240000);
    ensemble_ = new test::ZkEnsemble(o);
    Status s = ensemble_->Start();
    ASSERT_TRUE(s.ok()) << s.ToString();
  }
  static void TearDownTestSuite() {
    server::DisableAdminHttps();
    delete ensemble_;
    delete pki_;
    if (std::getenv("ZKX_KEEP_TEST_DIRS") == nullptr && !dir_.empty()) std::filesystem::remove_all(dir_);
  }
  void TearDown() override { server::DisableAdminHttps(); }

  // `openssl s_server` on a free port serving dir_/www, with `extra` arguments.
  static std::unique_ptr<Child> SServer(const std::string& cert, std::vector<std::string> extra,
                                        uint16_t* port) {
    Result<uint16_t> p = test::FreeLoopbackPort();
    if (!p.ok()) return nullptr;
    *port = *p;
    std::vector<std::string> argv = {"/usr/bin/openssl",
                                     "s_server",
                                     "-accept",
                                     "127.0.0.1:" + std::to_string(*p),
                                     "-cert",
                                     pki_->Pem(cert),
                                     "-key",
                                     pki_->Key(cert),
                                     "-WWW",
                                     "-quiet"};
    for (std::string& a : extra) argv.push_back(std::move(a));
    auto child =
        std::make_unique<Child>(argv, dir_ + "/www", dir_ + "/s_server-" + std::to_string(*p) + ".log");
    if (!Listening(*port)) return nullptr;
    return child;
  }

  static inline std::string dir_;
  static inline test::TlsPki* pki_ = nullptr;
  static inline test::ZkEnsemble* ensemble_ = nullptr;
};

TEST_F(AdminHttpsTest, ZooKeeperAdminServerOverHttps) {
  const uint16_t admin = ensemble_->AdminPort(0);
  ASSERT_TRUE(server::EnableAdminHttps(Options(*pki_, "ca")).ok());
  ASSERT_TRUE(server::AdminHttpsEnabled());
  for (const char* host : {"127.0.0.1", "localhost"}) {  // an IP SAN, then a DNS SAN
    server::ProbeReply r;
    ASSERT_TRUE(test::WaitFor(
        [&] {
          r = Get(host, admin);
          return r.ok();
        },
        milliseconds(30000)))
        << host << ": " << server::ProbeReasonName(r.reason) << " " << r.detail;
    Result<server::ServerReport> report = server::ParseAdminMonitor(r.body);
    EXPECT_TRUE(report.ok()) << report.status().ToString();
  }

  // AskServer takes the HTTPS answer.
  server::Question<server::ServerReport> q;
  q.admin_command = "monitor";
  q.parse_admin = [](std::string_view b) { return server::ParseAdminMonitor(b); };
  q.words = {{"mntr", [](std::string_view b) { return server::ParseMntr(b); }}};
  const server::HostPort zk{"127.0.0.1", ensemble_->ClientPort(0)};
  server::Answer<server::ServerReport> a =
      server::AskServer(zk, admin, q, Clock::now() + milliseconds(10000));
  EXPECT_EQ(a.source, "admin");
  EXPECT_TRUE(a.failures.empty());

  // A CA that did not sign the server: refused as such, and AskServer falls back to mntr.
  ASSERT_TRUE(server::EnableAdminHttps(Options(*pki_, "other_ca")).ok());
  server::ProbeReply untrusted = Get("127.0.0.1", admin);
  EXPECT_EQ(untrusted.reason, server::ProbeReason::kUntrustedCertificate) << untrusted.detail;
  a = server::AskServer(zk, admin, q, Clock::now() + milliseconds(10000));
  EXPECT_EQ(a.source, "mntr");
  ASSERT_EQ(a.failures.size(), 1u);
  EXPECT_EQ(a.failures[0].source, "admin");
  EXPECT_EQ(a.failures[0].reason, server::ProbeReason::kUntrustedCertificate);

  // Plain HTTP to an HTTPS-only AdminServer.
  server::DisableAdminHttps();
  server::ProbeReply plain = Get("127.0.0.1", admin);
  EXPECT_EQ(plain.reason, server::ProbeReason::kHttpsRequired)
      << server::ProbeReasonName(plain.reason) << " " << plain.detail;
}

TEST_F(AdminHttpsTest, ServerRequiringAClientCertificate) {
  uint16_t port = 0;
  auto s = SServer("server", {"-CAfile", pki_->Pem("ca"), "-Verify", "1", "-verify_return_error"}, &port);
  ASSERT_NE(s, nullptr);
  ASSERT_TRUE(server::EnableAdminHttps(Options(*pki_, "ca")).ok());
  server::ProbeReply with = Get("127.0.0.1", port);
  ASSERT_TRUE(with.ok()) << server::ProbeReasonName(with.reason) << " " << with.detail;
  EXPECT_NE(with.body.find("\"stand_in\":true"), std::string::npos) << with.body;

  ASSERT_TRUE(server::EnableAdminHttps(Options(*pki_, "ca", /*client_cert=*/false)).ok());
  server::ProbeReply without = Get("127.0.0.1", port);
  EXPECT_EQ(without.reason, server::ProbeReason::kTlsHandshake)
      << server::ProbeReasonName(without.reason) << " " << without.detail;
}

TEST_F(AdminHttpsTest, ExpiredAndMisnamedCertificates) {
  ASSERT_TRUE(server::EnableAdminHttps(Options(*pki_, "ca")).ok());
  uint16_t expired_port = 0;
  auto expired = SServer("expired", {}, &expired_port);
  ASSERT_NE(expired, nullptr);
  server::ProbeReply e = Get("127.0.0.1", expired_port);
  EXPECT_EQ(e.reason, server::ProbeReason::kCertificateExpired)
      << server::ProbeReasonName(e.reason) << " " << e.detail;

  uint16_t misnamed_port = 0;
  auto misnamed = SServer("wrong_name", {}, &misnamed_port);
  ASSERT_NE(misnamed, nullptr);
  server::ProbeReply m = Get("127.0.0.1", misnamed_port);
  EXPECT_EQ(m.reason, server::ProbeReason::kHostnameMismatch)
      << server::ProbeReasonName(m.reason) << " " << m.detail;

  // Verification off: the same misnamed server answers.
  server::AdminTlsOptions off = Options(*pki_, "ca");
  off.insecure_skip_verify = true;
  ASSERT_TRUE(server::EnableAdminHttps(off).ok());
  server::ProbeReply ok = Get("127.0.0.1", misnamed_port);
  EXPECT_TRUE(ok.ok()) << server::ProbeReasonName(ok.reason) << " " << ok.detail;
}

TEST_F(AdminHttpsTest, HttpsToAPlainHttpServer) {
  Result<uint16_t> port = test::FreeLoopbackPort();
  ASSERT_TRUE(port.ok());
  Child http({"/usr/bin/python3", "-m", "http.server", "--bind", "127.0.0.1", std::to_string(*port)},
             dir_ + "/www", dir_ + "/http.log");
  ASSERT_TRUE(Listening(*port));
  server::ProbeReply plain = Get("127.0.0.1", *port);  // HTTPS off: the stand-in answers
  ASSERT_TRUE(plain.ok()) << plain.detail;
  ASSERT_TRUE(server::EnableAdminHttps(Options(*pki_, "ca")).ok());
  server::ProbeReply r = Get("127.0.0.1", *port);
  EXPECT_EQ(r.reason, server::ProbeReason::kTlsHandshake)
      << server::ProbeReasonName(r.reason) << " " << r.detail;
  EXPECT_NE(r.detail.find("plain HTTP"), std::string::npos) << r.detail;
}

TEST_F(AdminHttpsTest, BadFilesAreRefusedAtEnable) {
  server::AdminTlsOptions o = Options(*pki_, "ca");
  o.key_file = pki_->Key("other_client");  // not the certificate's key
  Status s = server::EnableAdminHttps(o);
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find(pki_->Key("other_client")), std::string::npos) << s.message();
  o = Options(*pki_, "ca");
  o.ca_file = dir_ + "/missing.pem";
  EXPECT_FALSE(server::EnableAdminHttps(o).ok());
  EXPECT_FALSE(server::AdminHttpsEnabled());
}

}  // namespace
}  // namespace zkx
