// The collector registry (collectors/registry.h): what each collector declares in its own .cc reaches the
// registry (the linker kept every object file listed in ZKX_COLLECTORS), with the defaults the exporter has
// always had, and the flag values and enable rules behave as the exporter relies on.
#include "collectors/registry.h"

#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "collectors/probe_collector.h"
#include "collectors/server_collector.h"
#include "collectors/watches_collector.h"

namespace zkx::collectors {
namespace {

using std::chrono::milliseconds;

// ZKX_COLLECTOR_NAMES: collectors/CMakeLists.txt's ZKX_COLLECTORS, ':'-separated.
TEST(CollectorRegistryTest, EveryListedCollectorIsRegistered) {
  std::set<std::string> listed;
  const std::string text = ZKX_COLLECTOR_NAMES;
  for (std::size_t start = 0; start <= text.size();) {
    const std::size_t end = std::min(text.find(':', start), text.size());
    listed.insert(text.substr(start, end - start));
    start = end + 1;
  }
  std::set<std::string> registered;
  for (const CollectorInfo* info : CollectorRegistry::Global().Collectors()) {
    registered.insert(info->name);
    EXPECT_TRUE(info->factory) << info->name;
  }
  EXPECT_EQ(registered, listed);
}

// The defaults the exporter has always had: --collector.probe is the canary's old name; both off by default.
TEST(CollectorRegistryTest, DefaultsUnchanged) {
  const std::map<std::string, bool> d = CollectorRegistry::Global().Defaults();
  const std::map<std::string, bool> want = {{"canary", false}, {"probe", false},  {"process", true},
                                            {"server", true},  {"session", true}, {"tree", true},
                                            {"watches", true}};
  for (const auto& [name, on] : want) {
    ASSERT_EQ(d.count(name), 1U) << name;
    EXPECT_EQ(d.at(name), on) << name;
  }
}

TEST(CollectorRegistryTest, PerTargetCollectorsAreTheModulesOnes) {
  std::set<std::string> per_target;
  for (const CollectorInfo* info : CollectorRegistry::Global().Collectors()) {
    if (info->per_target) per_target.insert(info->name);
  }
  for (const char* name : {"server", "session", "tree", "watches"})
    EXPECT_EQ(per_target.count(name), 1U) << name;
  EXPECT_EQ(per_target.count("canary"), 0U);  // it writes: not for /probe targets
  EXPECT_EQ(per_target.count("process"), 0U);
}

TEST(CollectorRegistryTest, FlagDefaultsAreTheOptionsStructs) {
  const FlagValues d = FlagValues::Defaults();
  EXPECT_EQ(d.Port("--server.admin-port"), ServerProbeOptions{}.admin_port);
  EXPECT_EQ(d.Duration("--server.timeout"), ServerProbeOptions{}.timeout);
  EXPECT_EQ(d.Bool("--watches.per-path"), WatchesOptions{}.per_path);
  EXPECT_EQ(d.Size("--watches.max-paths"), WatchesOptions{}.max_paths);
  EXPECT_EQ(d.String("--canary.path"), ProbeOptions{}.parent);
  EXPECT_EQ(d.Duration("--canary.interval"), ProbeOptions{}.interval);
  EXPECT_EQ(d.Duration("--canary.timeout"), ProbeOptions{}.timeout);
}

TEST(CollectorRegistryTest, FlagNamesAreUniqueAndPrefixed) {
  std::set<std::string> seen;
  for (const FlagSpec* spec : CollectorRegistry::Global().Flags()) {
    ASSERT_FALSE(spec->names.empty());
    for (const std::string& name : spec->names) {
      EXPECT_EQ(name.rfind("--", 0), 0U) << name;
      EXPECT_TRUE(seen.insert(name).second) << name << " registered twice";
    }
    EXPECT_FALSE(spec->help.empty()) << spec->names.front();
  }
}

TEST(CollectorRegistryTest, SetOverridesOneValue) {
  FlagValues v = FlagValues::Defaults();
  v.Set("--server.timeout", milliseconds(250));
  EXPECT_EQ(v.Duration("--server.timeout"), milliseconds(250));
  EXPECT_EQ(v.Port("--server.admin-port"), ServerProbeOptions{}.admin_port);
}

TEST(CollectorRegistryTest, EnabledByNameThenOldNameThenDefault) {
  const CollectorInfo* canary = CollectorRegistry::Global().Find("canary");
  ASSERT_NE(canary, nullptr);
  EXPECT_FALSE(CollectorEnabled(*canary, {}));
  EXPECT_TRUE(CollectorEnabled(*canary, {{"probe", true}}));
  EXPECT_TRUE(CollectorEnabled(*canary, {{"canary", true}, {"probe", false}}));
  EXPECT_FALSE(CollectorEnabled(*canary, {{"canary", false}, {"probe", true}}));
  const CollectorInfo* tree = CollectorRegistry::Global().Find("tree");
  ASSERT_NE(tree, nullptr);
  EXPECT_TRUE(CollectorEnabled(*tree, {{"watches", false}}));
  EXPECT_FALSE(CollectorEnabled(*tree, {{"tree", false}}));
  EXPECT_EQ(CollectorRegistry::Global().Find("nope"), nullptr);
}

TEST(CollectorRegistryDeathTest, ReadingAnUnknownFlagAborts) {
  const FlagValues v = FlagValues::Defaults();
  EXPECT_DEATH((void)v.Size("--no.such-flag"), "no such flag: --no.such-flag");
  EXPECT_DEATH((void)v.Size("--server.timeout"), "wrong kind");
}

}  // namespace
}  // namespace zkx::collectors
