// deploy/systemd: the unit reads its flags from an EnvironmentFile whose ARGS the exporter accepts, reloads
// with SIGHUP, and carries the hardening options (checked key by key, and scored by `systemd-analyze
// security`).
#include <filesystem>
#include <map>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "tests/deploy/deploy_test_util.h"

namespace zkx::test::deploy {
namespace {

const std::string kUnit = SourcePath("deploy/systemd/zookeeper_exporter.service");

// section -> key -> values (a key may repeat).
std::map<std::string, std::multimap<std::string, std::string>> ParseUnit(const std::string& text) {
  std::map<std::string, std::multimap<std::string, std::string>> out;
  std::istringstream in(text);
  std::string line, section;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#' || line[0] == ';') continue;
    if (line[0] == '[') {
      section = line.substr(1, line.find(']') - 1);
      continue;
    }
    const auto eq = line.find('=');
    if (eq != std::string::npos) out[section].emplace(line.substr(0, eq), line.substr(eq + 1));
  }
  return out;
}

std::string Get(const std::multimap<std::string, std::string>& s, const std::string& key) {
  auto it = s.find(key);
  return it == s.end() ? "<unset>" : it->second;
}

TEST(SystemdUnitTest, HasTheHardeningOptions) {
  const auto unit = ParseUnit(ReadFile(kUnit));
  ASSERT_EQ(unit.count("Service"), 1U);
  const auto& s = unit.at("Service");
  const std::map<std::string, std::string> want = {
      {"DynamicUser", "yes"},
      {"NoNewPrivileges", "yes"},
      {"CapabilityBoundingSet", ""},
      {"AmbientCapabilities", ""},
      {"ProtectSystem", "strict"},
      {"ProtectHome", "yes"},
      {"PrivateTmp", "yes"},
      {"PrivateDevices", "yes"},
      {"ProtectKernelTunables", "yes"},
      {"ProtectKernelModules", "yes"},
      {"ProtectKernelLogs", "yes"},
      {"ProtectControlGroups", "yes"},
      {"RestrictNamespaces", "yes"},
      {"RestrictRealtime", "yes"},
      {"RestrictSUIDSGID", "yes"},
      {"LockPersonality", "yes"},
      {"MemoryDenyWriteExecute", "yes"},
      {"SystemCallArchitectures", "native"},
      {"RestrictAddressFamilies", "AF_INET AF_INET6 AF_UNIX"},
  };
  for (const auto& [k, v] : want) EXPECT_EQ(Get(s, k), v) << k;
  bool system_service = false;
  for (auto [it, end] = s.equal_range("SystemCallFilter"); it != end; ++it)
    system_service |= it->second == "@system-service";
  EXPECT_TRUE(system_service);
  // The process collector reads /proc/stat: ProcSubset=pid would hide it.
  EXPECT_EQ(s.count("ProcSubset"), 0U);
}

TEST(SystemdUnitTest, RunsWithTheEnvironmentFilesArgsAndReloadsOnSighup) {
  const auto unit = ParseUnit(ReadFile(kUnit));
  const auto& s = unit.at("Service");
  EXPECT_EQ(Get(s, "EnvironmentFile"), "-/etc/default/zookeeper_exporter");
  EXPECT_EQ(Get(s, "ExecStart"), "/usr/local/bin/zookeeper_exporter $ARGS");
  EXPECT_EQ(Get(s, "ExecReload"), "/bin/kill -HUP $MAINPID");
  EXPECT_EQ(Get(s, "Restart"), "on-failure");
  EXPECT_EQ(Get(unit.at("Install"), "WantedBy"), "multi-user.target");

  // The shipped EnvironmentFile's ARGS pass --config.check (with the example configuration it points to).
  const std::string env = ReadFile(SourcePath("deploy/systemd/zookeeper_exporter.default"));
  std::smatch m;
  ASSERT_TRUE(std::regex_search(env, m, std::regex(R"(\nARGS="([^"]*)\")")));
  std::vector<std::string> argv = {ZKX_EXPORTER_BIN};
  for (const auto& a : SplitWhitespace(m[1])) {
    argv.push_back(
        a.rfind("--config.file=", 0) == 0 ? "--config.file=" + SourcePath("deploy/examples/config.yml") : a);
  }
  argv.push_back("--config.check");
  const CommandResult r = RunCommand(argv);
  EXPECT_EQ(r.exit_code, 0) << r.output;
}

TEST(SystemdUnitTest, SystemdAnalyzeSecurityRatesItOk) {
  const std::string analyze = "/usr/bin/systemd-analyze";
  if (!std::filesystem::exists(analyze)) GTEST_SKIP() << "systemd-analyze is not installed";
  // --threshold is exposure x 10: fail above 2.0 ("OK" is below 4.0 on systemd's scale).
  const CommandResult r =
      RunCommand({analyze, "security", "--offline=yes", "--no-pager", "--threshold=20", kUnit});
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("Overall exposure level"), std::string::npos) << r.output;
}

}  // namespace
}  // namespace zkx::test::deploy
