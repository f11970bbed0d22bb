#pragma once
// ZkEnsemble: 1 or 3 real ZooKeeper 3.8 servers (Debian's `zookeeper` package) as child processes of the
// test, on free loopback ports, under a temporary directory. For integration / e2e tests and the README's
// demo.
//
// Each server i (0-based; myid i+1) lives in <base>/server-<i+1>/ with conf/zoo.cfg, data/myid and server.log
// (the JVM's stdout + stderr). Servers are started with fork + exec of java (no shell) and get
// PR_SET_PDEATHSIG(SIGKILL): if the test process dies they die too. NOTE: the death signal follows the
// *thread* that forked, so call Start()/Restart() from a thread that outlives the ensemble (e.g. the test's
// main thread).
//
// Everything binds 127.0.0.1 only. The destructor stops every server (SIGTERM, SIGKILL after 5 s) and removes
// the temporary base directory it created, unless the environment variable ZKX_KEEP_TEST_DIRS is set
// (a base_dir given in the options is never removed).
//
// Thread-safety: not thread-safe; one thread drives an ensemble. The const queries (ports, ConnectString,
// FourLetterWord, ServerMode) may be called from other threads while no mutating call runs.

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include <sys/types.h>

#include "base/status.h"

namespace zkx::test {

struct ZkEnsembleOptions {
  int servers = 1;         // 1 (standalone) or 3 (quorum)
  std::string base_dir{};  // empty: mkdtemp("/tmp/zkx-ensemble-XXXXXX"), removed by the destructor
  // Session-timeout bounds follow tickTime: the server allows [2, 20] x tickTime unless min/max are set.
  // For short sessions (e.g. 4000 ms) use ShortSessions() (tickTime 500).
  int tick_time_ms = 2000;
  int min_session_timeout_ms = 0;  // 0: server default (2 x tickTime)
  int max_session_timeout_ms = 0;  // 0: server default (20 x tickTime)
  int init_limit = 10;
  int sync_limit = 5;
  std::string four_letter_word_whitelist = "*";  // 4lw.commands.whitelist
  bool admin_server = true;  // AdminServer (Jetty) on 127.0.0.1:<free port>; AdminPort(i) is 0 when off
  // forceSync=no: the txn log is not fsynced per commit. Tests don't need durability across power loss, and
  // fsync on a shared 2-core box makes bulk creates slow. Set true to measure with production settings.
  bool force_sync = false;
  std::vector<std::string> extra_config{};  // extra zoo.cfg lines, appended verbatim ("key=value")
  // TLS-only clients: the client port becomes secureClientPort (Netty; put the ssl.* lines in extra_config,
  // e.g. from tests/support/tls_pki.h) and no plain clientPort is opened. Four-letter words then fail;
  // ServerMode/readiness use the AdminServer's `srvr` command over HTTP instead (admin_server must be on).
  bool secure_client_port = false;
  std::chrono::milliseconds start_timeout{60000};  // Start(): every server serving + one leader
  std::string java = "/usr/bin/java";
  // JVM flags before the class path; the defaults keep each server small (2-core machines).
  std::vector<std::string> jvm_flags = {"-Xms64m",
                                        "-Xmx256m",
                                        "-XX:+UseSerialGC",
                                        "-XX:TieredStopAtLevel=1",
                                        "-XX:-UsePerfData",
                                        "-Djava.net.preferIPv4Stack=true",
                                        "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn",
                                        "-Dorg.slf4j.simpleLogger.showDateTime=true"};

  // tickTime 500 ms, sessions allowed from 1000 to 60000 ms: for tests of session expiry (e.g. 4000 ms).
  static ZkEnsembleOptions ShortSessions(int servers);
};

class ZkEnsemble {
 public:
  explicit ZkEnsemble(ZkEnsembleOptions options = {});
  ~ZkEnsemble();  // Stop() + remove the temp dir (see above)

  ZkEnsemble(const ZkEnsemble&) = delete;
  ZkEnsemble& operator=(const ZkEnsemble&) = delete;

  // Creates the directories and configs, picks free ports, starts every server, and returns once every
  // server answers `srvr` with a Mode and the ensemble has exactly one leader (or one standalone server).
  // On failure, everything started is stopped and the message names the server and the tail of its log.
  // Call once.
  Status Start();

  // Stops every running server: SIGTERM (and SIGCONT for paused ones), SIGKILL those still alive after 5 s.
  // Idempotent.
  void Stop();

  [[nodiscard]] int size() const { return static_cast<int>(servers_.size()); }
  // "127.0.0.1:p1,127.0.0.1:p2,127.0.0.1:p3" (valid after Start()).
  [[nodiscard]] std::string ConnectString() const;
  // "127.0.0.1:p" of server i only.
  [[nodiscard]] std::string ServerAddress(int i) const;
  [[nodiscard]] uint16_t ClientPort(int i) const;
  [[nodiscard]] uint16_t AdminPort(int i) const;  // 0 when the AdminServer is off
  [[nodiscard]] const std::string& base_dir() const { return base_dir_; }
  [[nodiscard]] std::string ServerDir(int i) const;  // <base>/server-<i+1>
  [[nodiscard]] std::string LogPath(int i) const;    // <base>/server-<i+1>/server.log
  [[nodiscard]] pid_t Pid(int i) const;              // 0 when not running

  // SIGKILL + waitpid. No-op if not running.
  void Kill(int i);
  // SIGSTOP / SIGCONT: the process stays alive but stops answering (a "hung" server).
  void Pause(int i);
  void Resume(int i);
  // Stops server i if it is running, starts it again with the same ports and data, and waits (up to the start
  // timeout) until it answers `srvr` with a Mode. Does not wait for the rest of the ensemble.
  Status Restart(int i);
  // Starts every server that is not running (same ports and data) and waits for a quorum with one leader.
  // Use it to bring back a whole ensemble: Restart(i) of one member alone waits for a quorum that cannot
  // form.
  Status StartStopped();
  // True if the process exists (paused counts as running). Reaps it if it has exited.
  bool IsRunning(int i);
  [[nodiscard]] bool IsPaused(int i) const;

  // Sends a four-letter word to server i's client port (5 s timeout).
  [[nodiscard]] Result<std::string> FourLetterWord(int i, const std::string& command) const;
  // Client sessions connected to the ensemble now: the `sid=` entries of every member's `cons` (the
  // four-letter word's own connection has none). An error if a member did not answer.
  [[nodiscard]] Result<int> ClientSessions() const;
  // The data and exists watches server i holds over every connection: "Total watches:N" of its `wchs` (the
  // 3.8 server's summary leaves child watches out); -1 if it did not answer.
  [[nodiscard]] long DataWatches(int i) const;
  // "leader", "follower", "standalone" (from `srvr`), or an error (not serving, down, not whitelisted).
  [[nodiscard]] Result<std::string> ServerMode(int i) const;
  // The index of the current leader (or standalone server), or an error if there is not exactly one.
  [[nodiscard]] Result<int> LeaderIndex() const;
  // Waits until every running, unpaused server reports a Mode and exactly one reports leader/standalone.
  Status WaitForQuorum(std::chrono::milliseconds timeout);

 private:
  struct Server {
    int myid = 0;
    uint16_t client_port = 0;
    uint16_t peer_port = 0;
    uint16_t election_port = 0;
    uint16_t admin_port = 0;
    pid_t pid = 0;
    bool paused = false;
  };

  Status Prepare();
  Status WriteConfig(int i) const;
  Status Spawn(int i);
  Status WaitServing(int i, std::chrono::milliseconds timeout);
  void Reap(int i, std::chrono::milliseconds grace);
  [[nodiscard]] std::string LogTail(int i) const;

  ZkEnsembleOptions options_;
  std::string base_dir_;
  bool owns_base_dir_ = false;
  bool started_ = false;
  std::vector<Server> servers_;
};

}  // namespace zkx::test
