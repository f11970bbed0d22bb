// The `dirs` sizes against a real 3.8.0 server with the AdminServer on and its transaction log in its own
// directory (dataLogDir): the server's raw reply carries the two sizes swapped (ZOOKEEPER-4703), and the
// exporter's zookeeper_server_snapshot_dir_bytes / _txn_log_dir_bytes must equal what the test itself adds
// up on disk (file sizes under dataDir/version-2 and dataLogDir/version-2, as ZooKeeper's getDirSize does),
// both through the AdminServer and, with it switched off for the exporter, through the `dirs` word.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "collectors/server_collector.h"
#include "server/ask_server.h"
#include "server/dirs_parser.h"
#include "tests/support/wait_and_ports.h"
#include "tests/support/zk_ensemble.h"
#include "tests/support/zk_test_client.h"

namespace zkx::collectors {
namespace {

using std::chrono::milliseconds;
namespace fs = std::filesystem;

double FileBytesUnder(const std::string& dir) {
  double total = 0;
  std::error_code ec;
  for (fs::recursive_directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    if (it->is_regular_file(ec)) total += static_cast<double>(it->file_size(ec));
  }
  return total;
}

class ServerDirsTest : public ::testing::Test {
 protected:
  static test::ZkEnsembleOptions WithOwnLogDir(const std::string& log_dir) {
    test::ZkEnsembleOptions o{.servers = 1};
    o.extra_config.push_back("dataLogDir=" + log_dir);
    return o;
  }
  void SetUp() override {
    char tmpl[] = "/tmp/zkx-dirs-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    log_dir_ = tmpl;
    ensemble_.emplace(WithOwnLogDir(log_dir_));
    ASSERT_TRUE(ensemble_->Start().ok());
    test::ZkTestClient writer;
    ASSERT_TRUE(writer.Connect(ensemble_->ConnectString()).ok());
    for (int i = 0; i < 50; ++i)
      ASSERT_TRUE(writer.Create("/d" + std::to_string(i), std::string(100, 'x')).ok());
  }
  void TearDown() override {
    ensemble_.reset();
    if (std::getenv("ZKX_KEEP_TEST_DIRS") == nullptr) fs::remove_all(log_dir_);
  }

  server::HostPort Server() const { return {"127.0.0.1", ensemble_->ClientPort(0)}; }
  double SnapshotBytes() const { return FileBytesUnder(ensemble_->ServerDir(0) + "/data/version-2"); }
  double TxnLogBytes() const { return FileBytesUnder(log_dir_ + "/version-2"); }

  std::string log_dir_;
  std::optional<test::ZkEnsemble> ensemble_;
};

TEST_F(ServerDirsTest, SizesMatchTheDirectoriesOnDisk) {
  const double snapshots = SnapshotBytes();
  const double logs = TxnLogBytes();
  std::printf("[ figures ] on disk: snapshots %.0f bytes, transaction logs %.0f bytes\n", snapshots, logs);
  ASSERT_GT(logs, 0);
  ASSERT_NE(snapshots, logs);  // else a swap would go unseen

  // The raw reply of this 3.8.0 server is swapped.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  server::Answer<server::DirsReply> raw =
      server::AskServer(Server(), ensemble_->AdminPort(0),
                        server::Question<server::DirsReply>{"dirs", server::ParseAdminDirs, {}}, deadline);
  ASSERT_TRUE(raw.value.has_value());
  EXPECT_EQ(raw.value->datadir_size, logs);
  EXPECT_EQ(raw.value->logdir_size, snapshots);

  // The exporter's figures, through the AdminServer, then through the four-letter word.
  for (uint16_t admin_port : {ensemble_->AdminPort(0), uint16_t{0}}) {
    SCOPED_TRACE(admin_port == 0 ? "mntr + dirs word" : "AdminServer");
    ServerObservation obs = ProbeServer(Server(), ServerProbeOptions{admin_port, milliseconds(5000)},
                                        std::chrono::steady_clock::now() + std::chrono::seconds(5));
    ASSERT_TRUE(obs.report.has_value());
    EXPECT_EQ(obs.source, admin_port == 0 ? "mntr" : "admin");
    ASSERT_TRUE(obs.dirs.has_value());
    EXPECT_EQ(obs.dirs->snapshot_bytes, SnapshotBytes());
    EXPECT_EQ(obs.dirs->txn_log_bytes, TxnLogBytes());
    for (const auto& f : obs.failures) ADD_FAILURE() << f.source << ": " << f.detail;
    const std::vector<prometheus::MetricFamily> families = BuildServerFamilies({obs});
    std::map<std::string, double> got;
    for (const auto& f : families) {
      if (!f.metric.empty()) got[f.name] = f.metric[0].gauge.value;
    }
    EXPECT_EQ(got["zookeeper_server_snapshot_dir_bytes"], SnapshotBytes());
    EXPECT_EQ(got["zookeeper_server_txn_log_dir_bytes"], TxnLogBytes());
  }
}

}  // namespace
}  // namespace zkx::collectors
