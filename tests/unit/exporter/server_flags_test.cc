// Flags of the server and watches collectors: --server.admin-port, --server.timeout, --watches.per-path,
// --watches.max-paths, declared in their registrations (collectors/registry.h).
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "exporter/flags.h"

namespace zkx::exporter {
namespace {

using std::chrono::milliseconds;
using testing::HasSubstr;

const std::map<std::string, bool> kCollectors = {{"server", true}, {"watches", true}};

Result<FlagsOutcome> Parse(const std::vector<std::string>& args) {
  std::vector<const char*> argv = {"zookeeper_exporter"};
  for (const std::string& a : args) argv.push_back(a.c_str());
  return ParseFlags(static_cast<int>(argv.size()), argv.data(), kCollectors, "v");
}

TEST(ServerFlagsTest, Defaults) {
  Result<FlagsOutcome> r = Parse({});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->flags.collector_flags.Port("--server.admin-port"), 8080);
  EXPECT_EQ(r->flags.collector_flags.Duration("--server.timeout"), milliseconds(2000));
  EXPECT_FALSE(r->flags.collector_flags.Bool("--watches.per-path"));
  EXPECT_EQ(r->flags.collector_flags.Size("--watches.max-paths"), 1000u);
}

TEST(ServerFlagsTest, Values) {
  Result<FlagsOutcome> r = Parse({"--server.admin-port=0", "--server.timeout", "500ms", "--watches.per-path",
                                  "--watches.max-paths=50", "--no-collector.watches"});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->flags.collector_flags.Port("--server.admin-port"), 0);
  EXPECT_EQ(r->flags.collector_flags.Duration("--server.timeout"), milliseconds(500));
  EXPECT_TRUE(r->flags.collector_flags.Bool("--watches.per-path"));
  EXPECT_EQ(r->flags.collector_flags.Size("--watches.max-paths"), 50u);
  EXPECT_EQ(r->flags.collector_overrides.at("watches"), false);
  Result<FlagsOutcome> p = Parse({"--server.admin-port", "65535"});
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->flags.collector_flags.Port("--server.admin-port"), 65535);
}

TEST(ServerFlagsTest, Errors) {
  for (const auto& [args, flag] : std::vector<std::pair<std::vector<std::string>, std::string>>{
           {{"--server.admin-port=65536"}, "--server.admin-port"},
           {{"--server.admin-port=-1"}, "--server.admin-port"},
           {{"--server.admin-port=http"}, "--server.admin-port"},
           {{"--server.timeout=0s"}, "--server.timeout"},
           {{"--server.timeout=soon"}, "--server.timeout"},
           {{"--watches.max-paths=0"}, "--watches.max-paths"},
           {{"--watches.max-paths=many"}, "--watches.max-paths"}}) {
    Result<FlagsOutcome> r = Parse(args);
    ASSERT_FALSE(r.ok()) << args[0];
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
    EXPECT_THAT(r.status().message(), HasSubstr(flag));
  }
}

TEST(ServerFlagsTest, HelpListsTheFlags) {
  Result<FlagsOutcome> r = Parse({"--help"});
  ASSERT_TRUE(r.ok());
  for (const char* f : {"--server.admin-port", "--server.timeout", "--watches.per-path",
                        "--watches.max-paths", "--collector.server", "--collector.watches"}) {
    EXPECT_THAT(r->output, HasSubstr(f));
  }
}

}  // namespace
}  // namespace zkx::exporter
