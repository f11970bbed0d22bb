// Unit tests for --web.config.file parsing (exporter-toolkit format) and the HTTP server's basic auth gate.
#include "exporter/web_config.h"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include <crypt.h>
#include <gtest/gtest.h>
#include <stdlib.h>

#include "exporter/http_server.h"
#include "tests/support/http_get.h"

namespace zkx::exporter {
namespace {

std::string Bcrypt(const std::string& password) {
  char* salt = crypt_gensalt_ra("$2b$", 4, nullptr, 0);
  crypt_data data{};
  const char* hash = crypt_r(password.c_str(), salt, &data);
  std::free(salt);
  return hash != nullptr ? hash : "";
}

class WebConfigTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/zkx-webcfg-XXXXXX";
    const char* d = mkdtemp(tmpl);
    ASSERT_NE(d, nullptr);
    dir_ = d;
    for (const char* f : {"server.crt", "server.key", "ca.crt"}) Write(f, "placeholder\n");
    hash_ = Bcrypt("secret");
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  void Write(const std::string& name, const std::string& text) const {
    std::ofstream(dir_ + "/" + name) << text;
  }
  Result<WebConfig> Parse(const std::string& yaml) const { return ParseWebConfigYaml(yaml, "web.yml", dir_); }
  std::string Error(const std::string& yaml) const {
    Result<WebConfig> r = Parse(yaml);
    EXPECT_FALSE(r.ok()) << yaml;
    return r.ok() ? "" : r.status().message();
  }

  std::string dir_;
  std::string hash_;
};

TEST_F(WebConfigTest, EmptyMeansPlainHttpWithoutAuth) {
  for (const char* yaml :
       {"", "{}", "tls_server_config:\n", "tls_server_config: {}\nbasic_auth_users: {}\n"}) {
    Result<WebConfig> c = Parse(yaml);
    ASSERT_TRUE(c.ok()) << yaml << ": " << c.status().ToString();
    EXPECT_FALSE(c->tls.has_value());
    EXPECT_TRUE(c->basic_auth_users.empty());
  }
}

TEST_F(WebConfigTest, FullConfig) {
  Result<WebConfig> c = Parse(
      "tls_server_config:\n"
      "  cert_file: server.crt\n"
      "  key_file: " +
      dir_ +
      "/server.key\n"
      "  client_ca_file: ./sub/../ca.crt\n"
      "  client_auth_type: VerifyClientCertIfGiven\n"
      "  min_version: TLS13\n"
      "  max_version: TLS13\n"
      "http_server_config:\n"
      "  http2: true\n"
      "  headers:\n"
      "    X-Frame-Options: deny\n"
      "    Strict-Transport-Security: max-age=31536000\n"
      "basic_auth_users:\n"
      "  alice: " +
      hash_ +
      "\n"
      "  bob: '" +
      hash_ + "'\n");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  ASSERT_TRUE(c->tls.has_value());
  EXPECT_EQ(c->tls->cert_file, dir_ + "/server.crt");  // relative to the config file's directory
  EXPECT_EQ(c->tls->key_file, dir_ + "/server.key");
  EXPECT_EQ(c->tls->client_ca_file, dir_ + "/ca.crt");
  EXPECT_EQ(c->tls->client_auth_type, ClientAuthType::kVerifyClientCertIfGiven);
  EXPECT_EQ(c->tls->min_version, TlsVersion::kTls13);
  EXPECT_EQ(c->tls->max_version, TlsVersion::kTls13);
  EXPECT_EQ(c->basic_auth_users.size(), 2U);
  EXPECT_EQ(c->basic_auth_users.at("alice"), hash_);
  ASSERT_EQ(c->headers.size(), 2U);
  EXPECT_EQ(c->headers[0].first, "X-Frame-Options");
}

TEST_F(WebConfigTest, ClientAuthDefaultsLikeExporterToolkit) {
  Result<WebConfig> c = Parse("tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->tls->client_auth_type, ClientAuthType::kNoClientCert);
  EXPECT_EQ(c->tls->min_version, TlsVersion::kTls12);
  c = Parse(
      "tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n  client_ca_file: ca.crt\n");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->tls->client_auth_type, ClientAuthType::kRequireAndVerifyClientCert);
  for (const char* type :
       {"NoClientCert", "RequestClientCert", "RequireAnyClientCert", "RequireAndVerifyClientCert"}) {
    const bool verifies = std::string(type) == "RequireAndVerifyClientCert";
    c = Parse(std::string("tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n") +
              (verifies ? "  client_ca_file: ca.crt\n" : "") + "  client_auth_type: " + type + "\n");
    ASSERT_TRUE(c.ok()) << type << ": " << c.status().ToString();
    EXPECT_EQ(ClientAuthTypeName(c->tls->client_auth_type), type);
  }
}

TEST_F(WebConfigTest, ErrorsNameFileAndLine) {
  const std::string tls = "tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n";
  EXPECT_EQ(
      Error("tls_server_config:\n  cert_file: server.crt\n  keyfile: server.key\n"),
      "web.yml:3: unknown key \"keyfile\" in tls_server_config (want cert_file, key_file, client_auth_type, "
      "client_ca_file, min_version, max_version)");
  EXPECT_EQ(Error("basic_auth_users: {}\nweb: 1\n"),
            "web.yml:2: unknown key \"web\" in the top level (want tls_server_config, basic_auth_users, "
            "http_server_config)");
  EXPECT_EQ(Error("tls_server_config:\n  cert_file: missing.crt\n  key_file: server.key\n"),
            "web.yml:2: cert_file: cannot read \"" + dir_ + "/missing.crt\": No such file or directory");
  EXPECT_EQ(Error("tls_server_config:\n  key_file: server.key\n"),
            "web.yml:2: tls_server_config: cert_file is missing");
  EXPECT_EQ(Error("tls_server_config:\n  cert_file: server.crt\n"),
            "web.yml:2: tls_server_config: key_file is missing");
  EXPECT_EQ(Error(tls + "  client_auth_type: Sometimes\n")
                .rfind("web.yml:4: tls_server_config: client_auth_type: "
                       "unknown value \"Sometimes\"",
                       0),
            0U);
  EXPECT_EQ(Error(tls + "  client_auth_type: RequireAndVerifyClientCert\n"),
            "web.yml:4: tls_server_config: client_auth_type RequireAndVerifyClientCert needs client_ca_file");
  EXPECT_NE(
      Error(tls + "  client_auth_type: NoClientCert\n  client_ca_file: ca.crt\n").find("does not verify"),
      std::string::npos);
  EXPECT_EQ(Error(tls + "  min_version: TLS11\n"),
            "web.yml:4: min_version: TLS11 is not supported (want TLS12 or TLS13)");
  EXPECT_EQ(Error(tls + "  min_version: TLS13\n  max_version: TLS12\n"),
            "web.yml:2: tls_server_config: max_version is below min_version");
  EXPECT_EQ(Error(tls + "  cipher_suites: [TLS_AES_128_GCM_SHA256]\n"),
            "web.yml:4: tls_server_config: \"cipher_suites\" (exporter-toolkit) is not supported by "
            "zookeeper_exporter");
  EXPECT_EQ(Error("tls_server_config:\n  cert_file: server.crt\n  cert_file: server.crt\n"),
            "web.yml:3: duplicate key \"cert_file\" in tls_server_config");
  EXPECT_EQ(Error("tls_server_config: [a]\n"), "web.yml:1: tls_server_config: want a map");
  EXPECT_EQ(Error("http_server_config:\n  headers:\n    X-Powered-By: me\n")
                .rfind("web.yml:3: http_server_config: headers:", 0),
            0U);
  EXPECT_EQ(Error("http_server_config:\n  http2: maybe\n"),
            "web.yml:2: http_server_config: http2: want true or false");
  EXPECT_EQ(Error("basic_auth_users:\n  al:ice: " + hash_ + "\n"),
            "web.yml:2: basic_auth_users: user name \"al:ice\" contains ':'");
  const std::string syntax = Error("tls_server_config: {cert_file: [x\n");
  EXPECT_EQ(syntax.rfind("web.yml:", 0), 0U) << syntax;
  EXPECT_NE(syntax.find(": YAML syntax error: "), std::string::npos) << syntax;
  EXPECT_EQ(Error("- a\n"), "web.yml:1: the top level must be a map");
}

TEST_F(WebConfigTest, RejectsNonBcryptPasswordsWithoutEchoingThem) {
  for (const std::string& value :
       {std::string("hunter2-plaintext"), std::string("$6$salt$abcdefghijklmnopqrstuvwxyz0123456789"),
        hash_.substr(0, 59)}) {
    const std::string e = Error("basic_auth_users:\n  alice: " + value + "\n");
    EXPECT_EQ(e.rfind("web.yml:2: basic_auth_users: the password of user \"alice\" is not a bcrypt hash", 0),
              0U)
        << e;
    EXPECT_EQ(e.find(value), std::string::npos) << e;
  }
}

TEST_F(WebConfigTest, LoadsFilesAndResolvesAgainstTheirDirectory) {
  std::filesystem::create_directories(dir_ + "/conf");
  Write("conf/web.yml", "tls_server_config:\n  cert_file: ../server.crt\n  key_file: ../server.key\n");
  Result<WebConfig> c = LoadWebConfigFile(dir_ + "/conf/web.yml");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->tls->cert_file, dir_ + "/server.crt");
  Result<WebConfig> missing = LoadWebConfigFile(dir_ + "/nope.yml");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().message(),
            "cannot read web config file \"" + dir_ + "/nope.yml\": No such file or directory");
}

TEST_F(WebConfigTest, BadCertificateIsAStartupError) {
  Result<WebConfig> c = Parse("tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n");
  ASSERT_TRUE(c.ok());
  Result<HttpSecurity> security = HttpSecurity::FromWebConfig(*c);
  ASSERT_FALSE(security.ok());
  EXPECT_NE(security.status().message().find("cert_file \"" + dir_ + "/server.crt\""), std::string::npos)
      << security.status().message();
}

// The gate in front of every route: 401 with a challenge, then the handler once the credentials are right.
TEST_F(WebConfigTest, HttpServerAsksForBasicAuthOnEveryPath) {
  Result<WebConfig> c = Parse("basic_auth_users:\n  alice: " + hash_ +
                              "\nhttp_server_config:\n  headers:\n"
                              "    X-Content-Type-Options: nosniff\n");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  Result<HttpSecurity> security = HttpSecurity::FromWebConfig(*c);
  ASSERT_TRUE(security.ok()) << security.status().ToString();
  std::map<std::string, HttpHandler> routes;
  routes["/metrics"] = [](const HttpRequest&) { return HttpResponse{200, "text/plain", "metrics\n", {}}; };
  HttpServerLimits limits;
  limits.max_connections = 2;
  Result<std::unique_ptr<HttpServer>> server =
      HttpServer::Start("127.0.0.1:0", std::move(routes), std::move(security).value(), limits);
  ASSERT_TRUE(server.ok()) << server.status().ToString();
  const auto port = static_cast<uint16_t>((*server)->Ports().at(0));

  Result<test::HttpResponse> r = test::HttpGet("127.0.0.1", port, "/metrics");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, 401);
  EXPECT_EQ(r->headers["www-authenticate"], "Basic realm=\"zookeeper_exporter\"");
  EXPECT_EQ(r->headers["x-content-type-options"], "nosniff");
  r = test::HttpGet("127.0.0.1", port, "/metrics",
                    {{"Authorization", "Basic YWxpY2U6d3Jvbmc="}});  // alice:wrong
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, 401);
  r = test::HttpGet("127.0.0.1", port, "/nowhere");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, 401);  // unknown paths too: nothing is revealed before authentication
  r = test::HttpGet("127.0.0.1", port, "/metrics",
                    {{"Authorization", "Basic YWxpY2U6c2VjcmV0"}});  // alice:secret
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, "metrics\n");
  EXPECT_EQ(r->headers["x-content-type-options"], "nosniff");
  r = test::HttpGet("127.0.0.1", port, "/nowhere", {{"Authorization", "Basic YWxpY2U6c2VjcmV0"}});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, 404);
}

}  // namespace
}  // namespace zkx::exporter
