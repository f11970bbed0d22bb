// zk_ensemble: starts a loopback ZooKeeper ensemble (and optionally a sample tree) for the README's demo and
// for manual testing, then runs until SIGTERM / SIGINT and stops every server cleanly.
//
//   zk_ensemble --dir DIR [--servers 1|3] [--sample-tree demo|kafka|dubbo|synthetic:N] [--ephemeral-brokers]
//
// Servers live in DIR/server-<n>/ (old server-* dirs there are wiped at start). Once the ensemble serves and
// the tree exists, the connect string is written to DIR/connect_string (atomically: scripts may poll for it)
// and printed on stdout; everything else goes to stderr. With --ephemeral-brokers, Kafka broker ids,
// /controller and Dubbo providers/consumers are ephemeral znodes owned by this process's session (re-created
// if it expires).

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>

// CLI11's inlined string helpers trip GCC 12's -Wnull-dereference (a false positive; as in
// exporter/flags.cc).
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wnull-dereference"
#include <CLI/CLI.hpp>
#pragma GCC diagnostic pop
#include <signal.h>
#include <unistd.h>

#include "tests/support/sample_trees.h"
#include "tests/support/zk_ensemble.h"
#include "tests/support/zk_test_client.h"

namespace {

namespace fs = std::filesystem;
using zkx::Result;
using zkx::Status;
using namespace zkx::test;  // NOLINT(google-build-using-namespace): a small main

Result<SampleTree> MakeTree(const std::string& spec, bool ephemeral) {
  if (spec.empty() || spec == "none") return SampleTree{};
  if (spec == "demo") return DemoTree(ephemeral);
  if (spec == "kafka") return KafkaLikeTree(3, 50, 6, ephemeral);
  if (spec == "dubbo") return DubboLikeTree(20, 5, ephemeral);
  if (spec.starts_with("synthetic:")) {
    char* end = nullptr;
    const std::string count = spec.substr(10);
    const unsigned long long n = std::strtoull(count.c_str(), &end, 10);
    if (end == count.c_str() || *end != '\0' || n == 0) {
      return Status::InvalidArgument("bad node count in --sample-tree " + spec);
    }
    return SyntheticTree(static_cast<std::size_t>(n), 10, 64);
  }
  return Status::InvalidArgument("unknown --sample-tree " + spec + " (demo|kafka|dubbo|synthetic:N)");
}

Status WriteAtomically(const std::string& path, const std::string& text) {
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << text << "\n";
    if (!out) return Status::Internal("write " + tmp);
  }
  std::error_code ec;
  fs::rename(tmp, path, ec);
  if (ec) return Status::Internal("rename " + tmp + ": " + ec.message());
  return Status::Ok();
}

int Fail(const Status& st) {
  std::cerr << "zk_ensemble: " << st.ToString() << "\n";
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Run a loopback ZooKeeper ensemble (Debian's zookeeper package) until SIGTERM/SIGINT."};
  std::string dir;
  int servers = 3;
  std::string sample_tree;
  bool ephemeral = false;
  int tick_time_ms = 2000;
  bool no_admin = false;
  app.add_option("--dir", dir, "Directory for the servers' configs, data and logs, and connect_string")
      ->required();
  app.add_option("--servers", servers, "Number of servers: 1 or 3")->check(CLI::IsMember({1, 3}));
  app.add_option("--sample-tree", sample_tree, "Tree to create: demo, kafka, dubbo or synthetic:N");
  app.add_flag("--ephemeral-brokers", ephemeral,
               "Register Kafka brokers/controller and Dubbo providers/consumers as ephemeral znodes of a "
               "live session");
  app.add_option("--tick-time", tick_time_ms, "tickTime in ms (sessions may last 2..20 ticks)");
  app.add_flag("--no-admin", no_admin, "Disable the AdminServer");
  CLI11_PARSE(app, argc, argv);

  // Block the stop signals before any thread exists (the C client starts threads): sigwait takes them.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  auto tree = MakeTree(sample_tree, ephemeral);
  if (!tree.ok()) return Fail(tree.status());

  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return Fail(Status::Internal("create " + dir + ": " + ec.message()));
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    if (entry.is_directory() && entry.path().filename().string().starts_with("server-")) {
      fs::remove_all(entry.path(), ec);
    }
  }
  const std::string connect_file = dir + "/connect_string";
  fs::remove(connect_file, ec);

  ZkEnsembleOptions options;
  options.servers = servers;
  options.base_dir = dir;
  options.tick_time_ms = tick_time_ms;
  options.admin_server = !no_admin;
  ZkEnsemble ensemble(options);
  const auto t0 = std::chrono::steady_clock::now();
  if (Status st = ensemble.Start(); !st.ok()) return Fail(st);
  const auto started_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0).count();
  std::cerr << "zk_ensemble: " << servers << " server(s) serving after " << started_ms << " ms\n";
  for (int i = 0; i < ensemble.size(); ++i) {
    auto mode = ensemble.ServerMode(i);
    std::cerr << "  server " << i + 1 << ": client 127.0.0.1:" << ensemble.ClientPort(i) << "  admin "
              << (ensemble.AdminPort(i) != 0 ? "127.0.0.1:" + std::to_string(ensemble.AdminPort(i))
                                             : std::string("off"))
              << "  mode " << (mode.ok() ? *mode : mode.status().message()) << "  log " << ensemble.LogPath(i)
              << "\n";
  }

  // The session that owns the tree's ephemeral registrations (if any) lives until we stop.
  ZkTestClient client;
  if (tree->size() > 0) {
    if (Status st = client.Connect(ensemble.ConnectString()); !st.ok()) return Fail(st);
    const auto t1 = std::chrono::steady_clock::now();
    if (Status st = CreateSampleTree(client, *tree); !st.ok()) return Fail(st);
    const auto ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t1).count();
    std::cerr << "zk_ensemble: created " << tree->size() << " znodes (" << tree->ephemeral.size()
              << " ephemeral) in " << ms << " ms\n";
    if (tree->ephemeral.empty()) client.Close();
  }

  if (Status st = WriteAtomically(connect_file, ensemble.ConnectString()); !st.ok()) return Fail(st);
  std::cout << ensemble.ConnectString() << std::endl;
  std::cerr << "zk_ensemble: running; SIGTERM or Ctrl-C stops it\n";

  const timespec poll_interval{1, 0};
  while (true) {
    siginfo_t info{};
    const int sig = sigtimedwait(&stop_signals, &info, &poll_interval);
    if (sig == SIGTERM || sig == SIGINT) break;
    if (!tree->ephemeral.empty() && client.session_dead()) {
      std::cerr << "zk_ensemble: the registrations' session expired; registering again\n";
      if (client.Connect(ensemble.ConnectString(), std::chrono::milliseconds(2000)).ok()) {
        if (Status st = client.CreateTree(tree->ephemeral, 1000, NodeKind::kEphemeral); !st.ok()) {
          std::cerr << "zk_ensemble: " << st.ToString() << "\n";
        }
      }
    }
  }
  std::cerr << "zk_ensemble: stopping\n";
  client.Close();
  ensemble.Stop();
  fs::remove(connect_file, ec);
  return 0;
}
