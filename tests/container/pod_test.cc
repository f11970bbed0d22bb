// deploy/kubernetes' pod, started with `podman kube play` (tests/container; images from
// scripts/container-images.sh). podman runs Pods, not StatefulSets: the test makes the pod the StatefulSet
// would make for ordinal 0 from its pod template, changing only what a cluster provides:
//   - the images: the kustomization's `zookeeper-exporter` and the template's `zookeeper:3.8` become the ones
//     built here (the official ZooKeeper image cannot be pulled; deploy/docker/zookeeper.Dockerfile keeps its
//     contract: ZOO_* variables, /docker-entrypoint.sh, zkServer.sh start-foreground, uid 1000);
//   - ZOO_SERVERS: one member on 127.0.0.1 (the other members' DNS names exist only in a cluster);
//   - the `data` volume (a volumeClaimTemplate): a host directory;
//   - the containers' `ports` declarations: podman 4.3 would publish each on the host's 0.0.0.0 (and refuses
//     them without a network); the probes' named ports are first resolved to their numbers, as the kubelet
//     does.
// Containers, commands, args, env, probes, resources and security contexts are the template's, and the
// ConfigMap is deploy/kubernetes/configmap.yaml as it is. The pod has no network but its own loopback
// (--network none): the test reaches it by entering the pod's network namespace (nsenter) with curl, bash and
// a real Prometheus from the host, as the kubelet's probes and a Prometheus in the cluster would.
// The probes are run as the kubelet runs them, from outside the containers, as the manifest states them
// (podman turns liveness probes into healthcheck commands that need curl / nc inside the images, and
// schedules them with systemd timers; neither exists here). Checked: the probes (httpGet /healthz and /readyz
// on `metrics`, tcpSocket on `client`) succeed; /readyz follows the server (ZooKeeper's container stopped:
// unready; started: ready); the exporter reports its own server; Prometheus scrapes it.
#include <chrono>
#include <filesystem>
#include <optional>
#include <regex>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <unistd.h>
#include <yaml-cpp/yaml.h>

#include "tests/container/container_util.h"
#include "tests/support/child_process.h"
#include "tests/support/wait_and_ports.h"

namespace zkx::test::container {
namespace {

using std::chrono::seconds;

// The pod the StatefulSet makes for ordinal 0, as podman can run it (see the file comment), then the
// ConfigMap it mounts.
Result<std::string> PodYaml(const std::string& pod_name, const std::string& data_dir) {
  YAML::Node sts;
  try {
    sts = YAML::LoadFile(SourcePath("deploy/kubernetes/statefulset.yaml"));
  } catch (const YAML::Exception& e) {
    return Status::Internal(std::string("statefulset.yaml: ") + e.what());
  }
  const YAML::Node tmpl = sts["spec"]["template"];
  YAML::Node pod;
  pod["apiVersion"] = "v1";
  pod["kind"] = "Pod";
  pod["metadata"]["name"] = pod_name;
  pod["metadata"]["labels"] = YAML::Clone(tmpl["metadata"]["labels"]);
  pod["metadata"]["annotations"] = YAML::Clone(tmpl["metadata"]["annotations"]);
  pod["spec"] = YAML::Clone(tmpl["spec"]);
  // The StatefulSet's pod name is its hostname; the entrypoint derives myid from it.
  pod["spec"]["hostname"] = sts["metadata"]["name"].as<std::string>() + "-0";
  bool exporter = false, zookeeper = false;
  for (YAML::Node c : pod["spec"]["containers"]) {
    const std::string name = c["name"].as<std::string>();
    if (name == "exporter") {
      c["image"] = kExporterImage;
      exporter = true;
    } else if (name == "zookeeper") {
      c["image"] = kZooKeeperImage;
      zookeeper = true;
      for (YAML::Node e : c["env"]) {
        if (e["name"].as<std::string>() == "ZOO_SERVERS") e["value"] = "server.1=127.0.0.1:2888:3888;2181";
      }
    }
  }
  if (!exporter || !zookeeper) return Status::Internal("the pod template lacks the exporter or zookeeper");
  // podman 4.3 publishes every containerPort on the host's 0.0.0.0 (and refuses ports with --network none):
  // drop the declarations, after resolving the probes' named ports to their numbers as the kubelet does.
  for (YAML::Node c : pod["spec"]["containers"]) {
    for (const char* probe : {"livenessProbe", "readinessProbe"}) {
      for (const char* kind : {"httpGet", "tcpSocket"}) {
        YAML::Node p = c[probe][kind];
        if (!p || !p["port"]) continue;
        for (const auto& port : c["ports"]) {
          if (port["name"].as<std::string>() == p["port"].as<std::string>())
            p["port"] = port["containerPort"];
        }
      }
    }
    c.remove("ports");
  }
  YAML::Node data;
  data["name"] = "data";
  data["hostPath"]["path"] = data_dir;
  data["hostPath"]["type"] = "Directory";
  pod["spec"]["volumes"].push_back(data);
  YAML::Emitter out;
  out << pod;
  return std::string(out.c_str()) + "\n";
}

// A probe of the pod's manifest: httpGet (path) or tcpSocket (no path) on a port of the pod.
struct Probe {
  std::string container;
  std::string which;      // livenessProbe, readinessProbe
  std::string http_path;  // empty: tcpSocket
  int port = 0;
  [[nodiscard]] std::string Name() const { return container + "." + which; }
};

class Pod {
 public:
  Pod() : dir_(TempDir("zkx-pod-test")), pod_("zkx-pod-test-" + std::to_string(getpid())) {}
  ~Pod() {
    prometheus_.reset();
    Podman({"pod", "rm", "-f", "-t", "5", pod_.name()});
    RemoveConfigMapVolume();
    RemoveTree(dir_);
  }
  Pod(const Pod&) = delete;
  Pod& operator=(const Pod&) = delete;

  Status Start() {
    if (dir_.empty()) return Status::Internal("mkdtemp failed");
    // The ZooKeeper container's uid (1000) owns its data volume, as fsGroup: 1000 arranges in a cluster.
    const std::string data = dir_ + "/data";
    std::filesystem::create_directories(data);
    if (chown(data.c_str(), 1000, 1000) != 0) return Status::Internal("chown " + data);
    Result<std::string> yaml = PodYaml(pod_.name(), data);
    if (!yaml.ok()) return yaml.status();
    WriteFile(dir_ + "/pod.yaml", *yaml);
    for (const auto& c : YAML::Load(*yaml)["spec"]["containers"]) {
      for (const char* which : {"livenessProbe", "readinessProbe"}) {
        const YAML::Node p = c[which];
        if (!p) continue;
        Probe probe{c["name"].as<std::string>(), which, "", 0};
        if (p["httpGet"]) {
          probe.http_path = p["httpGet"]["path"].as<std::string>();
          probe.port = p["httpGet"]["port"].as<int>();
        } else if (p["tcpSocket"]) {
          probe.port = p["tcpSocket"]["port"].as<int>();
        } else {
          return Status::Internal("a probe that is neither httpGet nor tcpSocket: " + probe.Name());
        }
        probes_.push_back(probe);
      }
    }
    // A volume of the ConfigMap's name left by an earlier run would be used as it is: old contents, and a
    // lock number from podman's state then (a host whose /dev/shm was reset since deadlocked kube play on
    // it).
    RemoveConfigMapVolume();
    Output o = Podman({"kube", "play", "--network", "none", "--configmap",
                       SourcePath("deploy/kubernetes/configmap.yaml"), dir_ + "/pod.yaml"},
                      seconds(180));
    if (o.exit_code != 0) return Status::Internal("podman kube play: " + o.text + "\n" + *yaml);
    infra_pid_ = Inspect(Inspect(pod_.name(), "{{.InfraContainerID}}"), "{{.State.Pid}}");
    if (infra_pid_.empty() || infra_pid_ == "0")
      return Status::Internal("no infra container for " + pod_.name());
    return Status::Ok();
  }

  // `podman kube play --configmap` keeps the ConfigMap in a named volume (the ConfigMap's name), which
  // `pod rm` leaves behind.
  static void RemoveConfigMapVolume() {
    const std::string name =
        YAML::LoadFile(SourcePath("deploy/kubernetes/configmap.yaml"))["metadata"]["name"].as<std::string>();
    Podman({"volume", "rm", "-f", name});
  }

  // Runs argv inside the pod's network namespace.
  Output InPod(const std::vector<std::string>& argv, seconds timeout = seconds(30)) const {
    std::vector<std::string> a = {"/usr/bin/nsenter", "--target", infra_pid_, "--net", "--"};
    a.insert(a.end(), argv.begin(), argv.end());
    return Run(a, timeout);
  }
  // The kubelet's httpGet probe: GET http://127.0.0.1:<port><path> in the pod; the status code (0: none).
  int HttpProbe(int port, const std::string& path) const {
    Output o = InPod({"/usr/bin/curl", "--silent", "--output", "/dev/null", "--max-time", "5", "--write-out",
                      "%{http_code}", "http://127.0.0.1:" + std::to_string(port) + path});
    try {
      return std::stoi(o.text);
    } catch (...) {
      return 0;
    }
  }
  std::string Get(int port, const std::string& path) const {
    return InPod({"/usr/bin/curl", "--silent", "--max-time", "10",
                  "http://127.0.0.1:" + std::to_string(port) + path})
        .text;
  }
  // The kubelet's tcpSocket probe: a TCP connection to 127.0.0.1:<port> in the pod.
  bool TcpProbe(int port) const {
    return InPod({"/bin/bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/" + std::to_string(port)}).exit_code == 0;
  }

  // Runs a probe as the kubelet does: httpGet succeeds on a status from 200 to 399, tcpSocket on a
  // connection.
  bool Succeeds(const Probe& p) const {
    if (p.http_path.empty()) return TcpProbe(p.port);
    const int status = HttpProbe(p.port, p.http_path);
    return status >= 200 && status < 400;
  }
  // The manifest's probes of `container` ("" for all), and the names of those that fail now.
  [[nodiscard]] std::vector<Probe> Probes(const std::string& container = "") const {
    std::vector<Probe> out;
    for (const auto& p : probes_) {
      if (container.empty() || p.container == container) out.push_back(p);
    }
    return out;
  }
  std::string Failing(const std::vector<Probe>& probes) const {
    std::string failing;
    for (const auto& p : probes) {
      if (!Succeeds(p)) failing += p.Name() + " ";
    }
    return failing;
  }

  Status StartPrometheus(uint16_t port) {
    prometheus_port_ = port;
    WriteFile(
        dir_ + "/prometheus.yml",
        "global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n"
        "scrape_configs:\n  - job_name: pod\n    static_configs:\n      - targets: ['127.0.0.1:9141']\n");
    Result<ChildProcess> p = ChildProcess::Start(
        {"/usr/bin/nsenter", "--target", infra_pid_, "--net", "--", ZKX_PROMETHEUS_BIN,
         "--config.file=" + dir_ + "/prometheus.yml", "--storage.tsdb.path=" + dir_ + "/tsdb",
         "--web.listen-address=127.0.0.1:" + std::to_string(port)},
        dir_ + "/prometheus.log");
    if (!p.ok()) return p.status();
    prometheus_.emplace(std::move(p).value());
    return Status::Ok();
  }
  nlohmann::json Query(const std::string& promql) const {
    Output o =
        InPod({"/usr/bin/curl", "--silent", "--max-time", "10", "--get", "--data-urlencode",
               "query=" + promql, "http://127.0.0.1:" + std::to_string(prometheus_port_) + "/api/v1/query"});
    nlohmann::json j = nlohmann::json::parse(o.text, nullptr, false);
    if (j.is_discarded() || j.value("status", "") != "success") return nlohmann::json::array();
    return j["data"]["result"];
  }
  std::string PrometheusLog() const { return prometheus_ ? prometheus_->Log() : ""; }

  [[nodiscard]] std::string Container(const std::string& name) const { return pod_.name() + "-" + name; }
  [[nodiscard]] std::string Logs(const std::string& name) const {
    return Podman({"logs", Container(name)}).text;
  }

 private:
  std::string dir_;
  ScopedPod pod_;
  std::string infra_pid_;
  std::vector<Probe> probes_;
  uint16_t prometheus_port_ = 0;
  std::optional<ChildProcess> prometheus_;
};

constexpr int kMetricsPort = 9141;  // the template's `metrics` port
constexpr int kClientPort = 2181;   // the template's `client` port

class PodTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    pod_ = new Pod();
    start_ = pod_->Start();
  }
  static void TearDownTestSuite() {
    delete pod_;
    pod_ = nullptr;
  }
  void SetUp() override { ASSERT_TRUE(start_.ok()) << start_.ToString(); }

  static bool WaitReady(bool ready, seconds timeout) {
    return WaitFor([&] { return (pod_->HttpProbe(kMetricsPort, "/readyz") == 200) == ready; }, timeout,
                   std::chrono::milliseconds(500));
  }

  static Pod* pod_;
  static Status start_;
};
Pod* PodTest::pod_ = nullptr;
Status PodTest::start_ = Status::Ok();

TEST_F(PodTest, ProbesSucceedAndTheExporterReportsItsOwnServer) {
  // The manifest's probes: httpGet /healthz and /readyz on the exporter's `metrics` port, tcpSocket on
  // ZooKeeper's `client` port.
  ASSERT_EQ(pod_->Probes().size(), 4U);
  // The JVM starts slowly on a loaded 2-core machine; the kubelet would keep probing as long.
  ASSERT_TRUE(WaitFor([] { return pod_->Failing(pod_->Probes()).empty(); }, seconds(240),
                      std::chrono::milliseconds(500)))
      << "failing: " << pod_->Failing(pod_->Probes()) << "\n"
      << pod_->Logs("exporter") << pod_->Logs("zookeeper");
  // Both containers run as the template's users; the exporter's root filesystem is read-only.
  EXPECT_EQ(Inspect(pod_->Container("exporter"), "{{.Config.User}}"), "65532:65532");
  EXPECT_EQ(Inspect(pod_->Container("exporter"), "{{.HostConfig.ReadonlyRootfs}}"), "true");
  EXPECT_EQ(Inspect(pod_->Container("zookeeper"), "{{.Config.User}}"), "1000:1000");

  const std::string metrics = pod_->Get(kMetricsPort, "/metrics");
  // The sidecar reports its own server (--zookeeper.hosts=127.0.0.1:2181): up, standalone (a single member).
  EXPECT_TRUE(std::regex_search(
      metrics, std::regex(R"(\nzookeeper_server_up\{[^}]*server="127\.0\.0\.1:2181"[^}]*\} 1\n)")))
      << metrics;
  EXPECT_TRUE(std::regex_search(
      metrics,
      std::regex(
          R"(\nzookeeper_server_state\{[^}]*server="127\.0\.0\.1:2181"[^}]*state="standalone"[^}]*\} 1\n)")))
      << metrics;
  // Its myid came from the hostname (zookeeper-0 -> 1).
  const Output myid = Podman({"exec", pod_->Container("zookeeper"), "/bin/cat", "/data/myid"});
  EXPECT_EQ(myid.text, "1\n");
  const std::string srvr =
      pod_->InPod({"/bin/bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/2181; printf srvr >&3; cat <&3"}).text;
  EXPECT_NE(srvr.find("Mode: standalone"), std::string::npos) << srvr;
}

TEST_F(PodTest, ReadinessFollowsTheServer) {
  ASSERT_TRUE(WaitReady(true, seconds(240))) << pod_->Logs("exporter");
  Output o = Podman({"stop", "-t", "10", pod_->Container("zookeeper")});
  ASSERT_EQ(o.exit_code, 0) << o.text;
  EXPECT_TRUE(WaitReady(false, seconds(90))) << pod_->Logs("exporter");
  // Unready, not dead: the exporter's liveness probe still succeeds, so the kubelet would not restart it.
  for (const auto& p : pod_->Probes("exporter")) {
    EXPECT_EQ(pod_->Succeeds(p), p.which == "livenessProbe") << p.Name();
  }
  for (const auto& p : pod_->Probes("zookeeper")) EXPECT_FALSE(pod_->Succeeds(p)) << p.Name();

  o = Podman({"start", pod_->Container("zookeeper")});
  ASSERT_EQ(o.exit_code, 0) << o.text;
  EXPECT_TRUE(WaitFor([] { return pod_->Failing(pod_->Probes()).empty(); }, seconds(240),
                      std::chrono::milliseconds(500)))
      << "failing: " << pod_->Failing(pod_->Probes()) << "\n"
      << pod_->Logs("exporter") << pod_->Logs("zookeeper");
}

TEST_F(PodTest, PrometheusInThePodScrapesTheExporter) {
  Result<uint16_t> port = FreeLoopbackPort();  // any port: the pod's loopback is its own
  ASSERT_TRUE(port.ok());
  ASSERT_TRUE(pod_->StartPrometheus(*port).ok());
  ASSERT_TRUE(WaitFor([] { return pod_->Query("up{job=\"pod\"} == 1").size() == 1; }, seconds(90),
                      std::chrono::milliseconds(500)))
      << pod_->PrometheusLog();
  EXPECT_TRUE(WaitFor([] { return pod_->Query("zookeeper_server_up{job=\"pod\"} == 1").size() == 1; },
                      seconds(30), std::chrono::milliseconds(500)))
      << pod_->PrometheusLog();
}

}  // namespace
}  // namespace zkx::test::container
