// scale_bench: on-demand benchmark (not a test) for subtrees at scale. On a local 3-node ensemble it builds
// trees of 10,000 and 100,000 znodes and prints, in one run:
//  - walk rate against the sequential get + get_children walk (C client, sync), `zkCli.sh ls -R` and the C
//    client's pipelined get + get_children2 walk, all measured now;
//  - the load the exporter puts on ZooKeeper over a quiet window (sum over members of `mntr`
//    zk_packets_received deltas) in poll mode at a 30 s interval and in watch mode, on the 10,000-znode tree;
//  - change-to-metric latency in watch mode (p50/p99 over N changes);
//  - watch mode through the kill and restart of every member, with changes while each is down: the time
//    until its count equals a bare walk's, and at the end its aggregates against a fresh poll walk's;
//  - /metrics latency and size, and exporter RSS, at every tree size with the same per-znode series cap
//    (10,000), and the latency ratio between sizes;
//  - a subtree over the watch budget (the largest tree): time to the first metric and peak RSS of an exporter
//    in watch mode (which falls back to poll) against one in poll mode, started one after the other.
// No thresholds are asserted.
//
//   build/dev/tests/bench/scale_bench [--sizes 10000,100000] [--quiet-seconds 60] [--changes 100]
//       [--series 10000] [--in-flight 2048] [--walk-sessions 4]
//       [--sections walks,shapes,load,latency,reconnect,metrics,fallback]
//       [--baselines all|pipelined] [--shape-znodes 20000] [--shape-rounds 3] [--shape-warmup 1]
//       [--shapes wide,deep,balanced,random] [--shape-exporter-sweep 0|1]
//       [--shape-member 0] [--shape-sessions 1,4] [--watch-tree smallest|largest] [--watch-sessions N]
//  - load, latency and reconnect run on the smallest tree, or with --watch-tree largest on the largest
//    (e.g. 100,000 znodes in watch mode, with --watch-sessions 10 so that its watches fit). Reconnect also
//    freezes the exporter until the ensemble expires every session.
//  - walks: the exporter's walk on one session, at its defaults (as many of --walk-sessions sessions as
//    its walks measure to pay), and over all of them.
//  - shapes: a wide, a deep, a balanced and a random tree: the exporter's walk at default settings against
//    the bare C client's get_children2 walk at the best of a sweep of in-flight depths (128-2048) on each
//    number of sessions in --shape-sessions, as a ratio of overall rates over interleaved rounds
//    (--shape-exporter-sweep 1 also pins the exporter's walk at each depth, over --walk-sessions sessions).
//    --shape-warmup N: default walks before the rounds (printed, not counted): a fresh exporter's ramp of the
//    session count against a settled one's rate.
// One million znodes (not run in CI; creating the tree takes ~10 minutes here, the sequential baselines far
// longer, so skip them): scale_bench --sizes 1000000 --baselines pipelined --sections walks,metrics,fallback
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <functional>
#include <future>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <signal.h>
#include <sys/resource.h>

#include "tests/bench/baseline_walks.h"
#include "tests/bench/bench_flags.h"
#include "tests/support/exporter_process.h"
#include "tests/support/exposition.h"
#include "tests/support/http_get.h"
#include "tests/support/sample_trees.h"
#include "tests/support/wait_and_ports.h"
#include "tests/support/zk_ensemble.h"
#include "tests/support/zk_test_client.h"
#include "zk/reader_pool.h"
#include "zk/session.h"
#include "zk/subtree_walk.h"

namespace zkx {
namespace {

using std::chrono::milliseconds;
using Clock = std::chrono::steady_clock;

struct Options {
  std::vector<std::size_t> sizes{10000, 100000};
  int quiet_seconds = 60;
  int changes = 100;
  std::size_t series = 10000;
  std::size_t in_flight = zk::WalkLimits{}.max_in_flight;  // the ceiling of the adaptive window
  std::size_t walk_sessions = 4;  // the second exporter walk row: a ReaderPool over this many sessions
  std::string sections = "walks,shapes,load,latency,reconnect,metrics,fallback";
  std::size_t shape_znodes = 20000;
  int shape_rounds = 3;      // interleaved rounds per configuration in `shapes`
  int shape_warmup = 1;      // default walks before the rounds, not counted: the ramp of the session count
  std::string shape_filter;  // only these shapes (comma-separated); empty: all
  bool shape_exporter_sweep = false;              // also walk with the exporter's walker pinned at each depth
  int shape_member = 0;                           // the member every `shapes` walk goes to
  std::vector<std::size_t> shape_sessions{1, 4};  // the bare client's sweep: sessions x depths
  std::string watch_tree = "smallest";            // the tree of `load` and `latency`: smallest or largest
  std::size_t watch_sessions = 0;  // --zookeeper.watch-sessions of their exporters (0: its default)
  bool slow_baselines = true;      // the sequential walk and zkCli.sh (minutes at 1,000,000 znodes)
  [[nodiscard]] bool Has(const std::string& section) const {
    return ("," + sections + ",").find("," + section + ",") != std::string::npos;
  }
};

double Seconds(Clock::duration d) {
  return std::chrono::duration<double>(d).count();
}

// What this process has used so far, all its threads (the client's, the walker's; those that ended too).
struct ProcessUsage {
  double user_s = 0;
  double system_s = 0;
  double switches = 0;  // context switches, voluntary or not: on 2 shared cores, each is a turn taken
  static ProcessUsage Now() {
    rusage u{};
    ::getrusage(RUSAGE_SELF, &u);
    auto s = [](const timeval& t) {
      return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6;
    };
    return {s(u.ru_utime), s(u.ru_stime), static_cast<double>(u.ru_nvcsw + u.ru_nivcsw)};
  }
  ProcessUsage& operator+=(const ProcessUsage& o) {
    user_s += o.user_s;
    system_s += o.system_s;
    switches += o.switches;
    return *this;
  }
  friend ProcessUsage operator-(const ProcessUsage& a, const ProcessUsage& b) {
    return {a.user_s - b.user_s, a.system_s - b.system_s, a.switches - b.switches};
  }
};

double Percentile(std::vector<double> v, double p) {
  std::sort(v.begin(), v.end());
  const auto i = static_cast<std::size_t>(p * static_cast<double>(v.size() - 1) + 0.5);
  return v[std::min(i, v.size() - 1)];
}

using test::SampleValue;

// The rate over several walks of the same tree: znodes walked / time spent walking, i.e. the harmonic mean
// of their rates. Walk rates here are bimodal (a walk runs at about 15k or about 40k znodes/s on this
// machine, by scheduling luck), so a median flips between the modes; the overall rate does not.
double OverallRate(const std::vector<double>& rates) {
  double seconds_per_znode = 0;
  for (const double r : rates) seconds_per_znode += 1.0 / r;
  return static_cast<double>(rates.size()) / seconds_per_znode;
}

// Sum over members of mntr's zk_packets_received.
double PacketsReceived(const test::ZkEnsemble& ensemble) {
  double sum = 0;
  for (int i = 0; i < ensemble.size(); ++i) {
    Result<std::string> mntr = ensemble.FourLetterWord(i, "mntr");
    if (!mntr.ok()) continue;
    const auto at = mntr->find("zk_packets_received");
    if (at != std::string::npos)
      sum += std::strtod(mntr->c_str() + at + std::strlen("zk_packets_received"), nullptr);
  }
  return sum;
}

// The exporter on `ensemble` with `config` (written to <dir>/<name>.yml), server and watch collectors off,
// its output in <dir>/<name>.log.
test::ExporterProcess StartExporter(const test::ZkEnsemble& ensemble, const std::string& dir,
                                    const std::string& name, const std::string& config,
                                    const std::vector<std::string>& extra_flags = {}) {
  std::ofstream(dir + "/" + name + ".yml") << config;
  std::vector<std::string> flags{"--zookeeper.hosts=" + ensemble.ConnectString(),
                                 "--config.file=" + dir + "/" + name + ".yml", "--no-collector.server",
                                 "--no-collector.watches"};
  flags.insert(flags.end(), extra_flags.begin(), extra_flags.end());
  return test::ExporterProcess(ZKX_EXPORTER_BIN, flags, dir + "/" + name + ".log");
}

// VmRSS or VmHWM of the exporter, in MB (0 if unknown).
double MemoryMb(const test::ExporterProcess& exporter, const std::string& field) {
  if (exporter.pid() == 0) return 0;
  std::ifstream status("/proc/" + std::to_string(exporter.pid()) + "/status");
  for (std::string line; std::getline(status, line);) {
    if (line.rfind(field + ":", 0) == 0) return std::strtod(line.c_str() + field.size() + 1, nullptr) / 1e3;
  }
  return 0;
}

struct WalkRow {
  std::string name;
  std::size_t nodes = 0;
  double seconds = 0;
};

// `op` until it succeeds, or fails with `also_ok` (a retried create that had landed before the connection
// dropped), for up to 60 s: the writer's member may be the one just killed.
bool Retried(const std::function<Status()>& op, StatusCode also_ok) {
  Status last = Status::Ok();
  const bool ok = test::WaitFor(
      [&] {
        last = op();
        return last.ok() || last.code() == also_ok;
      },
      milliseconds(60000), milliseconds(100));
  if (!ok) std::fprintf(stderr, "write failed: %s\n", last.ToString().c_str());
  return ok;
}

// Sessions and a ReaderPool over them as the exporter builds them (exporter/app.cc): `total` sessions, the
// first the primary, started and connected. kMeasured (the exporter's): the others are left for the pool
// to start when walks measure that they pay. kAll: all of them started and connected here.
struct PooledSessions {
  std::vector<std::unique_ptr<zk::Session>> sessions;
  std::unique_ptr<zk::ReaderPool> pool;
  PooledSessions() = default;
  PooledSessions(const PooledSessions&) = delete;
  PooledSessions& operator=(const PooledSessions&) = delete;
  ~PooledSessions() {
    pool.reset();
    for (const auto& session : sessions) session->Stop();
  }
};
std::unique_ptr<PooledSessions> OpenPool(const zk::SessionOptions& so, std::size_t total,
                                         zk::ReaderPool::Spread spread) {
  auto opened = std::make_unique<PooledSessions>();
  std::vector<zk::Session*> extras;
  for (std::size_t i = 0; i < std::max<std::size_t>(total, 1); ++i) {
    Result<std::unique_ptr<zk::Session>> session = zk::Session::Create(so);
    if (!session.ok()) return nullptr;
    opened->sessions.push_back(std::move(session).value());
    if (i > 0) extras.push_back(opened->sessions.back().get());
    if (i > 0 && spread == zk::ReaderPool::Spread::kMeasured) continue;
    opened->sessions.back()->Start();
    if (!test::WaitFor([&] { return opened->sessions.back()->Connected(); }, milliseconds(30000))) {
      return nullptr;
    }
  }
  opened->pool = std::make_unique<zk::ReaderPool>(opened->sessions.front().get(), extras, spread);
  return opened;
}

// ---- reconnect: a watch-mode exporter through the kill and restart of every member ----------------------
// Each round kills one member (every exporter session on it reconnects elsewhere and re-sends its
// SetWatches), changes the tree while it is down (creates, deletes, data sets), restarts it, and times how
// long until the exporter's znode count equals a fresh bare walk's. At the end a poll-mode exporter walks
// the tree afresh: the watch exporter's aggregates must equal its. Returns the README rows, "" on failure.
// The reconnect exporter's session timeout: short, so that freezing it long enough to expire every session
// takes seconds, and long enough that re-sending up to ~700 KB of SetWatches per session does not.
constexpr milliseconds kReconnectSessionTimeout{10000};

std::string ReconnectSection(test::ZkEnsemble& ensemble, const std::string& dir, const std::string& root,
                             std::size_t size, const std::vector<std::string>& watch_flags) {
  const std::string znodes_series = "zookeeper_subtree_znodes{root=\"" + root + "\"}";
  const std::string bytes_series = "zookeeper_subtree_data_bytes{root=\"" + root + "\"}";
  const std::string mode_series = "zookeeper_subtree_refresh_mode{mode=\"watch\",root=\"" + root + "\"}";
  const std::string config =
      "subtrees:\n  - root: " + root +
      "\n    refresh_mode: watch\n    walk_timeout: 30m\n    max_znodes: " + std::to_string(2 * size) + "\n";
  std::vector<std::string> flags = watch_flags;
  flags.push_back("--zookeeper.session-timeout=" + std::to_string(kReconnectSessionTimeout.count()) + "ms");
  test::ExporterProcess watch = StartExporter(ensemble, dir, "reconnect-watch", config, flags);
  if (!watch.WaitMetrics(
          [&](const std::string& body) {
            return SampleValue(body, mode_series).value_or(0) == 1 &&
                   SampleValue(body, "zookeeper_subtree_watched_path_bytes{root=\"" + root + "\"}")
                           .value_or(0) > 0;
          },
          milliseconds(600000))) {
    std::fprintf(stderr, "reconnect: watch exporter not ready\n");
    return "";
  }
  test::ZkTestClient writer;
  if (!writer.Connect(ensemble.ConnectString()).ok()) return "";
  std::vector<double> converge;
  bool all_watch = true;
  constexpr int kCreates = 20;
  for (int i = 0; i < ensemble.size(); ++i) {
    ensemble.Kill(i);
    for (int j = 0; j < kCreates; ++j) {
      const std::string path = root + "/reconnect-" + std::to_string(i) + "-" + std::to_string(j);
      if (!Retried([&] { return writer.Create(path, std::string(static_cast<std::size_t>(j + 1), 'r')); },
                   StatusCode::kAlreadyExists)) {
        return "";
      }
    }
    for (int j = 0; i > 0 && j < kCreates / 2; ++j) {  // half of the previous round's
      const std::string path = root + "/reconnect-" + std::to_string(i - 1) + "-" + std::to_string(j);
      if (!Retried([&] { return writer.Delete(path); }, StatusCode::kNotFound)) return "";
    }
    for (int j = 0; j < 5; ++j) {
      const std::string path = root + "/reconnect-" + std::to_string(i) + "-" + std::to_string(j);
      if (!Retried([&] { return writer.Set(path, std::string(100, 's')); }, StatusCode::kOk)) return "";
    }
    if (Status s = ensemble.Restart(i); !s.ok()) {
      std::fprintf(stderr, "reconnect: restart %d: %s\n", i, s.ToString().c_str());
      return "";
    }
    const auto restarted = Clock::now();
    if (!ensemble.WaitForQuorum(milliseconds(60000)).ok()) return "";
    auto truth = bench::PipelinedGetChildren2Walk(ensemble.ConnectString(), root, 1024, false);
    if (!truth.ok()) return "";
    double seen = -1;
    const bool equal = test::WaitFor(
        [&] {
          auto r = watch.Get("/metrics");
          if (!r.ok()) return false;
          seen = SampleValue(r->body, znodes_series).value_or(-1);
          all_watch = all_watch && SampleValue(r->body, mode_series).value_or(0) == 1;
          return seen == static_cast<double>(truth->nodes);
        },
        milliseconds(300000), milliseconds(200));
    converge.push_back(Seconds(Clock::now() - restarted));
    std::printf(
        "reconnect: member %d killed, %d znodes created%s and 5 set while down, restarted: the "
        "watch exporter's count %s the bare walk's (%.0f / %zu) %.1f s after the restart (quorum "
        "and the bare walk included)\n",
        i, kCreates, i > 0 ? ", 10 deleted" : "", equal ? "equals" : "DIFFERS from", seen, truth->nodes,
        converge.back());
    if (!equal) return "";
  }
  // A real expiry of every session: the exporter frozen (SIGSTOP) for three of its session timeouts while
  // the tree changes, so that the leader expires all of them; on SIGCONT each finds its session expired,
  // opens a new one and resyncs what it watched.
  const double expired_before =
      SampleValue(watch.Metrics(), "zookeeper_session_expirations_total").value_or(-1);
  ::kill(watch.pid(), SIGSTOP);
  const auto frozen = Clock::now();
  for (int j = 0; j < kCreates; ++j) {
    const std::string path = root + "/expiry-" + std::to_string(j);
    if (!Retried([&] { return writer.Create(path, std::string(static_cast<std::size_t>(j + 1), 'e')); },
                 StatusCode::kAlreadyExists)) {
      ::kill(watch.pid(), SIGCONT);
      return "";
    }
  }
  for (int j = 0; j < kCreates / 2; ++j) {
    const std::string path =
        root + "/reconnect-" + std::to_string(ensemble.size() - 1) + "-" + std::to_string(j);
    if (!Retried([&] { return writer.Delete(path); }, StatusCode::kNotFound)) {
      ::kill(watch.pid(), SIGCONT);
      return "";
    }
  }
  std::this_thread::sleep_until(frozen + 3 * kReconnectSessionTimeout);
  ::kill(watch.pid(), SIGCONT);
  const auto thawed = Clock::now();
  auto expiry_truth = bench::PipelinedGetChildren2Walk(ensemble.ConnectString(), root, 1024, false);
  if (!expiry_truth.ok()) return "";
  double expired_after = -1;
  double seen_after_expiry = -1;
  const bool expiry_equal = test::WaitFor(
      [&] {
        auto r = watch.Get("/metrics");
        if (!r.ok()) return false;
        seen_after_expiry = SampleValue(r->body, znodes_series).value_or(-1);
        expired_after = SampleValue(r->body, "zookeeper_session_expirations_total").value_or(-1);
        all_watch = all_watch && SampleValue(r->body, mode_series).value_or(0) == 1;
        return expired_after > expired_before &&
               seen_after_expiry == static_cast<double>(expiry_truth->nodes);
      },
      milliseconds(300000), milliseconds(200));
  const double expiry_converge = Seconds(Clock::now() - thawed);
  const std::string log = watch.Log();
  std::size_t expiries_logged = 0;
  const std::string expired_line = "-> expired; replacing the handle";  // one per session expired
  for (std::size_t at = log.find(expired_line); at != std::string::npos;
       at = log.find(expired_line, at + 1)) {
    ++expiries_logged;
  }
  std::printf(
      "reconnect: exporter frozen %.0f s (3 session timeouts), %d znodes created and 10 deleted meanwhile: "
      "main session expirations %.0f -> %.0f, sessions that logged their expiry %zu; the count %s the bare "
      "walk's (%.0f / %zu) %.1f s after SIGCONT (the bare walk included)\n",
      Seconds(thawed - frozen), kCreates, expired_before, expired_after, expiries_logged,
      expiry_equal ? "equals" : "DIFFERS from", seen_after_expiry, expiry_truth->nodes, expiry_converge);
  if (!expiry_equal) return "";

  // A fresh walk by a poll-mode exporter: the mirror's aggregates must equal it.
  const std::string poll_config =
      "subtrees:\n  - root: " + root +
      "\n    refresh_interval: 5m\n    walk_timeout: 30m\n    max_znodes: " + std::to_string(2 * size) + "\n";
  test::ExporterProcess poll = StartExporter(ensemble, dir, "reconnect-poll", poll_config);
  std::string poll_body;
  if (!poll.WaitMetrics(
          [&](const std::string& body) {
            poll_body = body;
            return SampleValue(body, znodes_series).value_or(0) > 0;
          },
          milliseconds(600000))) {
    return "";
  }
  double w_znodes = -1, w_bytes = -1;
  const double p_znodes = SampleValue(poll_body, znodes_series).value_or(-2);
  const double p_bytes = SampleValue(poll_body, bytes_series).value_or(-2);
  const bool same = test::WaitFor(
      [&] {
        auto r = watch.Get("/metrics");
        if (!r.ok()) return false;
        w_znodes = SampleValue(r->body, znodes_series).value_or(-1);
        w_bytes = SampleValue(r->body, bytes_series).value_or(-1);
        return w_znodes == p_znodes && w_bytes == p_bytes;
      },
      milliseconds(60000), milliseconds(200));
  std::printf(
      "reconnect: after %d member restarts, watch mode (still watch: %s) %.0f znodes, %.0f data bytes; "
      "a fresh poll walk %.0f znodes, %.0f data bytes: %s\n\n",
      ensemble.size(), all_watch ? "yes" : "NO", w_znodes, w_bytes, p_znodes, p_bytes,
      same ? "equal" : "DIFFERENT");
  char line[512];
  std::snprintf(
      line, sizeof line,
      "| watch mode on %s through the kill and restart of each of the %d members, then a real "
      "expiry of every session (changes while down or frozen) | the count equal to a bare walk's "
      "%.1f-%.1f s after each restart, %.1f s after the expiry (that walk included); at the end %.0f "
      "znodes / %.0f data bytes against a fresh poll walk's %.0f / %.0f: %s; stayed in watch "
      "mode: %s |\n",
      root.c_str(), ensemble.size(), *std::min_element(converge.begin(), converge.end()),
      *std::max_element(converge.begin(), converge.end()), expiry_converge, w_znodes, w_bytes, p_znodes,
      p_bytes, same ? "equal" : "DIFFERENT", all_watch ? "yes" : "no");
  return same && all_watch ? std::string(line) : std::string();
}

int Run(const Options& opt) {
  std::printf("scale_bench: local 3-node ensemble (loopback; the JVMs share this machine's cores)\n\n");
  test::ZkEnsembleOptions ensemble_options{.servers = 3};
  // The harness keeps each server at 256 MB of heap; a server holds ~1 KB per znode of these trees.
  const std::size_t largest = *std::max_element(opt.sizes.begin(), opt.sizes.end());
  if (largest > 150000) {
    for (std::string& flag : ensemble_options.jvm_flags) {
      if (flag.rfind("-Xmx", 0) == 0) flag = "-Xmx" + std::to_string(largest / 1000 * 2 + 256) + "m";
    }
  }
  test::ZkEnsemble ensemble(ensemble_options);
  if (Status s = ensemble.Start(); !s.ok()) {
    std::fprintf(stderr, "ensemble: %s\n", s.ToString().c_str());
    return 1;
  }
  char dir_tmpl[] = "/tmp/zkx-scale-XXXXXX";
  const std::string dir = mkdtemp(dir_tmpl);
  std::ostringstream md;  // the README table
  md << "| measurement | result |\n|---|---|\n";

  // ---- trees and walks --------------------------------------------------------------------------------
  std::vector<std::string> roots;
  for (std::size_t size : opt.sizes) {
    const std::string root = "/s" + std::to_string(size / 1000) + "k";
    roots.push_back(root);
    test::ZkTestClient writer;
    if (!writer.Connect(ensemble.ConnectString()).ok()) return 1;
    const auto c0 = Clock::now();
    if (Status s = test::CreateSampleTree(writer, test::SyntheticTree(size, 10, 32, root)); !s.ok()) {
      std::fprintf(stderr, "create: %s\n", s.ToString().c_str());
      return 1;
    }
    std::printf("created %zu znodes under %s in %.1fs\n", size, root.c_str(), Seconds(Clock::now() - c0));
    writer.Close();

    if (!opt.Has("walks")) continue;
    std::vector<WalkRow> rows;
    auto pipe = bench::PipelinedGetChildren2Walk(ensemble.ConnectString(), root, 1024);
    Result<bench::BaselineResult> seq = pipe;
    Result<bench::BaselineResult> cli = pipe;
    if (opt.slow_baselines) {
      seq = bench::SequentialGetChildrenWalk(ensemble.ConnectString(), root);
      cli = bench::ZkCliLsR(ensemble.ConnectString(), root);
    }
    if (!seq.ok() || !cli.ok() || !pipe.ok()) {
      std::fprintf(stderr, "baseline failed: %s %s %s\n", seq.status().ToString().c_str(),
                   cli.status().ToString().c_str(), pipe.status().ToString().c_str());
      return 1;
    }
    if (opt.slow_baselines) {
      rows.push_back({"sequential get + get_children (C client, sync)", seq->nodes, seq->seconds});
      rows.push_back({"zkCli.sh ls -R (JVM start included)", cli->nodes, cli->seconds});
    }
    rows.push_back({"C client pipelined get + get_children2, 1024 in flight", pipe->nodes, pipe->seconds});

    // The exporter's walk on one session; at its default (over up to opt.walk_sessions sessions, as many
    // as it measured to pay, from a fresh start: the first walk includes the climb); and over all of them
    // (--zookeeper.walk-sessions): median of 3 each.
    struct SessionsRow {
      std::size_t sessions;
      zk::ReaderPool::Spread spread;
    };
    for (const SessionsRow& config : {SessionsRow{1, zk::ReaderPool::Spread::kAll},
                                      SessionsRow{opt.walk_sessions, zk::ReaderPool::Spread::kMeasured},
                                      SessionsRow{opt.walk_sessions, zk::ReaderPool::Spread::kAll}}) {
      zk::SessionOptions so;
      so.hosts = ensemble.ConnectString();
      std::unique_ptr<PooledSessions> opened = OpenPool(so, config.sessions, config.spread);
      if (!opened) return 1;
      zk::WalkLimits limits;
      limits.max_in_flight = opt.in_flight;
      limits.max_znodes = size * 2;
      std::vector<double> times;
      std::size_t visited = 0;
      for (int i = 0; i < 3; ++i) {
        zk::WalkSummary s = zk::WalkSubtree(*opened->pool, root, limits, [](const zk::WalkedZnode&) {});
        if (!s.status.ok()) return 1;
        visited = s.visited;
        times.push_back(Seconds(s.duration));
      }
      char label[160];
      if (config.spread == zk::ReaderPool::Spread::kMeasured) {
        std::snprintf(label, sizeof label,
                      "exporter walk at defaults: window up to %zu, up to %zu sessions as measured (now %zu) "
                      "(median of 3)",
                      opt.in_flight, config.sessions, opened->pool->SessionsInUse());
      } else {
        std::snprintf(label, sizeof label,
                      "exporter walk: get_children2, window up to %zu, %zu session%s (median of 3)",
                      opt.in_flight, config.sessions, config.sessions == 1 ? "" : "s");
      }
      rows.push_back({label, visited, Percentile(times, 0.5)});
    }

    const double seq_rate = static_cast<double>(seq->nodes) / seq->seconds;
    const double cli_rate = static_cast<double>(cli->nodes) / cli->seconds;
    std::printf("%-72s %8s %8s %9s %7s %7s\n", "walk", "znodes", "seconds", "znodes/s", "vs seq", "vs zkCli");
    for (const WalkRow& r : rows) {
      const double rate = static_cast<double>(r.nodes) / r.seconds;
      std::printf("%-72s %8zu %8.2f %9.0f %6.1fx %6.1fx\n", r.name.c_str(), r.nodes, r.seconds, rate,
                  rate / seq_rate, rate / cli_rate);
      char line[256];
      std::snprintf(line, sizeof line,
                    "| walk %zu znodes: %s | %.2f s, %.0f znodes/s (%.1fx sequential, %.1fx zkCli) |\n", size,
                    r.name.c_str(), r.seconds, rate, rate / seq_rate, rate / cli_rate);
      md << line;
    }
    std::printf("\n");
  }

  char line[768];
  // ---- tree shapes: the exporter's walk at default settings against the bare C client's best depth
  // ----------
  // Each walk here takes about a second, so one walk per configuration is mostly noise (one quiet run put the
  // same bare walk at 16k and 30k znodes/s). Every configuration is walked `shape_rounds` times, interleaved
  // (round 1 of every configuration, then round 2, ...) so that a slow stretch of the machine hits all of
  // them alike, and the overall rates (OverallRate) are compared.
  if (opt.Has("shapes")) {
    const std::size_t n = opt.shape_znodes;
    struct Shape {
      std::string name;
      test::SampleTree tree;
    };
    std::vector<Shape> shapes(4);
    shapes[0].name = "wide";  // one znode with n - 1 children
    shapes[0].tree.persistent.push_back({"/wide", ""});
    for (std::size_t i = 1; i < n; ++i)
      shapes[0].tree.persistent.push_back({"/wide/c" + std::to_string(i), "d"});
    shapes[1].name = "deep";  // n / 50 chains of 49 znodes each: little breadth to pipeline
    shapes[1].tree = test::ChainsTree(static_cast<int>(n / 50), 49, "/deep", "d");
    shapes[2].name = "balanced";  // fan-out 10
    shapes[2].tree = test::SyntheticTree(n, 10, 32, "/balanced");
    // A random recursive tree: each znode's parent is drawn uniformly from the znodes created before it, so
    // fan-out and depth vary from branch to branch (a few huge fan-outs near the root, long thin tails).
    shapes[3].name = "random";
    shapes[3].tree.persistent.push_back({"/random", ""});
    {
      std::vector<std::string> made{"/random"};
      uint64_t state = 0x9e3779b97f4a7c15ULL;
      for (std::size_t i = 1; i < n; ++i) {
        state = state * 6364136223846793005ULL + 1442695040888963407ULL;
        const std::string& parent = made[(state >> 33) % made.size()];
        made.push_back(parent + "/n" + std::to_string(i));
        shapes[3].tree.persistent.push_back({made.back(), "d"});
      }
    }
    const std::vector<std::size_t> depths{128, 256, 512, 1024, 2048};
    // Every walk here goes to one member: a leader and a follower serve reads at different rates, and a bare
    // walk that reconnects each time would otherwise land on a random one (the rates were bimodal).
    const int member = std::clamp(opt.shape_member, 0, ensemble.size() - 1);
    const std::string hosts = "127.0.0.1:" + std::to_string(ensemble.ClientPort(member));
    {
      Result<std::string> srvr = ensemble.FourLetterWord(member, "srvr");
      const auto at = srvr.ok() ? srvr->find("Mode: ") : std::string::npos;
      std::printf(
          "shapes: every walk on member %d (%s)\n", member,
          at == std::string::npos ? "mode unknown" : srvr->substr(at, srvr->find('\n', at) - at).c_str());
    }
    for (Shape& shape : shapes) {
      if (!opt.shape_filter.empty() &&
          ("," + opt.shape_filter + ",").find("," + shape.name + ",") == std::string::npos) {
        continue;
      }
      const std::string root = shape.tree.persistent.front().first;
      test::ZkTestClient writer;
      if (!writer.Connect(ensemble.ConnectString()).ok()) return 1;
      if (Status s = test::CreateSampleTree(writer, shape.tree); !s.ok()) {
        std::fprintf(stderr, "create %s: %s\n", shape.name.c_str(), s.ToString().c_str());
        return 1;
      }
      writer.Close();
      zk::SessionOptions so;  // the exporter's defaults
      so.hosts = hosts;
      // The exporter's walk at its defaults: up to walk_sessions sessions, as many as its walks measure to
      // pay (kMeasured), kept across the rounds as the exporter keeps them across refreshes.
      std::unique_ptr<PooledSessions> exporter_sessions =
          OpenPool(so, opt.walk_sessions, zk::ReaderPool::Spread::kMeasured);
      if (!exporter_sessions) return 1;
      zk::Session& session = *exporter_sessions->sessions.front();
      // Optional: the exporter's walker pinned at each depth too, over all walk_sessions sessions (each with
      // room for the deepest): what the walker reaches where the bare client does, without the adaptation.
      zk::SessionOptions wide_so = so;
      wide_so.max_in_flight = 2 * depths.back();
      std::unique_ptr<PooledSessions> pinned_sessions;
      if (opt.shape_exporter_sweep) {
        pinned_sessions = OpenPool(wide_so, opt.walk_sessions, zk::ReaderPool::Spread::kAll);
        if (!pinned_sessions) return 1;
      }

      // The bare client's sweep: every depth on each number of sessions in opt.shape_sessions.
      struct BareConfig {
        std::size_t sessions;
        std::size_t depth;
      };
      std::vector<BareConfig> configs;
      for (const std::size_t n_sessions : opt.shape_sessions) {
        for (const std::size_t depth : depths) configs.push_back({n_sessions, depth});
      }
      std::vector<std::vector<double>> bare(configs.size());
      std::vector<std::vector<double>> pinned(depths.size());
      std::vector<double> mine;
      // This process's CPU time and context switches over each kind of walk: what each client takes from the
      // cores the servers share on this machine.
      std::vector<ProcessUsage> bare_usage(configs.size());
      ProcessUsage mine_usage;
      std::string windows;       // the adaptive window each default walk ended with
      std::size_t expected = 0;  // znodes of the tree: set by the first walk (of either kind), then checked
      // False (and says why) when a walk saw another number of znodes than the walks before it.
      auto agrees = [&](const char* who, std::size_t visited) {
        if (expected == 0) expected = visited;
        if (visited == expected) return true;
        std::fprintf(stderr, "%s tree: %s walk visited %zu znodes, earlier walks %zu\n", shape.name.c_str(),
                     who, visited, expected);
        return false;
      };
      // While each exporter walk runs, another request on its session every 10 ms (a GetData of the root, as
      // a watch-mode re-read or the canary would queue behind the walk): its latency, in ms, by depth (0: the
      // default, adaptive).
      std::map<std::size_t, std::vector<double>> side_ms;
      // `reader` walks; `s` (its primary) takes the request beside the walk.
      auto exporter_walk = [&](zk::ZnodeReader& reader, zk::Session& s, std::size_t depth) -> double {
        zk::WalkLimits limits;
        limits.max_znodes = 2 * n;
        if (depth > 0) limits.max_in_flight = depth;
        std::atomic<bool> walking{true};
        std::vector<double> side;
        std::thread prober([&] {
          while (walking) {
            auto answered = std::make_shared<std::promise<void>>();
            std::future<void> reply = answered->get_future();
            const auto t0 = Clock::now();
            s.GetData(root, [answered](Status, std::string, zk::ZnodeStat) { answered->set_value(); });
            if (reply.wait_for(std::chrono::seconds(30)) != std::future_status::ready) return;
            if (walking) side.push_back(Seconds(Clock::now() - t0) * 1e3);
            std::this_thread::sleep_for(milliseconds(10));
          }
        });
        zk::WalkSummary w = zk::WalkSubtree(reader, root, limits, [](const zk::WalkedZnode&) {});
        walking = false;
        prober.join();
        side_ms[depth].insert(side_ms[depth].end(), side.begin(), side.end());
        if (!w.status.ok()) {
          std::fprintf(stderr, "%s tree: exporter walk failed: %s\n", shape.name.c_str(),
                       w.status.ToString().c_str());
          return -1;
        }
        if (!agrees("an exporter", w.visited)) return -1;
        if (depth == 0) {
          windows += " " + std::to_string(w.in_flight_window) + "/" +
                     std::to_string(exporter_sessions->pool->SessionsInUse()) + "@" +
                     std::to_string(static_cast<long>(static_cast<double>(w.visited) / Seconds(w.duration)));
        }
        return static_cast<double>(w.visited) / Seconds(w.duration);
      };
      // Warm-up: the servers' JIT and caches, and the exporter's first choice of sessions; not counted, but
      // printed: a fresh exporter walks at these rates while it measures how many sessions pay.
      std::string ramp;
      for (int w = 0; w < opt.shape_warmup; ++w) {
        const double rate = exporter_walk(*exporter_sessions->pool, session, 0);
        if (rate < 0) return 1;
        ramp += " " + std::to_string(static_cast<long>(rate));
      }
      side_ms.clear();
      for (int round = 0; round < opt.shape_rounds; ++round) {
        for (std::size_t c = 0; c < configs.size(); ++c) {
          const ProcessUsage before = ProcessUsage::Now();
          auto r = bench::PipelinedGetChildren2Walk(hosts, root, configs[c].depth, /*with_get=*/false,
                                                    configs[c].sessions);
          bare_usage[c] += ProcessUsage::Now() - before;
          if (!r.ok()) {
            std::fprintf(stderr, "%s tree: bare walk failed: %s\n", shape.name.c_str(),
                         r.status().ToString().c_str());
            return 1;
          }
          if (!agrees("a bare", r->nodes)) return 1;
          bare[c].push_back(static_cast<double>(r->nodes) / r->seconds);
        }
        for (std::size_t d = 0; opt.shape_exporter_sweep && d < depths.size(); ++d) {
          const double rate =
              exporter_walk(*pinned_sessions->pool, *pinned_sessions->sessions.front(), depths[d]);
          if (rate < 0) return 1;
          pinned[d].push_back(rate);
        }
        const ProcessUsage before = ProcessUsage::Now();
        const double rate = exporter_walk(*exporter_sessions->pool, session, 0);
        mine_usage += ProcessUsage::Now() - before;
        if (rate < 0) return 1;
        mine.push_back(rate);
      }
      exporter_sessions.reset();
      pinned_sessions.reset();
      auto config_name = [&](std::size_t c) {
        return std::to_string(configs[c].sessions) + "x" + std::to_string(configs[c].depth);
      };
      double best = 0;
      std::string best_config;
      std::string sweep;
      std::string pinned_sweep;
      std::size_t best_c = 0;
      for (std::size_t c = 0; c < configs.size(); ++c) {
        const double median = OverallRate(bare[c]);
        sweep += " " + config_name(c) + ":" + std::to_string(static_cast<long>(median));
        if (median > best) {
          best = median;
          best_config = config_name(c);
          best_c = c;
        }
      }
      const double walked_per_config = static_cast<double>(expected) * opt.shape_rounds / 1000.0;
      for (std::size_t d = 0; opt.shape_exporter_sweep && d < depths.size(); ++d) {
        pinned_sweep +=
            " " + std::to_string(depths[d]) + ":" + std::to_string(static_cast<long>(OverallRate(pinned[d])));
      }
      const double median_mine = OverallRate(mine);
      // The best of five noisy rates overstates the best depth's true rate (with a spread of 10% between
      // runs, by about 12%: the expected maximum of five). Cross-validated, without that bias: the depth
      // chosen on the even rounds is measured on the odd ones, and the other way round; the mean of the two.
      double validated = 0;
      std::string validated_depths;
      if (opt.shape_rounds >= 2) {
        for (int half = 0; half < 2; ++half) {
          std::size_t chosen = 0;
          double chosen_rate = 0;
          std::vector<double> measured;
          for (std::size_t c = 0; c < configs.size(); ++c) {
            std::vector<double> pick;
            std::vector<double> check;
            for (std::size_t r = 0; r < bare[c].size(); ++r) {
              (static_cast<int>(r % 2) == half ? pick : check).push_back(bare[c][r]);
            }
            if (OverallRate(pick) > chosen_rate) {
              chosen_rate = OverallRate(pick);
              chosen = c;
              measured = check;
            }
          }
          validated += OverallRate(measured) / 2;
          validated_depths += (half == 0 ? "" : "/") + config_name(chosen);
        }
      }
      std::printf(
          "shape %-8s %zu znodes, overall rates of %d interleaved rounds: bare get_children2 by "
          "sessions x depth (znodes/s):%s; best %.0f at %s; exporter default %.0f/s (min %.0f, max %.0f) = "
          "%.2f of best; best configuration cross-validated (%s) %.0f/s: exporter = %.2f of it\n",
          shape.name.c_str(), expected, opt.shape_rounds, sweep.c_str(), best, best_config.c_str(),
          median_mine, *std::min_element(mine.begin(), mine.end()),
          *std::max_element(mine.begin(), mine.end()), median_mine / best, validated_depths.c_str(),
          validated, validated > 0 ? median_mine / validated : 0);
      std::printf(
          "  each default walk's window / sessions in use at its end @ its rate in znodes/s (%d warm-up "
          "walks first):%s\n",
          opt.shape_warmup, windows.c_str());
      std::printf("  the warm-up walks' rates (znodes/s, not counted above):%s\n", ramp.c_str());
      const ProcessUsage& best_usage = bare_usage[best_c];
      std::printf(
          "  this process's CPU per 1,000 znodes walked, user + system (the side request's thread included "
          "for the exporter): exporter %.1f + %.1f ms, bare client at %s %.1f + %.1f ms (the servers share "
          "these 2 cores); context switches per 1,000 znodes: exporter %.0f, bare %.0f\n",
          mine_usage.user_s * 1e3 / walked_per_config, mine_usage.system_s * 1e3 / walked_per_config,
          best_config.c_str(), best_usage.user_s * 1e3 / walked_per_config,
          best_usage.system_s * 1e3 / walked_per_config, mine_usage.switches / walked_per_config,
          best_usage.switches / walked_per_config);
      for (const auto& [depth, ms] : side_ms) {
        if (ms.empty()) continue;
        std::printf(
            "  a request beside the walk (%s): p50 %.1f ms, p99 %.1f ms, max %.1f ms (%zu requests)\n",
            depth == 0 ? "default window" : ("pinned at " + std::to_string(depth)).c_str(),
            Percentile(ms, 0.5), Percentile(ms, 0.99), *std::max_element(ms.begin(), ms.end()), ms.size());
      }
      if (opt.shape_exporter_sweep)
        std::printf("  exporter walk pinned at each depth, over %zu sessions:%s\n", opt.walk_sessions,
                    pinned_sweep.c_str());
      std::fflush(stdout);
      std::snprintf(
          line, sizeof line,
          "| shape %s, %zu znodes: exporter walk at defaults / best bare C client get_children2 "
          "(sessions x depth %s), overall rates of %d rounds | %.0f / %.0f znodes/s = **%.2f** (%.2f of "
          "the best configuration cross-validated) |\n",
          shape.name.c_str(), expected, best_config.c_str(), opt.shape_rounds, median_mine, best,
          median_mine / best, validated > 0 ? median_mine / validated : 0);
      md << line;
    }
    std::printf("\n");
  }

  // ---- over the watch budget: watch mode (falls back) against poll mode, on the largest tree
  // ----------------
  // Every size (the smaller ones are a reference for the walk rate), largest last.
  for (std::size_t k = 0; opt.Has("fallback") && k < roots.size(); ++k) {
    const std::string big = roots[k];
    const std::size_t size = opt.sizes[k];
    double first[2] = {0, 0};
    double peak[2] = {0, 0};
    double watched_bytes = -1;
    double walk_seconds[2] = {0, 0};
    double walked[2] = {0, 0};
    const char* modes[2] = {"poll", "watch"};
    for (int m = 0; m < 2; ++m) {
      const std::string config =
          "subtrees:\n  - root: " + big +
          "\n    refresh_interval: 5m\n    walk_timeout: 30m\n    refresh_mode: " + modes[m] +
          "\n    max_znodes: " + std::to_string(2 * size) + "\n";
      const auto t0 = Clock::now();
      // The session collector stays on: zookeeper_session_watched_path_bytes must be 0 after the fallback.
      test::ExporterProcess exporter = StartExporter(ensemble, dir, std::string("first-") + modes[m], config);
      const std::string series = "zookeeper_subtree_znodes{root=\"" + big + "\"}";
      std::string last;
      if (!exporter.WaitMetrics(
              [&](const std::string& body) {
                last = body;
                return SampleValue(body, series).value_or(0) > 0;
              },
              milliseconds(1800000))) {
        std::fprintf(stderr, "first-metric exporter (%s) not ready\n", modes[m]);
        return 1;
      }
      first[m] = Seconds(Clock::now() - t0);
      walked[m] = SampleValue(last, series).value_or(0);
      walk_seconds[m] =
          SampleValue(last, "zookeeper_subtree_refresh_duration_seconds{root=\"" + big + "\"}").value_or(0);
      std::this_thread::sleep_for(std::chrono::seconds(2));  // a second walk or a sync would show in the peak
      peak[m] = MemoryMb(exporter, "VmHWM");
      if (m == 1) {
        auto r = exporter.Get("/metrics");
        if (r.ok()) watched_bytes = SampleValue(r->body, "zookeeper_session_watched_path_bytes").value_or(-1);
      }
      std::printf(
          "%s mode, %zu-znode subtree over the watch budget: first metric after %.2f s (exporter start "
          "included), peak RSS %.1f MB; its walk: %.0f znodes in %.2f s (%.0f/s)\n",
          modes[m], size, first[m], peak[m], walked[m], walk_seconds[m],
          walked[m] / std::max(walk_seconds[m], 1e-9));
    }
    std::printf(
        "watch / poll: first metric %.2fx, peak RSS %.2fx; session watched path bytes after the "
        "fallback: %.0f\n\n",
        first[1] / first[0], peak[1] / peak[0], watched_bytes);
    std::snprintf(
        line, sizeof line,
        "| %zu-znode subtree over the watch budget: first metric, watch (falls back) / poll | %.2f s / "
        "%.2f s (%.2fx); peak RSS %.1f / %.1f MB (%.2fx); watched path bytes after: %.0f; poll walk %.0f "
        "znodes/s |\n",
        size, first[1], first[0], first[1] / first[0], peak[1], peak[0], peak[1] / peak[0], watched_bytes,
        walked[0] / std::max(walk_seconds[0], 1e-9));
    md << line;
  }

  // ---- quiet load: poll (30 s) vs watch, on the first (smallest) tree, or the largest (--watch-tree) -----
  const bool watch_largest = opt.watch_tree == "largest";
  const std::string small = watch_largest ? roots.back() : roots.front();
  const std::size_t small_size = watch_largest ? opt.sizes.back() : opt.sizes.front();
  std::vector<std::string> watch_flags;  // --watch-sessions: the exporter's --zookeeper.watch-sessions
  if (opt.watch_sessions > 0)
    watch_flags.push_back("--zookeeper.watch-sessions=" + std::to_string(opt.watch_sessions));
  if (opt.Has("load")) {
    double load[2] = {0, 0};
    const char* modes[2] = {"poll", "watch"};
    for (int m = 0; m < 2; ++m) {
      const std::string config =
          "subtrees:\n  - root: " + small +
          "\n    refresh_interval: 30s\n    walk_timeout: 30m\n    refresh_mode: " + modes[m] +
          "\n    max_znodes: " + std::to_string(2 * small_size) + "\n";
      const auto started = Clock::now();
      test::ExporterProcess exporter =
          StartExporter(ensemble, dir, std::string("load-") + modes[m], config, watch_flags);
      const std::string mode_series =
          "zookeeper_subtree_refresh_mode{mode=\"" + std::string(modes[m]) + "\",root=\"" + small + "\"}";
      if (!exporter.WaitMetrics(
              [&](const std::string& body) {
                // Watch mode: once its watched sync is done (its watched bytes are published with it).
                return SampleValue(body, mode_series).value_or(0) == 1 &&
                       SampleValue(body, "zookeeper_subtree_znodes{root=\"" + small + "\"}").value_or(0) >
                           0 &&
                       (m == 0 ||
                        SampleValue(body, "zookeeper_subtree_watched_path_bytes{root=\"" + small + "\"}")
                                .value_or(0) > 0);
              },
              milliseconds(600000))) {
        std::fprintf(stderr, "exporter (%s) not ready\n", modes[m]);
        return 1;
      }
      std::printf("%s mode on %s (%zu znodes): first full metrics %.1f s after exec\n", modes[m],
                  small.c_str(), small_size, Seconds(Clock::now() - started));
      std::this_thread::sleep_for(std::chrono::seconds(2));  // let the first walk's tail settle
      const double before = PacketsReceived(ensemble);
      std::this_thread::sleep_for(std::chrono::seconds(opt.quiet_seconds));
      load[m] = PacketsReceived(ensemble) - before;
      std::printf("quiet %ds, %s mode on %s: %.0f requests received by the ensemble\n", opt.quiet_seconds,
                  modes[m], small.c_str(), load[m]);
    }
    std::printf("watch-mode quiet load = %.2f%% of poll mode's\n\n",
                100.0 * load[1] / std::max(load[0], 1.0));
    std::snprintf(
        line, sizeof line,
        "| quiet load, %s, %d s: poll every 30 s / watch | %.0f / %.0f requests (watch = %.2f%% of poll) |\n",
        small.c_str(), opt.quiet_seconds, load[0], load[1], 100.0 * load[1] / std::max(load[0], 1.0));
    md << line;
  }

  // ---- change-to-metric latency in watch mode ---------------------------------------------------------
  if (opt.Has("latency")) {
    const std::string sub = small + "/n0";
    const std::string config = "subtrees:\n  - root: " + small +
                               "\n    refresh_mode: watch\n    walk_timeout: 30m\n    max_znodes: " +
                               std::to_string(2 * small_size) +
                               "\n    max_znode_series: " + std::to_string(opt.series) +
                               "\n    znode_patterns: [\"" + sub + "/**\"]\n";
    test::ExporterProcess exporter = StartExporter(ensemble, dir, "latency", config, watch_flags);
    if (!exporter.WaitMetrics(
            [&](const std::string& body) {
              return SampleValue(body,
                                 "zookeeper_subtree_refresh_mode{mode=\"watch\",root=\"" + small + "\"}")
                             .value_or(0) == 1 &&
                     SampleValue(body, "zookeeper_subtree_watched_path_bytes{root=\"" + small + "\"}")
                             .value_or(0) > 0;
            },
            milliseconds(600000))) {
      std::fprintf(stderr, "latency exporter not ready\n");
      return 1;
    }
    test::ZkTestClient writer;
    if (!writer.Connect(ensemble.ConnectString()).ok()) return 1;
    std::vector<double> latencies;
    std::size_t scrape_bytes = 0;
    int not_exported = 0;  // changes skipped: their znode has no series
    int not_seen = 0;      // changes not visible within 10 s (counted as 10 s)
    for (int i = 0; i < opt.changes; ++i) {
      const std::string path = sub + "/n" + std::to_string(i % 10) + "/n" + std::to_string((i / 10) % 10);
      const std::string series = "zookeeper_znode_version{path=\"" + path + "\",root=\"" + small + "\"}";
      auto first = exporter.Get("/metrics");
      if (!first.ok()) return 1;
      scrape_bytes = first->body.size();
      const double version = SampleValue(first->body, series).value_or(-1);
      if (version < 0) {  // not exported (max_znode_series reached): a change to it cannot show
        ++not_exported;
        continue;
      }
      const auto t0 = Clock::now();
      if (!writer.Set(path, "v" + std::to_string(i)).ok()) return 1;
      bool seen = false;
      while (!seen && Clock::now() - t0 < std::chrono::seconds(10)) {
        auto r = exporter.Get("/metrics");
        seen = r.ok() && SampleValue(r->body, series).value_or(-1) > version;
      }
      latencies.push_back(seen ? Seconds(Clock::now() - t0) : 10.0);
      if (!seen) ++not_seen;
    }
    if (latencies.empty()) return 1;
    std::printf(
        "change -> /metrics in watch mode on %s (%zu changes, /metrics %zu bytes): p50 %.0f ms, p99 %.0f ms, "
        "max "
        "%.0f ms; not seen within 10 s: %d; skipped, no series: %d\n\n",
        small.c_str(), latencies.size(), scrape_bytes, Percentile(latencies, 0.5) * 1000,
        Percentile(latencies, 0.99) * 1000, *std::max_element(latencies.begin(), latencies.end()) * 1000,
        not_seen, not_exported);
    std::snprintf(
        line, sizeof line,
        "| change -> /metrics, watch mode on %s (%zu changes; %d not seen within 10 s) | p50 %.0f ms, "
        "p99 %.0f ms |\n",
        small.c_str(), latencies.size(), not_seen, Percentile(latencies, 0.5) * 1000,
        Percentile(latencies, 0.99) * 1000);
    md << line;
  }

  if (opt.Has("reconnect")) {
    const std::string rows = ReconnectSection(ensemble, dir, small, small_size, watch_flags);
    if (rows.empty()) return 1;
    md << rows;
  }

  // ---- /metrics and RSS at every tree size, the same per-znode series cap ------------------------------
  // One exporter per tree, one after the other: /metrics latency with the same series count at every size
  // (the families depend on the series, not on the tree), and the exporter's memory.
  struct MetricsRun {
    double znodes = 0;
    std::size_t series = 0;
    double median_ms = 0;
    double max_ms = 0;
    double gzip_median_ms = 0;
    std::size_t bytes = 0;
    std::size_t gz_bytes = 0;
    double rss_walked = 0, rss_after = 0, rss_peak = 0;
  };
  std::vector<MetricsRun> metrics_runs;
  for (std::size_t k = 0; opt.Has("metrics") && k < roots.size(); ++k) {
    const std::string big = roots[k];
    const std::string config = "subtrees:\n  - root: " + big +
                               "\n    refresh_interval: 5m\n    walk_timeout: 30m\n    max_znodes: " +
                               std::to_string(2 * opt.sizes[k]) +
                               "\n"
                               "    max_znode_series: " +
                               std::to_string(opt.series) + "\n    znode_patterns: [\"" + big + "/**\"]\n";
    test::ExporterProcess exporter = StartExporter(ensemble, dir, "metrics" + std::to_string(k), config);
    if (!exporter.WaitMetrics(
            [&](const std::string& body) {
              return SampleValue(body, "zookeeper_subtree_znodes{root=\"" + big + "\"}").value_or(0) > 0;
            },
            milliseconds(1800000))) {
      std::fprintf(stderr, "metrics exporter not ready\n");
      return 1;
    }
    MetricsRun m;
    // The ready check above scraped already; the walk's own cost shows in the peak before that.
    m.rss_walked = MemoryMb(exporter, "VmRSS");
    std::vector<double> plain, gzip;
    std::string body;
    for (int i = 0; i < 10; ++i) {
      auto t0 = Clock::now();
      auto r = exporter.Get("/metrics");
      plain.push_back(Seconds(Clock::now() - t0));
      if (!r.ok()) return 1;
      body = std::move(r->body);
      t0 = Clock::now();
      auto gz = exporter.Get("/metrics", {{"Accept-Encoding", "gzip"}});
      gzip.push_back(Seconds(Clock::now() - t0));
      if (!gz.ok()) return 1;
      m.gz_bytes = gz->body.size();
    }
    m.znodes = SampleValue(body, "zookeeper_subtree_znodes{root=\"" + big + "\"}").value_or(0);
    for (std::size_t at = body.find("\nzookeeper_znode_version{"); at != std::string::npos;
         at = body.find("\nzookeeper_znode_version{", at + 1)) {
      ++m.series;
    }
    m.median_ms = Percentile(plain, 0.5) * 1000;
    m.max_ms = *std::max_element(plain.begin(), plain.end()) * 1000;
    m.gzip_median_ms = Percentile(gzip, 0.5) * 1000;
    m.bytes = body.size();
    m.rss_after = MemoryMb(exporter, "VmRSS");
    m.rss_peak = MemoryMb(exporter, "VmHWM");
    std::printf(
        "/metrics with %.0f tracked znodes, %zu per-znode series: median %.0f ms (max %.0f) plain, %.0f ms "
        "gzip, over 10 each; %zu bytes (%zu gzip)\nexporter RSS: %.1f MB walked, %.1f MB after 21 scrapes, "
        "peak %.1f MB\n",
        m.znodes, m.series, m.median_ms, m.max_ms, m.gzip_median_ms, m.bytes, m.gz_bytes, m.rss_walked,
        m.rss_after, m.rss_peak);
    std::snprintf(line, sizeof line,
                  "| /metrics, %.0f tracked znodes, %zu per-znode series | median %.0f ms plain, %.0f ms "
                  "gzip; %.1f MB (%.2f MB gzip) |\n"
                  "| exporter RSS at %.0f tracked znodes | %.1f MB after the walk, %.1f MB after 21 "
                  "scrapes, peak %.1f MB |\n",
                  m.znodes, m.series, m.median_ms, m.gzip_median_ms, static_cast<double>(m.bytes) / 1e6,
                  static_cast<double>(m.gz_bytes) / 1e6, m.znodes, m.rss_walked, m.rss_after, m.rss_peak);
    md << line;
    metrics_runs.push_back(m);
  }
  // Latency against the smallest tree that has the same number of series.
  for (std::size_t k = 1; k < metrics_runs.size(); ++k) {
    for (std::size_t j = 0; j < k; ++j) {
      if (metrics_runs[j].series != metrics_runs[k].series) continue;
      std::snprintf(line, sizeof line,
                    "| /metrics latency, %.0f / %.0f tracked znodes, %zu series each | %.2fx plain, %.2fx "
                    "gzip |\n",
                    metrics_runs[k].znodes, metrics_runs[j].znodes, metrics_runs[k].series,
                    metrics_runs[k].median_ms / metrics_runs[j].median_ms,
                    metrics_runs[k].gzip_median_ms / metrics_runs[j].gzip_median_ms);
      std::printf("%s", line);
      md << line;
      break;
    }
  }
  std::printf("\nREADME table:\n%s", md.str().c_str());
  return 0;
}

}  // namespace
}  // namespace zkx

int main(int argc, char** argv) {
  zkx::Options opt;
  zkx::bench::BenchFlags flags(argc, argv);
  flags.CountList("--sizes", opt.sizes, 1, 10'000'000);
  flags.Int("--quiet-seconds", opt.quiet_seconds, 1, 3600);
  flags.Int("--changes", opt.changes, 1, 100'000);
  flags.Count("--walk-sessions", opt.walk_sessions, 1, 64);
  flags.Count("--series", opt.series, 1, 10'000'000);
  flags.Count("--in-flight", opt.in_flight, 1, 1'000'000);
  flags.Count("--shape-znodes", opt.shape_znodes, 100, 10'000'000);
  flags.Int("--shape-rounds", opt.shape_rounds, 1, 1000);
  flags.Int("--shape-warmup", opt.shape_warmup, 0, 1000);
  flags.Choice("--watch-tree", opt.watch_tree, {"smallest", "largest"});
  flags.Count("--watch-sessions", opt.watch_sessions, 0, 64);
  flags.Int("--shape-member", opt.shape_member, 0, 2);
  flags.CountList("--shape-sessions", opt.shape_sessions, 1, 64);
  flags.Text("--shapes", opt.shape_filter);
  std::string sweep = opt.shape_exporter_sweep ? "1" : "0";
  flags.Choice("--shape-exporter-sweep", sweep, {"0", "1"});
  opt.shape_exporter_sweep = sweep == "1";
  flags.Text("--sections", opt.sections);
  std::string baselines = opt.slow_baselines ? "all" : "pipelined";
  flags.Choice("--baselines", baselines, {"all", "pipelined"});
  opt.slow_baselines = baselines == "all";
  if (!flags.Finish(
          "usage: scale_bench [--sizes 10000,100000] [--quiet-seconds 60] [--changes 100] "
          "[--series 10000] [--in-flight 2048] [--walk-sessions 4] "
          "[--sections walks,shapes,load,latency,reconnect,metrics,fallback] [--shape-znodes 20000] "
          "[--shape-rounds 3] [--shape-warmup 1] [--shapes wide,deep,balanced,random] "
          "[--shape-exporter-sweep 0|1] [--shape-member 0] [--shape-sessions 1,4] "
          "[--watch-tree smallest|largest] [--watch-sessions N] [--baselines all|pipelined]")) {
    return 2;
  }
  return zkx::Run(opt);
}
