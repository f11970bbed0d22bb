// deploy/kubernetes: the manifests parse, kustomization.yaml lists them, and the exporter sidecar is wired to
// the exporter's real flags (its args pass --config.check with the ConfigMap's file), to its own ZooKeeper
// server, and to the probes, ports, annotations and PodMonitor that reach it. No cluster here: static checks
// only.
#include <filesystem>
#include <map>
#include <optional>
#include <regex>
#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include "tests/deploy/deploy_test_util.h"

namespace zkx::test::deploy {
namespace {

const std::string kDir = SourcePath("deploy/kubernetes");

struct Manifests {
  std::vector<YAML::Node> all;
  YAML::Node Find(const std::string& kind, const std::string& name = "") const {
    for (const auto& d : all) {
      if (d["kind"].as<std::string>() == kind &&
          (name.empty() || d["metadata"]["name"].as<std::string>() == name)) {
        return d;
      }
    }
    ADD_FAILURE() << "no " << kind << " " << name;
    return YAML::Node();
  }
  std::vector<YAML::Node> All(const std::string& kind) const {
    std::vector<YAML::Node> out;
    for (const auto& d : all) {
      if (d["kind"].as<std::string>() == kind) out.push_back(d);
    }
    return out;
  }
};

Manifests Load() {
  Manifests m;
  const YAML::Node k = YAML::LoadFile(kDir + "/kustomization.yaml");
  for (const auto& r : k["resources"]) {
    for (const auto& doc : YAML::LoadAllFromFile(kDir + "/" + r.as<std::string>())) {
      if (doc.IsMap()) m.all.push_back(doc);
    }
  }
  return m;
}

YAML::Node Container(const YAML::Node& sts, const std::string& name) {
  for (const auto& c : sts["spec"]["template"]["spec"]["containers"]) {
    if (c["name"].as<std::string>() == name) return c;
  }
  ADD_FAILURE() << "no container " << name;
  return YAML::Node();
}

std::vector<std::string> Args(const YAML::Node& container) {
  std::vector<std::string> out;
  for (const auto& a : container["args"]) out.push_back(a.as<std::string>());
  return out;
}

// The value of --flag=value in `args`, else the default `zookeeper_exporter --help` shows ("--flag
// TYPE=default").
std::string FlagValue(const std::vector<std::string>& args, const std::string& flag) {
  for (const auto& a : args) {
    if (a.rfind(flag + "=", 0) == 0) return a.substr(flag.size() + 1);
  }
  const std::string help = RunCommand({ZKX_EXPORTER_BIN, "--help"}).output;
  std::smatch m;
  if (std::regex_search(
          help, m, std::regex(std::regex_replace(flag, std::regex(R"(\.)"), R"(\.)") + R"( [A-Z]+=(\S+))"))) {
    return m[1];
  }
  return "";
}

std::optional<std::string> Env(const YAML::Node& container, const std::string& name) {
  for (const auto& e : container["env"]) {
    if (e["name"].as<std::string>() == name && e["value"]) return e["value"].as<std::string>();
  }
  return std::nullopt;
}

// A probe's or target's port (a name or a number) as the container port number.
int ResolvePort(const YAML::Node& container, const YAML::Node& port) {
  const std::string p = port.as<std::string>();
  if (!p.empty() && std::isdigit(static_cast<unsigned char>(p[0])) != 0) return std::stoi(p);
  for (const auto& cp : container["ports"]) {
    if (cp["name"] && cp["name"].as<std::string>() == p) return cp["containerPort"].as<int>();
  }
  ADD_FAILURE() << "no port named " << p << " in container " << container["name"].as<std::string>();
  return -1;
}

std::map<std::string, std::string> Labels(const YAML::Node& n) {
  std::map<std::string, std::string> out;
  for (const auto& kv : n) out[kv.first.as<std::string>()] = kv.second.as<std::string>();
  return out;
}

bool Selects(const std::map<std::string, std::string>& selector,
             const std::map<std::string, std::string>& labels) {
  if (selector.empty()) return false;
  for (const auto& [k, v] : selector) {
    auto it = labels.find(k);
    if (it == labels.end() || it->second != v) return false;
  }
  return true;
}

TEST(KubernetesManifestsTest, KustomizationListsEveryManifestAndEachParses) {
  const YAML::Node k = YAML::LoadFile(kDir + "/kustomization.yaml");
  EXPECT_EQ(k["kind"].as<std::string>(), "Kustomization");
  std::set<std::string> listed;
  for (const auto& r : k["resources"]) listed.insert(r.as<std::string>());
  std::set<std::string> present;
  for (const auto& f : std::filesystem::directory_iterator(kDir)) {
    const std::string name = f.path().filename().string();
    if (f.path().extension() == ".yaml" && name != "kustomization.yaml") present.insert(name);
  }
  EXPECT_EQ(listed, present);
  const Manifests m = Load();
  for (const auto& d : m.all) {
    EXPECT_TRUE(d["apiVersion"] && d["kind"] && d["metadata"]["name"]) << YAML::Dump(d);
    EXPECT_FALSE(d["metadata"]["namespace"]) << "no namespace: kustomize (or kubectl -n) sets it";
  }
  for (const char* kind : {"ConfigMap", "StatefulSet", "Service", "PodMonitor", "PodDisruptionBudget"}) {
    EXPECT_FALSE(m.All(kind).empty()) << kind;
  }
  // The image the sidecar names is the one kustomize's images: entry rewrites.
  const YAML::Node exporter = Container(m.Find("StatefulSet"), "exporter");
  bool image_listed = false;
  for (const auto& i : k["images"])
    image_listed |= i["name"].as<std::string>() == exporter["image"].as<std::string>();
  EXPECT_TRUE(image_listed);
}

TEST(KubernetesManifestsTest, SidecarArgsAreFlagsTheExporterAcceptsWithTheConfigMapsFile) {
  const Manifests m = Load();
  const YAML::Node sts = m.Find("StatefulSet");
  const YAML::Node exporter = Container(sts, "exporter");
  std::vector<std::string> args = Args(exporter);
  ASSERT_FALSE(args.empty());

  // Every flag appears in --help.
  const std::string help = RunCommand({ZKX_EXPORTER_BIN, "--help"}).output;
  for (const auto& a : args) {
    ASSERT_EQ(a.rfind("--", 0), 0U) << a;
    const std::string flag = a.substr(0, a.find('='));
    EXPECT_NE(help.find(flag + " "), std::string::npos) << flag << " is not in zookeeper_exporter --help";
  }

  // --config.file is the ConfigMap's key, mounted where the flag points.
  const std::string config_path = FlagValue(args, "--config.file");
  ASSERT_FALSE(config_path.empty());
  const std::string dir = std::filesystem::path(config_path).parent_path().string();
  const std::string key = std::filesystem::path(config_path).filename().string();
  std::string volume;
  for (const auto& vm : exporter["volumeMounts"]) {
    if (vm["mountPath"].as<std::string>() == dir) volume = vm["name"].as<std::string>();
  }
  ASSERT_FALSE(volume.empty()) << "nothing mounted at " << dir;
  std::string config_map;
  for (const auto& v : sts["spec"]["template"]["spec"]["volumes"]) {
    if (v["name"].as<std::string>() == volume) config_map = v["configMap"]["name"].as<std::string>();
  }
  const YAML::Node cm = m.Find("ConfigMap", config_map);
  ASSERT_TRUE(cm["data"][key]) << "ConfigMap " << config_map << " has no key " << key;

  // The exporter validates exactly these args with the ConfigMap's file in place of the mount.
  const std::string tmp = TempDir();
  WriteFile(tmp + "/" + key, cm["data"][key].as<std::string>());
  std::vector<std::string> argv = {ZKX_EXPORTER_BIN};
  for (const auto& a : args) {
    argv.push_back(a.rfind("--config.file=", 0) == 0 ? "--config.file=" + tmp + "/" + key : a);
  }
  argv.push_back("--config.check");
  const CommandResult r = RunCommand(argv);
  std::filesystem::remove_all(tmp);
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("configuration OK"), std::string::npos) << r.output;
}

TEST(KubernetesManifestsTest, SidecarTalksToItsOwnServer) {
  const YAML::Node sts = Load().Find("StatefulSet");
  const YAML::Node zookeeper = Container(sts, "zookeeper");
  const std::vector<std::string> args = Args(Container(sts, "exporter"));
  const int client_port = ResolvePort(zookeeper, YAML::Node("client"));
  EXPECT_EQ(FlagValue(args, "--zookeeper.hosts"), "127.0.0.1:" + std::to_string(client_port));

  // The server collector's AdminServer port is the zookeeper container's.
  const int admin_port = ResolvePort(zookeeper, YAML::Node("admin"));
  EXPECT_EQ(FlagValue(args, "--server.admin-port"), std::to_string(admin_port));
  EXPECT_EQ(Env(zookeeper, "ZOO_ADMINSERVER_ENABLED"), "true");
  const std::string extra = Env(zookeeper, "ZOO_CFG_EXTRA").value_or("");
  if (extra.find("admin.serverPort=") != std::string::npos) {
    EXPECT_NE(extra.find("admin.serverPort=" + std::to_string(admin_port)), std::string::npos) << extra;
  }

  // The four-letter words the collectors fall back to are whitelisted (wchp only with --watches.per-path).
  std::set<std::string> whitelist;
  const std::string wl = Env(zookeeper, "ZOO_4LW_COMMANDS_WHITELIST").value_or("");
  for (const auto& w : SplitWhitespace(std::regex_replace(wl, std::regex(","), " "))) whitelist.insert(w);
  std::vector<std::string> needed = {"srvr", "mntr", "wchs"};
  for (const auto& a : args) {
    if (a == "--watches.per-path") needed.emplace_back("wchp");
  }
  for (const auto& w : needed) EXPECT_EQ(whitelist.count(w), 1U) << w << " not in " << wl;
}

TEST(KubernetesManifestsTest, EnsembleMembersMatchReplicasHeadlessServiceAndPorts) {
  const Manifests m = Load();
  const YAML::Node sts = m.Find("StatefulSet");
  const YAML::Node zookeeper = Container(sts, "zookeeper");
  const int replicas = sts["spec"]["replicas"].as<int>();
  EXPECT_EQ(replicas, 3);
  const std::string name = sts["metadata"]["name"].as<std::string>();
  const std::string headless = sts["spec"]["serviceName"].as<std::string>();
  const std::vector<std::string> servers = SplitWhitespace(Env(zookeeper, "ZOO_SERVERS").value_or(""));
  ASSERT_EQ(servers.size(), static_cast<std::size_t>(replicas));
  for (int i = 0; i < replicas; ++i) {
    const std::string want = "server." + std::to_string(i + 1) + "=" + name + "-" + std::to_string(i) + "." +
                             headless + ":" + std::to_string(ResolvePort(zookeeper, YAML::Node("follower"))) +
                             ":" + std::to_string(ResolvePort(zookeeper, YAML::Node("election"))) + ";" +
                             std::to_string(ResolvePort(zookeeper, YAML::Node("client")));
    EXPECT_EQ(servers[static_cast<std::size_t>(i)], want);
  }
  const YAML::Node svc = m.Find("Service", headless);
  EXPECT_EQ(svc["spec"]["clusterIP"].as<std::string>(), "None");
  EXPECT_TRUE(svc["spec"]["publishNotReadyAddresses"].as<bool>())
      << "the quorum must form before pods are ready";

  // Every Service, the StatefulSet's selector, the PDB and the PodMonitor select the pods; target ports
  // exist.
  const auto pod_labels = Labels(sts["spec"]["template"]["metadata"]["labels"]);
  EXPECT_TRUE(Selects(Labels(sts["spec"]["selector"]["matchLabels"]), pod_labels));
  EXPECT_TRUE(Selects(Labels(m.Find("PodDisruptionBudget")["spec"]["selector"]["matchLabels"]), pod_labels));
  EXPECT_TRUE(Selects(Labels(m.Find("PodMonitor")["spec"]["selector"]["matchLabels"]), pod_labels));
  for (const auto& s : m.All("Service")) {
    EXPECT_TRUE(Selects(Labels(s["spec"]["selector"]), pod_labels)) << s["metadata"]["name"];
    for (const auto& p : s["spec"]["ports"]) EXPECT_GT(ResolvePort(zookeeper, p["targetPort"]), 0);
  }
}

TEST(KubernetesManifestsTest, ProbesPortsAnnotationsAndPodMonitorReachTheExporter) {
  const Manifests m = Load();
  const YAML::Node sts = m.Find("StatefulSet");
  const YAML::Node exporter = Container(sts, "exporter");
  const std::vector<std::string> args = Args(exporter);
  const std::string listen = FlagValue(args, "--web.listen-address");
  const int port = std::stoi(listen.substr(listen.rfind(':') + 1));
  const std::string telemetry = FlagValue(args, "--web.telemetry-path");
  ASSERT_EQ(telemetry, "/metrics");
  EXPECT_EQ(ResolvePort(exporter, YAML::Node("metrics")), port);

  EXPECT_EQ(exporter["livenessProbe"]["httpGet"]["path"].as<std::string>(), "/healthz");
  EXPECT_EQ(ResolvePort(exporter, exporter["livenessProbe"]["httpGet"]["port"]), port);
  EXPECT_EQ(exporter["readinessProbe"]["httpGet"]["path"].as<std::string>(), "/readyz");
  EXPECT_EQ(ResolvePort(exporter, exporter["readinessProbe"]["httpGet"]["port"]), port);

  const YAML::Node annotations = sts["spec"]["template"]["metadata"]["annotations"];
  EXPECT_EQ(annotations["prometheus.io/scrape"].as<std::string>(), "true");
  EXPECT_EQ(annotations["prometheus.io/port"].as<std::string>(), std::to_string(port));
  EXPECT_EQ(annotations["prometheus.io/path"].as<std::string>(), telemetry);

  const YAML::Node pm = m.Find("PodMonitor");
  ASSERT_EQ(pm["spec"]["podMetricsEndpoints"].size(), 1U);
  const YAML::Node ep = pm["spec"]["podMetricsEndpoints"][0];
  EXPECT_EQ(ResolvePort(exporter, ep["port"]), port);
  EXPECT_EQ(ep["path"].as<std::string>(), telemetry);
  // One job per ensemble (the rules aggregate by job): taken from a label every pod carries.
  const auto pod_labels = Labels(sts["spec"]["template"]["metadata"]["labels"]);
  EXPECT_EQ(pod_labels.count(pm["spec"]["jobLabel"].as<std::string>()), 1U);
}

TEST(KubernetesManifestsTest, SidecarIsNonRootReadOnlyAndBounded) {
  const YAML::Node sts = Load().Find("StatefulSet");
  const YAML::Node pod = sts["spec"]["template"]["spec"];
  EXPECT_TRUE(pod["securityContext"]["runAsNonRoot"].as<bool>());
  for (const char* name : {"exporter", "zookeeper"}) {
    SCOPED_TRACE(name);
    const YAML::Node c = Container(sts, name);
    const YAML::Node sc = c["securityContext"];
    EXPECT_TRUE(sc["runAsNonRoot"].as<bool>());
    EXPECT_GT(sc["runAsUser"].as<int>(), 0);
    EXPECT_FALSE(sc["allowPrivilegeEscalation"].as<bool>());
    ASSERT_TRUE(sc["capabilities"]["drop"]);
    EXPECT_EQ(sc["capabilities"]["drop"][0].as<std::string>(), "ALL");
    EXPECT_TRUE(c["resources"]["requests"]["cpu"] && c["resources"]["requests"]["memory"]);
    EXPECT_TRUE(c["resources"]["limits"]["memory"]);
  }
  const YAML::Node exporter = Container(sts, "exporter");
  EXPECT_TRUE(exporter["securityContext"]["readOnlyRootFilesystem"].as<bool>());
  EXPECT_TRUE(exporter["resources"]["limits"]["cpu"]);
  // The uid is the image's USER (deploy/docker/Dockerfile), so the image runs as built.
  std::smatch user;
  const std::string dockerfile = ReadFile(SourcePath("deploy/docker/Dockerfile"));
  ASSERT_TRUE(std::regex_search(dockerfile, user, std::regex(R"(\nUSER (\d+))")));
  EXPECT_EQ(exporter["securityContext"]["runAsUser"].as<std::string>(), user[1].str());
}

TEST(KubernetesManifestsTest, KustomizeBuildsTheDirectory) {
  const std::string kubectl = "/usr/bin/kubectl";
  if (!std::filesystem::exists(kubectl)) GTEST_SKIP() << "kubectl is not installed (optional check)";
  const CommandResult r = RunCommand({kubectl, "kustomize", kDir});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  std::size_t docs = 0;
  for (const auto& d : YAML::LoadAll(r.output)) docs += d.IsMap() ? 1U : 0U;
  EXPECT_EQ(docs, Load().all.size());
  const YAML::Node k = YAML::LoadFile(kDir + "/kustomization.yaml");
  const std::string image =
      k["images"][0]["newName"].as<std::string>() + ":" + k["images"][0]["newTag"].as<std::string>();
  EXPECT_NE(r.output.find("image: " + image), std::string::npos) << r.output;
}

}  // namespace
}  // namespace zkx::test::deploy
