#include "exporter/modules_config.h"

#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include "exporter/config.h"

namespace zkx::exporter {
namespace {

server::ConnectString Target(const std::string& text) {
  Result<server::ConnectString> t = server::ParseConnectString(text);
  EXPECT_TRUE(t.ok()) << t.status().message();
  return t.ok() ? *t : server::ConnectString{};
}

Result<MultiTargetConfig> Parse(const std::string& yaml) {
  // The static parser must accept the file too (it ignores modules / multi_target).
  Result<FileConfig> file = ParseConfigYaml(yaml, "cfg.yml");
  if (!file.ok()) return file.status();
  return ParseMultiTargetYaml(yaml, "cfg.yml", {});
}

TEST(ModulesConfigTest, NoSectionsGiveADefaultModuleWalkingRootAndNoAllowList) {
  Result<MultiTargetConfig> c = Parse("subtrees: [{root: /brokers}]\n");
  ASSERT_TRUE(c.ok()) << c.status().message();
  ASSERT_EQ(c->modules.size(), 1u);
  const ModuleConfig& m = c->modules.at("default");
  ASSERT_EQ(m.subtrees.size(), 1u);
  EXPECT_EQ(m.subtrees[0].root, "/");
  EXPECT_FALSE(c->has_allow_list);
  EXPECT_EQ(CheckTargetAllowed(*c, Target("127.0.0.1:2181"), "").code(), StatusCode::kPermissionDenied);
  EXPECT_TRUE(CheckTargetAllowed(*c, Target("127.0.0.1:2181"), "127.0.0.1:2181").ok());
}

TEST(ModulesConfigTest, ParsesModulesWithTheirSettings) {
  Result<MultiTargetConfig> c = Parse(
      "modules:\n"
      "  default:\n"
      "    defaults: {refresh_mode: poll, refresh_interval: 5s}\n"
      "    subtrees: [{root: /}]\n"
      "  kafka:\n"
      "    subtrees:\n"
      "      - root: /brokers\n"
      "        refresh_mode: watch\n"
      "    collectors: [tree, session]\n"
      "    session_timeout: 10s\n"
      "    max_in_flight: 64\n"
      "    server: {admin_port: 0, timeout: 1s}\n"
      "multi_target:\n"
      "  default_module: default\n"
      "  max_targets: 7\n"
      "  idle_timeout: 2m\n");
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_EQ(c->max_targets, 7u);
  EXPECT_EQ(c->idle_timeout, std::chrono::minutes(2));
  const ModuleConfig& d = c->modules.at("default");
  EXPECT_EQ(d.subtrees.at(0).refresh_interval, std::chrono::seconds(5));
  EXPECT_EQ(d.collectors, (std::set<std::string>{"tree", "session", "server"}));
  const ModuleConfig& k = c->modules.at("kafka");
  EXPECT_EQ(k.subtrees.at(0).root, "/brokers");
  EXPECT_EQ(k.subtrees.at(0).refresh_mode, collectors::RefreshMode::kWatch);
  EXPECT_EQ(k.collectors, (std::set<std::string>{"tree", "session"}));
  EXPECT_EQ(k.session_timeout, std::chrono::seconds(10));
  EXPECT_EQ(k.max_in_flight, 64u);
  EXPECT_EQ(k.server_admin_port, 0);
  EXPECT_EQ(k.server_timeout, std::chrono::seconds(1));
}

TEST(ModulesConfigTest, ErrorsNameFileAndLine) {
  struct Case {
    std::string yaml;
    std::string want;
  };
  const Case cases[] = {
      {"modules:\n  a:\n    colectors: [tree]\n", "cfg.yml:3: unknown key \"colectors\" in module \"a\""},
      {"modules:\n  a:\n    collectors: [tree, zap]\n", "cfg.yml:3: collectors: unknown collector \"zap\""},
      {"modules:\n  a:\n    subtrees: [{root: relative}]\n", "cfg.yml:3:"},
      {"modules:\n  a:\n    session_timeout: soon\n", "cfg.yml:3: session_timeout:"},
      {"modules:\n  a: {}\nmulti_target:\n  default_module: b\n",
       "cfg.yml:4: multi_target: default_module \"b\" is not a module"},
      {"multi_target:\n  allow:\n    - cidrs: [10.0.0.0/33]\n", "cfg.yml:3: cidrs: bad prefix length"},
      {"multi_target:\n  allow:\n    - hosts: [a]\n      ports: [0]\n", "cfg.yml:4: ports:"},
      {"multi_target:\n  allow:\n    - ports: [2181]\n", "cfg.yml:3: allow: a rule needs hosts or cidrs"},
      {"multi_target:\n  targets: [\"a:99999\"]\n", "cfg.yml:2: targets:"},
      {"multi_target:\n  max_target: 3\n", "cfg.yml:2: unknown key \"max_target\" in multi_target"},
  };
  for (const Case& c : cases) {
    Result<MultiTargetConfig> r = Parse(c.yaml);
    ASSERT_FALSE(r.ok()) << c.yaml;
    EXPECT_EQ(r.status().message().rfind(c.want, 0), 0u)
        << r.status().message() << "\nwant prefix: " << c.want;
  }
}

TEST(ModulesConfigTest, AllowListHostsCidrsAndPorts) {
  Result<MultiTargetConfig> c = Parse(
      "multi_target:\n"
      "  targets: [\"named.example:2181/x\"]\n"
      "  allow:\n"
      "    - hosts: [\"127.0.0.1\"]\n"
      "    - hosts: [\"*.zk.svc.cluster.local\"]\n"
      "      ports: [2181]\n"
      "    - cidrs: [\"10.1.0.0/16\", \"fd00::/8\"]\n"
      "      ports: [\"2000-2999\"]\n");
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_TRUE(CheckTargetAllowed(*c, Target("127.0.0.1:1"), "").ok());
  EXPECT_TRUE(CheckTargetAllowed(*c, Target("127.0.0.1:65000/chroot"), "").ok());
  EXPECT_TRUE(CheckTargetAllowed(*c, Target("a.zk.svc.cluster.local:2181,B.ZK.svc.cluster.local"), "").ok());
  EXPECT_FALSE(CheckTargetAllowed(*c, Target("a.zk.svc.cluster.local:2182"), "").ok());
  EXPECT_FALSE(CheckTargetAllowed(*c, Target("zk.svc.cluster.local.evil.com:2181"), "").ok());
  EXPECT_TRUE(CheckTargetAllowed(*c, Target("10.1.2.3:2181"), "").ok());
  EXPECT_FALSE(CheckTargetAllowed(*c, Target("10.2.2.3:2181"), "").ok());
  EXPECT_FALSE(CheckTargetAllowed(*c, Target("10.1.2.3:3000"), "").ok());
  EXPECT_TRUE(CheckTargetAllowed(*c, Target("[fd12::1]:2500"), "").ok());
  EXPECT_TRUE(CheckTargetAllowed(*c, Target("named.example:2181/x"), "").ok());
  // Every server of the connect string must be admitted.
  Status mixed = CheckTargetAllowed(*c, Target("127.0.0.1:2181,169.254.169.254:80"), "");
  EXPECT_EQ(mixed.code(), StatusCode::kPermissionDenied);
  EXPECT_NE(mixed.message().find("169.254.169.254:80"), std::string::npos) << mixed.message();
}

TEST(ModulesConfigTest, HostGlob) {
  EXPECT_TRUE(HostGlobMatch("*", "anything"));
  EXPECT_TRUE(HostGlobMatch("zk-?.example", "zk-1.example"));
  EXPECT_FALSE(HostGlobMatch("zk-?.example", "zk-10.example"));
  EXPECT_TRUE(HostGlobMatch("*.a.*", "x.a.y"));
  EXPECT_FALSE(HostGlobMatch("*.a", "x.a.y"));
  EXPECT_TRUE(HostGlobMatch("ZK*", "zk-0"));
}

TEST(ModulesConfigTest, ShippedExampleParses) {
  Result<FileConfig> file = LoadConfigFile(ZKX_SOURCE_DIR "/deploy/examples/multi-target.yml");
  ASSERT_TRUE(file.ok()) << file.status().message();
  Result<MultiTargetConfig> c = LoadMultiTargetConfig(ZKX_SOURCE_DIR "/deploy/examples/multi-target.yml", {});
  ASSERT_TRUE(c.ok()) << c.status().message();
  const ModuleConfig& d = c->modules.at(c->default_module);
  ASSERT_EQ(d.subtrees.size(), 1u);
  EXPECT_EQ(d.subtrees[0].root, "/");
  EXPECT_EQ(d.subtrees[0].refresh_mode, collectors::RefreshMode::kPoll);
  EXPECT_TRUE(CheckTargetAllowed(*c, Target("127.0.0.1:31337"), "").ok());
  EXPECT_FALSE(CheckTargetAllowed(*c, Target("10.0.0.1:2181"), "").ok());
}

}  // namespace
}  // namespace zkx::exporter

namespace zkx::exporter {
namespace {

// deploy/kubernetes/multi-target/configmap.yaml carries a config.yml that must load as it is.
TEST(ModulesConfigTest, CentralKubernetesConfigMapParses) {
  const YAML::Node cm = YAML::LoadFile(ZKX_SOURCE_DIR "/deploy/kubernetes/multi-target/configmap.yaml");
  const std::string text = cm["data"]["config.yml"].as<std::string>();
  Result<FileConfig> file = ParseConfigYaml(text, "configmap config.yml");
  ASSERT_TRUE(file.ok()) << file.status().message();
  Result<MultiTargetConfig> c = ParseMultiTargetYaml(text, "configmap config.yml", {});
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_EQ(c->modules.count("kafka"), 1u);
  EXPECT_TRUE(CheckTargetAllowed(*c, Target("zookeeper-client.kafka.svc.cluster.local:2181/kafka"), "").ok());
  EXPECT_FALSE(CheckTargetAllowed(*c, Target("zookeeper-client.kafka.svc.cluster.local:8080"), "").ok());
  EXPECT_FALSE(CheckTargetAllowed(*c, Target("metadata.google.internal:2181"), "").ok());
}

}  // namespace
}  // namespace zkx::exporter
