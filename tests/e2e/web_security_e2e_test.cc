// End to end: the zookeeper_exporter binary with --web.config.file. Basic auth (401 / 200), TLS checked with
// a real TLS client (curl, against a CA and certificates made here with the openssl CLI), mutual TLS, garbage
// on the TLS port, secrets that must never reach logs or pages, and bad web configs that must stop the start.
// No ZooKeeper is needed: --zookeeper.hosts points at 127.0.0.1:1 and the exporter serves anyway.
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include <crypt.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <stdlib.h>

#include "tests/e2e/e2e_util.h"
#include "tests/support/child_process.h"
#include "tests/support/http_get.h"
#include "tests/support/wait_and_ports.h"

namespace zkx::test {
namespace {

using std::chrono::milliseconds;

constexpr const char* kOpenSsl = "/usr/bin/openssl";
constexpr const char* kCurl = "/usr/bin/curl";
constexpr const char* kWebUser = "prometheus";
constexpr const char* kWebPassword = "web-Pa55word-7f3a9c";           // must never appear in logs or pages
constexpr const char* kZkDigestPassword = "zk-Digest-Secret-41d2e8";  // same

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

void WriteFile(const std::string& path, const std::string& text) {
  std::ofstream(path) << text;
}

struct ToolResult {
  int exit_code = -1;
  std::string output;
};

// Runs a program to completion (60 s at most), its stdout and stderr captured.
ToolResult Run(const std::vector<std::string>& argv, const std::string& dir) {
  static int counter = 0;
  const std::string log = dir + "/tool-" + std::to_string(++counter) + ".log";
  Result<ChildProcess> p = ChildProcess::Start(argv, log);
  if (!p.ok()) return {-1, p.status().ToString()};
  ToolResult r;
  r.exit_code = p->WaitExit(milliseconds(60000)).value_or(-1);
  r.output = p->Log();
  return r;
}

std::string Bcrypt(const std::string& password) {
  char* salt = crypt_gensalt_ra("$2b$", 4, nullptr, 0);
  crypt_data data{};
  const char* hash = crypt_r(password.c_str(), salt, &data);
  std::free(salt);
  return hash != nullptr ? hash : "";
}

struct CurlResult {
  int exit_code = -1;
  int http_code = 0;
  std::string body;
  std::string output;
};

// curl https://127.0.0.1:port/path with extra arguments (--cacert, --cert, -u ...).
CurlResult Curl(const std::string& dir, uint16_t port, const std::string& path,
                std::vector<std::string> extra) {
  const std::string body_file = dir + "/curl-body";
  std::filesystem::remove(body_file);
  std::vector<std::string> argv = {kCurl, "-sS",     "--max-time", "10",
                                   "-o",  body_file, "-w",         "\nHTTP_CODE=%{http_code}\n"};
  for (auto& a : extra) argv.push_back(std::move(a));
  argv.push_back("https://127.0.0.1:" + std::to_string(port) + path);
  ToolResult t = Run(argv, dir);
  CurlResult r;
  r.exit_code = t.exit_code;
  r.output = t.output;
  if (auto at = t.output.find("HTTP_CODE="); at != std::string::npos)
    r.http_code = std::atoi(t.output.c_str() + at + 10);
  r.body = ReadFile(body_file);
  return r;
}

// A CA, a server certificate for 127.0.0.1 / localhost, a client certificate from the same CA, and a client
// certificate from an unrelated CA. EC P-256: fast to make.
class Pki {
 public:
  explicit Pki(const std::string& dir) : dir_(dir) {
    MakeCa("ca");
    MakeCa("rogue-ca");
    Issue("ca", "server", "/CN=localhost",
          "subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n");
    Issue("ca", "client", "/CN=prometheus", "extendedKeyUsage=clientAuth\n");
    Issue("rogue-ca", "rogue-client", "/CN=mallory", "extendedKeyUsage=clientAuth\n");
  }
  bool ok() const { return ok_; }
  std::string errors() const { return errors_; }

 private:
  void Check(const ToolResult& r) {
    if (r.exit_code != 0) {
      ok_ = false;
      errors_ += r.output;
    }
  }
  void MakeCa(const std::string& name) {
    Check(Run({kOpenSsl, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
               "-keyout", dir_ + "/" + name + ".key", "-out", dir_ + "/" + name + ".crt", "-days", "2",
               "-subj", "/CN=zkx-test-" + name},
              dir_));
  }
  void Issue(const std::string& ca, const std::string& name, const std::string& subject,
             const std::string& ext) {
    WriteFile(dir_ + "/" + name + ".ext", ext);
    Check(Run({kOpenSsl, "req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
               "-keyout", dir_ + "/" + name + ".key", "-out", dir_ + "/" + name + ".csr", "-subj", subject},
              dir_));
    Check(Run({kOpenSsl, "x509", "-req", "-in", dir_ + "/" + name + ".csr", "-CA", dir_ + "/" + ca + ".crt",
               "-CAkey", dir_ + "/" + ca + ".key", "-CAcreateserial", "-out", dir_ + "/" + name + ".crt",
               "-days", "2", "-extfile", dir_ + "/" + name + ".ext"},
              dir_));
  }
  std::string dir_;
  bool ok_ = true;
  std::string errors_;
};

// The exporter with a ZooKeeper that is nowhere and its server and watch collectors off (only the HTTP edge
// is under test), its output in <dir>/<name>.log.
class Exporter : public e2e::E2eExporter {
 public:
  Exporter(const std::string& dir, const std::string& name, std::vector<std::string> extra_args)
      : E2eExporter(dir, EdgeArgs(std::move(extra_args)), name + ".log") {}
  // Waits for the "listening on" line (HTTP or HTTPS alike).
  bool WaitListening() const { return ExporterProcess::WaitListening(milliseconds(15000)); }

 private:
  static std::vector<std::string> EdgeArgs(std::vector<std::string> extra_args) {
    std::vector<std::string> args = {"--zookeeper.hosts=127.0.0.1:1", "--no-collector.server",
                                     "--no-collector.watches"};
    for (auto& a : extra_args) args.push_back(std::move(a));
    return args;
  }
};

class WebSecurityTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    char tmpl[] = "/tmp/zkx-websec-XXXXXX";
    const char* d = mkdtemp(tmpl);
    ASSERT_NE(d, nullptr);
    dir_ = new std::string(d);
    pki_ = new Pki(*dir_);
    hash_ = new std::string(Bcrypt(kWebPassword));
  }
  static void TearDownTestSuite() {
    if (dir_ != nullptr && !HasFailure()) std::filesystem::remove_all(*dir_);
    delete pki_;
    delete dir_;
    delete hash_;
  }
  void SetUp() override {
    ASSERT_TRUE(pki_->ok()) << pki_->errors();
    ASSERT_EQ(hash_->size(), 60U);
  }
  static std::string Dir() { return *dir_; }
  static std::string Users() {
    return std::string("basic_auth_users:\n  ") + kWebUser + ": " + *hash_ + "\n";
  }
  static std::string CaArg() { return Dir() + "/ca.crt"; }
  static std::string UserArg() { return std::string(kWebUser) + ":" + kWebPassword; }

  static std::string* dir_;
  static Pki* pki_;
  static std::string* hash_;
};
std::string* WebSecurityTest::dir_ = nullptr;
Pki* WebSecurityTest::pki_ = nullptr;
std::string* WebSecurityTest::hash_ = nullptr;

std::string BasicHeader(const std::string& user, const std::string& password) {
  static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  const std::string in = user + ":" + password;
  std::string out;
  unsigned bits = 0;
  int nbits = 0;
  for (char ch : in) {
    const auto c = static_cast<unsigned char>(ch);
    bits = (bits << 8U) | c;
    nbits += 8;
    while (nbits >= 6) {
      nbits -= 6;
      out += kAlphabet[(bits >> static_cast<unsigned>(nbits)) & 0x3FU];
    }
  }
  if (nbits > 0) out += kAlphabet[(bits << static_cast<unsigned>(6 - nbits)) & 0x3FU];
  while (out.size() % 4 != 0) out += '=';
  return "Basic " + out;
}

TEST_F(WebSecurityTest, BasicAuthOverPlainHttp) {
  WriteFile(Dir() + "/auth-only.yml", Users());
  Exporter exporter(Dir(), "auth-only", {"--web.config.file=" + Dir() + "/auth-only.yml"});
  ASSERT_TRUE(exporter.WaitListening()) << exporter.Log();
  for (const char* path : {"/metrics", "/healthz", "/readyz", "/", "/nowhere"}) {
    Result<HttpResponse> r = HttpGet("127.0.0.1", exporter.port(), path);
    ASSERT_TRUE(r.ok()) << path;
    EXPECT_EQ(r->status, 401) << path;
    EXPECT_EQ(r->headers["www-authenticate"], "Basic realm=\"zookeeper_exporter\"") << path;
    r = HttpGet("127.0.0.1", exporter.port(), path, {{"Authorization", BasicHeader(kWebUser, "wrong")}});
    ASSERT_TRUE(r.ok()) << path;
    EXPECT_EQ(r->status, 401) << path;
    r = HttpGet("127.0.0.1", exporter.port(), path, {{"Authorization", BasicHeader("nobody", kWebPassword)}});
    ASSERT_TRUE(r.ok()) << path;
    EXPECT_EQ(r->status, 401) << path;
  }
  Result<HttpResponse> ok = HttpGet("127.0.0.1", exporter.port(), "/metrics",
                                    {{"Authorization", BasicHeader(kWebUser, kWebPassword)}});
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(ok->status, 200);
  EXPECT_NE(ok->body.find("zookeeper_exporter_build_info{"), std::string::npos);
  EXPECT_NE(ok->body.find("zookeeper_client_tls=\""), std::string::npos);  // true with the bundled client
  ok = HttpGet("127.0.0.1", exporter.port(), "/healthz",
               {{"Authorization", BasicHeader(kWebUser, kWebPassword)}});
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(ok->status, 200);
}

TEST_F(WebSecurityTest, TlsWithARealClientAndSurvivesGarbage) {
  WriteFile(Dir() + "/tls.yml",
            "tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n" + Users());
  Exporter exporter(Dir(), "tls", {"--web.config.file=" + Dir() + "/tls.yml", "--log.level=debug"});
  ASSERT_TRUE(exporter.WaitListening()) << exporter.Log();

  CurlResult r = Curl(Dir(), exporter.port(), "/metrics", {"--cacert", CaArg(), "-u", UserArg()});
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(r.http_code, 200) << r.output;
  EXPECT_NE(r.body.find("zookeeper_exporter_build_info{"), std::string::npos);
  r = Curl(Dir(), exporter.port(), "/metrics", {"--cacert", CaArg()});
  EXPECT_EQ(r.http_code, 401) << r.output;
  r = Curl(Dir(), exporter.port(), "/healthz", {"--cacert", CaArg(), "-u", UserArg(), "--tls-max", "1.2"});
  EXPECT_EQ(r.http_code, 200) << r.output;  // TLS 1.2 is the default minimum
  // The certificate is checked by the client: without the CA, curl refuses.
  r = Curl(Dir(), exporter.port(), "/healthz", {"-u", UserArg()});
  EXPECT_NE(r.exit_code, 0) << r.output;

  // Garbage, plain HTTP and a truncated ClientHello on the TLS port: the server shrugs them off.
  (void)TcpExchange("127.0.0.1", exporter.port(), std::string(512, '\x17'), milliseconds(3000));
  (void)TcpExchange("127.0.0.1", exporter.port(), "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n",
                    milliseconds(3000));
  (void)TcpExchange("127.0.0.1", exporter.port(),
                    std::string("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", 11), milliseconds(3000));
  Result<HttpResponse> plain = HttpGet("127.0.0.1", exporter.port(), "/healthz", {}, milliseconds(3000));
  EXPECT_TRUE(!plain.ok() || plain->status != 200);
  r = Curl(Dir(), exporter.port(), "/metrics", {"--cacert", CaArg(), "-u", UserArg()});
  EXPECT_EQ(r.http_code, 200) << r.output;
  EXPECT_TRUE(exporter.process().Running());
}

TEST_F(WebSecurityTest, MutualTlsRequiresAClientCertificateFromTheCa) {
  WriteFile(Dir() + "/mtls.yml",
            "tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n  client_ca_file: ca.crt\n"
            "  client_auth_type: RequireAndVerifyClientCert\n");
  Exporter exporter(Dir(), "mtls", {"--web.config.file=" + Dir() + "/mtls.yml"});
  ASSERT_TRUE(exporter.WaitListening()) << exporter.Log();

  CurlResult r = Curl(Dir(), exporter.port(), "/metrics", {"--cacert", CaArg()});
  EXPECT_NE(r.exit_code, 0) << r.output;  // no client certificate: the handshake fails
  EXPECT_NE(r.http_code, 200);
  r = Curl(
      Dir(), exporter.port(), "/metrics",
      {"--cacert", CaArg(), "--cert", Dir() + "/rogue-client.crt", "--key", Dir() + "/rogue-client.key"});
  EXPECT_NE(r.exit_code, 0) << r.output;  // a certificate from another CA
  EXPECT_NE(r.http_code, 200);
  for (const char* tls : {"1.2", "1.3"}) {
    r = Curl(Dir(), exporter.port(), "/metrics",
             {"--cacert", CaArg(), "--cert", Dir() + "/client.crt", "--key", Dir() + "/client.key",
              "--tls-max", tls});
    EXPECT_EQ(r.exit_code, 0) << tls << ": " << r.output;
    EXPECT_EQ(r.http_code, 200) << tls << ": " << r.output;
  }
  EXPECT_TRUE(exporter.process().Running());
}

TEST_F(WebSecurityTest, SecretsNeverReachLogsPagesOrArgv) {
  WriteFile(Dir() + "/zk-auth", std::string("exporter:") + kZkDigestPassword + "\n");
  WriteFile(Dir() + "/secrets.yml",
            "tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n" + Users());
  Exporter exporter(Dir(), "secrets",
                    {"--web.config.file=" + Dir() + "/secrets.yml",
                     "--zookeeper.auth-file=" + Dir() + "/zk-auth", "--log.level=debug"});
  ASSERT_TRUE(exporter.WaitListening()) << exporter.Log();
  std::string pages;
  for (const char* path : {"/metrics", "/", "/readyz", "/healthz"}) {
    CurlResult r = Curl(Dir(), exporter.port(), path, {"--cacert", CaArg(), "-u", UserArg()});
    EXPECT_NE(r.http_code, 401) << path << ": " << r.output;
    pages += r.body;
  }
  EXPECT_NE(pages.find("zookeeper_exporter_build_info"), std::string::npos);
  // Failed attempts carrying secrets as passwords: they must not be echoed either.
  (void)Curl(Dir(), exporter.port(), "/metrics",
             {"--cacert", CaArg(), "-u", std::string(kWebUser) + ":" + kZkDigestPassword});
  (void)Curl(Dir(), exporter.port(), "/metrics",
             {"--cacert", CaArg(), "-u", std::string("nobody:") + kWebPassword});
  const std::string cmdline = ReadFile("/proc/" + std::to_string(exporter.process().pid()) + "/cmdline");
  EXPECT_EQ(exporter.Stop(milliseconds(15000)), 0);
  const std::string log = exporter.Log();
  EXPECT_NE(log.find("level=debug"), std::string::npos);  // debug really was on
  EXPECT_NE(log.find("basic auth failed for user \\\"nobody\\\""), std::string::npos) << log;
  for (const std::string secret : {kWebPassword, kZkDigestPassword}) {
    EXPECT_EQ(log.find(secret), std::string::npos) << secret;
    EXPECT_EQ(pages.find(secret), std::string::npos) << secret;
    EXPECT_EQ(cmdline.find(secret), std::string::npos) << secret;
  }
  EXPECT_EQ(log.find(*hash_), std::string::npos);
}

TEST_F(WebSecurityTest, BadWebConfigsStopTheStartWithOneClearLine) {
  struct Case {
    std::string name;
    std::string yaml;
    std::string want;
    std::string must_not_contain;
  };
  const std::vector<Case> cases = {
      {"unknown-key", "tls_server_config:\n  certfile: server.crt\n",
       "bad-unknown-key.yml:2: unknown key \"certfile\"", ""},
      {"plaintext", "basic_auth_users:\n  prometheus: " + std::string(kWebPassword) + "\n",
       "bad-plaintext.yml:2: basic_auth_users: the password of user \"prometheus\" is not a bcrypt hash",
       kWebPassword},
      {"missing-cert", "tls_server_config:\n  cert_file: nope.crt\n  key_file: server.key\n",
       "bad-missing-cert.yml:2: cert_file: cannot read", ""},
      {"key-mismatch", "tls_server_config:\n  cert_file: server.crt\n  key_file: client.key\n",
       "key values mismatch", ""},
  };
  for (const Case& c : cases) {
    const std::string path = Dir() + "/bad-" + c.name + ".yml";
    WriteFile(path, c.yaml);
    Exporter exporter(Dir(), "bad-" + c.name, {"--web.config.file=" + path});
    EXPECT_EQ(exporter.process().WaitExit(milliseconds(15000)), 1) << c.name;
    const std::string log = exporter.Log();
    EXPECT_NE(log.find(c.want), std::string::npos) << c.name << ": " << log;
    EXPECT_EQ(log.find("listening on"), std::string::npos) << c.name;
    if (!c.must_not_contain.empty()) {
      EXPECT_EQ(log.find(c.must_not_contain), std::string::npos) << c.name;
    }
  }
}

}  // namespace
}  // namespace zkx::test
