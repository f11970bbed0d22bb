// README.md: the "Deployment" section describes deploy/, and the metric reference parses (the end-to-end test
// deploy_e2e_test compares it with a live exporter).
#include <string>

#include <gtest/gtest.h>

#include "tests/deploy/deploy_test_util.h"

namespace zkx::test::deploy {
namespace {

TEST(ReadmeTest, DeploymentSectionDescribesEveryDeployDirectory) {
  const std::string readme = ReadFile(SourcePath("README.md"));
  const std::size_t begin = readme.find("\n## Deployment\n");
  ASSERT_NE(begin, std::string::npos);
  const std::size_t end = readme.find("\n## ", begin + 1);
  ASSERT_NE(end, std::string::npos);
  EXPECT_EQ(readme.substr(end, 17), "\n## How it works\n")
      << "the section comes right before \"How it works\"";
  const std::string section = readme.substr(begin, end - begin);
  for (const char* dir :
       {"deploy/kubernetes", "deploy/prometheus", "deploy/grafana", "deploy/docker", "deploy/systemd"}) {
    EXPECT_NE(section.find(dir), std::string::npos) << dir;
  }
}

TEST(ReadmeTest, MetricReferenceParses) {
  const DocumentedMetrics docs = ParseReadmeMetrics(ReadFile(SourcePath("README.md")));
  for (const char* n : {"zookeeper_subtree_znodes", "zookeeper_session_state", "zookeeper_znode_children",
                        "zookeeper_exporter_collector_success", "zookeeper_server_up"}) {
    EXPECT_EQ(docs.names.count(n), 1U) << n;
  }
  EXPECT_EQ(docs.types.at("zookeeper_session_connects_total"), "counter");
  EXPECT_TRUE(IsDocumented(docs, "process_cpu_seconds_total"));             // `process_*`
  EXPECT_TRUE(IsDocumented(docs, "zookeeper_server_avg_latency_seconds"));  // `_avg_`
  EXPECT_TRUE(IsDocumented(docs, "zookeeper_server_packets_sent_total"));   // `_sent_total`
  EXPECT_FALSE(IsDocumented(docs, "zookeeper_no_such_metric"));
}

}  // namespace
}  // namespace zkx::test::deploy
