// The exporter's image, run as users run it (tests/container; images from scripts/container-images.sh):
//   - as the image's default user (no --user), with a read-only root filesystem, on the host's network bound
//     to 127.0.0.1 only, against a live ZooKeeper (tests/support's harness, free loopback ports);
//   - /metrics, /healthz and /readyz answer, and the exporter reports its server;
//   - a second container serves HTTPS from --web.config.file (a certificate made here), and the OpenSSL shims
//     it loads for CivetWeb are the ones installed in the image (/usr/local/lib/zookeeper_exporter/);
//   - a real Prometheus (Debian's, on the host) scrapes both, plain and TLS.
// One environment for every case (started once in SetUpTestSuite).
#include <chrono>
#include <memory>
#include <optional>
#include <regex>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <unistd.h>

#include "tests/container/container_util.h"
#include "tests/support/child_process.h"
#include "tests/support/http_get.h"
#include "tests/support/wait_and_ports.h"
#include "tests/support/zk_ensemble.h"

namespace zkx::test::container {
namespace {

using std::chrono::seconds;

constexpr const char* kShimDir = "/usr/local/lib/zookeeper_exporter/";

// True if `exposition` has `family`{..., server="<server>", [state="<state>",] ...} 1.
bool HasSample(const std::string& exposition, const std::string& family, const std::string& server,
               const std::string& state) {
  std::string labels = "[^}]*server=\"" + std::regex_replace(server, std::regex(R"([.])"), R"(\.)") + "\"";
  if (!state.empty()) labels += "[^}]*state=\"" + state + "\"";
  return std::regex_search(exposition, std::regex("\n" + family + "\\{" + labels + "[^}]*\\} 1\n"));
}

class Environment {
 public:
  Environment() : dir_(TempDir("zkx-image-test")) {}
  ~Environment() {
    prometheus_.reset();
    plain_.reset();
    tls_.reset();
    ensemble_.Stop();
    RemoveTree(dir_);
  }
  Environment(const Environment&) = delete;
  Environment& operator=(const Environment&) = delete;

  Status Start() {
    if (dir_.empty()) return Status::Internal("mkdtemp failed");
    if (Status s = ensemble_.Start(); !s.ok()) return s;
    Result<std::vector<uint16_t>> ports = FreeLoopbackPorts(3);
    if (!ports.ok()) return ports.status();
    plain_port_ = (*ports)[0];
    tls_port_ = (*ports)[1];
    prometheus_port_ = (*ports)[2];
    if (Status s = MakeTlsFiles(); !s.ok()) return s;
    const std::string tag = std::to_string(getpid());
    plain_ = std::make_unique<ScopedContainer>("zkx-image-test-plain-" + tag);
    tls_ = std::make_unique<ScopedContainer>("zkx-image-test-tls-" + tag);
    if (Status s = RunExporter(plain_->name(), plain_port_, {}); !s.ok()) return s;
    if (Status s =
            RunExporter(tls_->name(), tls_port_, {"--web.config.file=/etc/zookeeper_exporter/web/web.yml"},
                        {"--volume", dir_ + "/web:/etc/zookeeper_exporter/web:ro"});
        !s.ok()) {
      return s;
    }
    return StartPrometheus();
  }

  // GET http://127.0.0.1:<plain port><path>
  Result<HttpResponse> Get(const std::string& path) const { return HttpGet("127.0.0.1", plain_port_, path); }
  // curl https://127.0.0.1:<tls port><path> with the test's certificate as the CA (the body; exit code).
  Output CurlTls(const std::string& path) const {
    return Run({"/usr/bin/curl", "--silent", "--show-error", "--fail", "--max-time", "10", "--cacert",
                dir_ + "/web/server.crt", "https://127.0.0.1:" + std::to_string(tls_port_) + path});
  }
  // Prometheus' instant query; the `result` array (empty on failure).
  nlohmann::json Query(const std::string& promql) const {
    Output o =
        Run({"/usr/bin/curl", "--silent", "--max-time", "10", "--get", "--data-urlencode", "query=" + promql,
             "http://127.0.0.1:" + std::to_string(prometheus_port_) + "/api/v1/query"});
    nlohmann::json j = nlohmann::json::parse(o.text, nullptr, false);
    if (j.is_discarded() || j.value("status", "") != "success") return nlohmann::json::array();
    return j["data"]["result"];
  }

  [[nodiscard]] const std::string& plain_name() const { return plain_->name(); }
  [[nodiscard]] const std::string& tls_name() const { return tls_->name(); }
  [[nodiscard]] uint16_t plain_port() const { return plain_port_; }
  [[nodiscard]] uint16_t tls_port() const { return tls_port_; }
  [[nodiscard]] const ZkEnsemble& ensemble() const { return ensemble_; }
  std::string PrometheusLog() const { return prometheus_ ? prometheus_->Log() : ""; }
  static std::string Logs(const std::string& name) { return Podman({"logs", name}).text; }

 private:
  Status MakeTlsFiles() {
    const std::string web = dir_ + "/web";
    std::filesystem::create_directories(web);
    Output o =
        Run({"/usr/bin/openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
             "-nodes", "-days", "2", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
             "-keyout", web + "/server.key", "-out", web + "/server.crt"});
    if (o.exit_code != 0) return Status::Internal("openssl: " + o.text);
    // The container's user (65532) reads the key through the read-only bind mount.
    std::filesystem::permissions(web + "/server.key", std::filesystem::perms::owner_read |
                                                          std::filesystem::perms::group_read |
                                                          std::filesystem::perms::others_read);
    WriteFile(web + "/web.yml", "tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n");
    return Status::Ok();
  }

  // podman run -d: the image's own user and entrypoint, read-only root, host network, 127.0.0.1 only.
  Status RunExporter(const std::string& name, uint16_t port, const std::vector<std::string>& flags,
                     const std::vector<std::string>& podman_flags = {}) {
    std::vector<std::string> args = {"run", "--detach", "--name", name, "--read-only", "--network=host"};
    for (const auto& l : RunLimits()) args.push_back(l);
    for (const auto& f : podman_flags) args.push_back(f);
    args.push_back(kExporterImage);
    args.push_back("--zookeeper.hosts=" + ensemble_.ServerAddress(0));
    args.push_back("--server.admin-port=" + std::to_string(ensemble_.AdminPort(0)));
    args.push_back("--web.listen-address=127.0.0.1:" + std::to_string(port));
    for (const auto& f : flags) args.push_back(f);
    Output o = Podman(args);
    if (o.exit_code != 0) return Status::Internal("podman run " + name + ": " + o.text);
    return Status::Ok();
  }

  Status StartPrometheus() {
    const std::string cfg = dir_ + "/prometheus.yml";
    WriteFile(cfg,
              "global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n"
              "scrape_configs:\n"
              "  - job_name: plain\n    static_configs:\n      - targets: ['127.0.0.1:" +
                  std::to_string(plain_port_) +
                  "']\n"
                  "  - job_name: tls\n    scheme: https\n    tls_config:\n      ca_file: " +
                  dir_ + "/web/server.crt\n    static_configs:\n      - targets: ['127.0.0.1:" +
                  std::to_string(tls_port_) + "']\n");
    Result<ChildProcess> p = ChildProcess::Start(
        {ZKX_PROMETHEUS_BIN, "--config.file=" + cfg, "--storage.tsdb.path=" + dir_ + "/tsdb",
         "--web.listen-address=127.0.0.1:" + std::to_string(prometheus_port_)},
        dir_ + "/prometheus.log");
    if (!p.ok()) return p.status();
    prometheus_.emplace(std::move(p).value());
    return Status::Ok();
  }

  std::string dir_;
  ZkEnsemble ensemble_{};
  uint16_t plain_port_ = 0;
  uint16_t tls_port_ = 0;
  uint16_t prometheus_port_ = 0;
  std::unique_ptr<ScopedContainer> plain_;
  std::unique_ptr<ScopedContainer> tls_;
  std::optional<ChildProcess> prometheus_;
};

class ImageTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    env_ = new Environment();
    start_ = env_->Start();
  }
  static void TearDownTestSuite() {
    delete env_;  // Prometheus, the containers, then the ensemble
    env_ = nullptr;
  }
  void SetUp() override { ASSERT_TRUE(start_.ok()) << start_.ToString(); }

  static Environment* env_;
  static Status start_;
};
Environment* ImageTest::env_ = nullptr;
Status ImageTest::start_ = Status::Ok();

TEST_F(ImageTest, RunsAsTheImagesNonRootUserOnAReadOnlyRootFilesystem) {
  const std::string name = env_->plain_name();
  EXPECT_EQ(Inspect(kExporterImage, "{{.Config.User}}"), "65532:65532");
  EXPECT_EQ(Inspect(name, "{{.HostConfig.ReadonlyRootfs}}"), "true");
  // The process itself, seen from the host: its real and effective uid and gid are 65532.
  const std::string pid = Inspect(name, "{{.State.Pid}}");
  ASSERT_FALSE(pid.empty() || pid == "0") << Environment::Logs(name);
  const std::string status = ReadFile("/proc/" + pid + "/status");
  EXPECT_NE(status.find("\nUid:\t65532\t65532\t65532\t65532\n"), std::string::npos) << status;
  EXPECT_NE(status.find("\nGid:\t65532\t65532\t65532\t65532\n"), std::string::npos) << status;
  // Its root filesystem refuses writes (as the exporter's user and as root).
  EXPECT_NE(Podman({"exec", name, "/usr/bin/touch", "/usr/local/probe"}).exit_code, 0);
  EXPECT_NE(Podman({"exec", "--user", "0", name, "/usr/bin/touch", "/probe"}).exit_code, 0);
}

TEST_F(ImageTest, CarriesTheSaslPluginsForDigestMd5AndKerberos) {
  // --zookeeper.sasl.mechanism needs Cyrus SASL's client plugins at run time, not only libsasl2.
  const Output o = Podman({"exec", env_->plain_name(), "/bin/ls", "/usr/lib/x86_64-linux-gnu/sasl2"});
  ASSERT_EQ(o.exit_code, 0) << o.text;
  EXPECT_NE(o.text.find("libdigestmd5.so"), std::string::npos) << o.text;
  EXPECT_NE(o.text.find("libgssapiv2.so"), std::string::npos) << o.text;
}

TEST_F(ImageTest, ServesMetricsHealthAndReadinessForItsLiveServer) {
  ASSERT_TRUE(WaitFor(
      [] {
        Result<HttpResponse> r = env_->Get("/readyz");
        return r.ok() && r->status == 200;
      },
      std::chrono::seconds(60), std::chrono::milliseconds(250)))
      << Environment::Logs(env_->plain_name());
  Result<HttpResponse> health = env_->Get("/healthz");
  ASSERT_TRUE(health.ok()) << health.status().ToString();
  EXPECT_EQ(health->status, 200);
  Result<HttpResponse> metrics = env_->Get("/metrics");
  ASSERT_TRUE(metrics.ok()) << metrics.status().ToString();
  EXPECT_EQ(metrics->status, 200);
  // It reports the server it was pointed at: up, and standalone (a one-server ensemble).
  const std::string server = env_->ensemble().ServerAddress(0);
  EXPECT_TRUE(HasSample(metrics->body, "zookeeper_server_up", server, "")) << metrics->body;
  EXPECT_TRUE(HasSample(metrics->body, "zookeeper_server_state", server, "standalone")) << metrics->body;
}

TEST_F(ImageTest, ServesTlsFromItsWebConfigWithTheInstalledOpenSslShims) {
  Output o;
  ASSERT_TRUE(WaitFor(
      [&] {
        o = env_->CurlTls("/readyz");
        return o.exit_code == 0;
      },
      std::chrono::seconds(60), std::chrono::milliseconds(250)))
      << o.text << Environment::Logs(env_->tls_name());
  o = env_->CurlTls("/metrics");
  ASSERT_EQ(o.exit_code, 0) << o.text;
  EXPECT_TRUE(HasSample(o.text, "zookeeper_server_up", env_->ensemble().ServerAddress(0), "")) << o.text;
  // Plain HTTP on the TLS port is not served.
  Result<HttpResponse> plain = HttpGet("127.0.0.1", env_->tls_port(), "/metrics");
  EXPECT_TRUE(!plain.ok() || plain->status != 200);

  // The shims that answer CivetWeb's dlopen("libssl.so") / dlopen("libcrypto.so") are mapped from the image's
  // installed directory (the build tree the binary was compiled in does not exist in the image).
  const Output maps = Podman({"exec", env_->tls_name(), "/bin/cat", "/proc/1/maps"});
  ASSERT_EQ(maps.exit_code, 0) << maps.text;
  for (const std::string lib : {"ssl", "crypto"}) {
    const std::regex shim(std::string(kShimDir) + R"([^/\s]*)" + lib + R"([^/\s]*\.so)");
    EXPECT_TRUE(std::regex_search(maps.text, shim)) << lib << " shim not mapped from " << kShimDir << ":\n"
                                                    << maps.text;
  }
}

TEST_F(ImageTest, PrometheusScrapesThePlainAndTheTlsContainer) {
  for (const std::string job : {"plain", "tls"}) {
    ASSERT_TRUE(WaitFor(
        [&] {
          const nlohmann::json r = env_->Query("up{job=\"" + job + "\"} == 1");
          return r.size() == 1;
        },
        std::chrono::seconds(90), std::chrono::milliseconds(500)))
        << job << " never up; Prometheus log:\n"
        << env_->PrometheusLog();
    const nlohmann::json state =
        env_->Query("zookeeper_server_state{job=\"" + job + "\",state=\"standalone\"} == 1");
    EXPECT_EQ(state.size(), 1U) << job << ": " << state.dump();
  }
}

}  // namespace
}  // namespace zkx::test::container
