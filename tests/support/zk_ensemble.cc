#include "tests/support/zk_ensemble.h"

#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string>
#include <system_error>
#include <thread>

#include <fcntl.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tests/support/tls_pki.h"
#include "tests/support/wait_and_ports.h"

namespace zkx::test {
namespace {

// True when every thread of `pid` is in the stopped state ('T' in /proc/<pid>/task/<tid>/stat).
bool AllThreadsStopped(pid_t pid) {
  std::error_code ec;
  const std::filesystem::path tasks = "/proc/" + std::to_string(pid) + "/task";
  bool any = false;
  for (const auto& entry : std::filesystem::directory_iterator(tasks, ec)) {
    std::ifstream stat(entry.path() / "stat");
    std::string text((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
    const auto close = text.rfind(')');
    if (close == std::string::npos || close + 2 >= text.size()) continue;  // the thread has just ended
    if (text[close + 2] != 'T' && text[close + 2] != 't') return false;
    any = true;
  }
  return any;
}

namespace fs = std::filesystem;
using std::chrono::milliseconds;
using Clock = std::chrono::steady_clock;

constexpr const char* kJars[] = {"/usr/share/java/zookeeper.jar", "/usr/share/java/slf4j-simple.jar",
                                 "/usr/share/java/servlet-api.jar"};
constexpr milliseconds kStopGrace{5000};
constexpr int kStartAttempts = 3;  // a free port can be taken between choosing it and the JVM binding it

std::string Errno(const std::string& what) {
  return what + ": " + std::strerror(errno);
}

// The JVM command line for one server. Built before fork: the child only calls async-signal-safe functions.
std::vector<std::string> JavaArgs(const ZkEnsembleOptions& options, const std::string& conf_dir) {
  std::string classpath = conf_dir;
  for (const char* jar : kJars) classpath += std::string(":") + jar;
  // Netty's server pipeline needs netty-codec, which zookeeper.jar's manifest class path leaves out.
  if (options.secure_client_port) classpath += ":/usr/share/java/netty-codec.jar";
  std::vector<std::string> args{options.java};
  args.insert(args.end(), options.jvm_flags.begin(), options.jvm_flags.end());
  args.insert(args.end(),
              {"-cp", classpath, "org.apache.zookeeper.server.quorum.QuorumPeerMain", conf_dir + "/zoo.cfg"});
  return args;
}

}  // namespace

ZkEnsembleOptions ZkEnsembleOptions::ShortSessions(int servers) {
  ZkEnsembleOptions o;
  o.servers = servers;
  o.tick_time_ms = 500;
  o.min_session_timeout_ms = 1000;
  o.max_session_timeout_ms = 60000;
  return o;
}

ZkEnsemble::ZkEnsemble(ZkEnsembleOptions options) : options_(std::move(options)) {}

ZkEnsemble::~ZkEnsemble() {
  Stop();
  if (owns_base_dir_ && std::getenv("ZKX_KEEP_TEST_DIRS") == nullptr) {
    std::error_code ec;
    fs::remove_all(base_dir_, ec);
  }
}

std::string ZkEnsemble::ServerDir(int i) const {
  return base_dir_ + "/server-" + std::to_string(servers_.at(static_cast<std::size_t>(i)).myid);
}
std::string ZkEnsemble::LogPath(int i) const {
  return ServerDir(i) + "/server.log";
}
uint16_t ZkEnsemble::ClientPort(int i) const {
  return servers_.at(static_cast<std::size_t>(i)).client_port;
}
uint16_t ZkEnsemble::AdminPort(int i) const {
  return servers_.at(static_cast<std::size_t>(i)).admin_port;
}
pid_t ZkEnsemble::Pid(int i) const {
  return servers_.at(static_cast<std::size_t>(i)).pid;
}
bool ZkEnsemble::IsPaused(int i) const {
  return servers_.at(static_cast<std::size_t>(i)).paused;
}

std::string ZkEnsemble::ServerAddress(int i) const {
  return "127.0.0.1:" + std::to_string(ClientPort(i));
}

std::string ZkEnsemble::ConnectString() const {
  std::string out;
  for (int i = 0; i < size(); ++i) {
    if (!out.empty()) out += ',';
    out += ServerAddress(i);
  }
  return out;
}

Status ZkEnsemble::Prepare() {
  if (options_.servers != 1 && options_.servers != 3) {
    return Status::InvalidArgument("ZkEnsemble: servers must be 1 or 3, got " +
                                   std::to_string(options_.servers));
  }
  for (const char* jar : kJars) {
    if (::access(jar, R_OK) != 0) {
      return Status::NotFound(std::string("ZkEnsemble: missing ") + jar +
                              " (apt-get install zookeeper libservlet-api-java libslf4j-java)");
    }
  }
  if (::access(options_.java.c_str(), X_OK) != 0) {
    return Status::NotFound("ZkEnsemble: no java at " + options_.java);
  }
  if (base_dir_.empty()) {
    if (options_.base_dir.empty()) {
      std::string templ = "/tmp/zkx-ensemble-XXXXXX";
      if (::mkdtemp(templ.data()) == nullptr) return Status::Internal(Errno("mkdtemp " + templ));
      base_dir_ = templ;
      owns_base_dir_ = true;
    } else {
      std::error_code ec;
      fs::create_directories(options_.base_dir, ec);
      if (ec) return Status::Internal("create " + options_.base_dir + ": " + ec.message());
      base_dir_ = fs::absolute(options_.base_dir).string();
    }
  }
  servers_.assign(static_cast<std::size_t>(options_.servers), Server{});
  for (int i = 0; i < size(); ++i) {
    servers_[static_cast<std::size_t>(i)].myid = i + 1;
  }
  return Status::Ok();
}

Status ZkEnsemble::WriteConfig(int i) const {
  const Server& s = servers_.at(static_cast<std::size_t>(i));
  const std::string dir = ServerDir(i);
  std::error_code ec;
  fs::create_directories(dir + "/conf", ec);
  if (!ec) fs::create_directories(dir + "/data", ec);
  if (ec) return Status::Internal("create " + dir + ": " + ec.message());

  std::ostringstream cfg;
  cfg << "tickTime=" << options_.tick_time_ms << "\n"
      << "initLimit=" << options_.init_limit << "\n"
      << "syncLimit=" << options_.sync_limit << "\n"
      << "dataDir=" << dir << "/data\n"
      << (options_.secure_client_port ? "secureClientPort=" : "clientPort=") << s.client_port << "\n"
      << (options_.secure_client_port ? "secureClientPortAddress=" : "clientPortAddress=") << "127.0.0.1\n"
      << "maxClientCnxns=0\n";
  if (options_.secure_client_port)
    cfg << "serverCnxnFactory=org.apache.zookeeper.server.NettyServerCnxnFactory\n";
  if (options_.min_session_timeout_ms > 0)
    cfg << "minSessionTimeout=" << options_.min_session_timeout_ms << "\n";
  if (options_.max_session_timeout_ms > 0)
    cfg << "maxSessionTimeout=" << options_.max_session_timeout_ms << "\n";
  cfg << "4lw.commands.whitelist=" << options_.four_letter_word_whitelist << "\n";
  if (options_.admin_server) {
    cfg << "admin.enableServer=true\n"
        << "admin.serverAddress=127.0.0.1\n"
        << "admin.serverPort=" << s.admin_port << "\n";
  } else {
    cfg << "admin.enableServer=false\n";
  }
  cfg << "skipACL=no\n"
      << "forceSync=" << (options_.force_sync ? "yes" : "no") << "\n"
      << "quorumListenOnAllIPs=false\n";
  if (size() > 1) {
    for (const Server& peer : servers_) {
      cfg << "server." << peer.myid << "=127.0.0.1:" << peer.peer_port << ":" << peer.election_port << "\n";
    }
  }
  for (const std::string& line : options_.extra_config) cfg << line << "\n";

  {
    std::ofstream out(dir + "/conf/zoo.cfg", std::ios::trunc);
    out << cfg.str();
    if (!out) return Status::Internal("write " + dir + "/conf/zoo.cfg");
  }
  std::ofstream myid(dir + "/data/myid", std::ios::trunc);
  myid << s.myid << "\n";
  if (!myid) return Status::Internal("write " + dir + "/data/myid");
  return Status::Ok();
}

Status ZkEnsemble::Spawn(int i) {
  Server& s = servers_.at(static_cast<std::size_t>(i));
  if (s.pid > 0) return Status::Internal("server " + std::to_string(i) + " already running");
  const std::string dir = ServerDir(i);
  const std::string log_path = LogPath(i);
  std::vector<std::string> args = JavaArgs(options_, dir + "/conf");
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);

  // Opened before fork (O_CLOEXEC: it does not leak into other children); dup2 in the child clears CLOEXEC.
  int log_fd = ::open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (log_fd < 0) return Status::Internal(Errno("open " + log_path));
  int null_fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  if (null_fd < 0) {
    ::close(log_fd);
    return Status::Internal(Errno("open /dev/null"));
  }
  const pid_t parent = ::getpid();
  pid_t pid = ::fork();
  if (pid < 0) {
    ::close(log_fd);
    ::close(null_fd);
    return Status::Internal(Errno("fork"));
  }
  if (pid == 0) {
    // Child: async-signal-safe calls only until exec.
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(127);  // the parent died before prctl took effect
    ::setpgid(0, 0);  // a terminal's Ctrl-C goes to the parent, which stops us cleanly
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none,
                  nullptr);  // the parent may block signals (sigwait); exec keeps the mask
    struct sigaction dfl {};
    dfl.sa_handler = SIG_DFL;
    for (int sig : {SIGTERM, SIGINT, SIGPIPE, SIGHUP}) ::sigaction(sig, &dfl, nullptr);
    ::dup2(null_fd, STDIN_FILENO);
    ::dup2(log_fd, STDOUT_FILENO);
    ::dup2(log_fd, STDERR_FILENO);
    ::close_range(3, ~0U, 0);
    if (::chdir(dir.c_str()) != 0) ::_exit(127);
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  ::close(log_fd);
  ::close(null_fd);
  s.pid = pid;
  s.paused = false;
  return Status::Ok();
}

Status ZkEnsemble::Start() {
  if (started_) return Status::InvalidArgument("ZkEnsemble::Start called twice");
  started_ = true;
  if (Status st = Prepare(); !st.ok()) return st;

  Status last;
  for (int attempt = 1; attempt <= kStartAttempts; ++attempt) {
    auto ports = FreeLoopbackPorts(static_cast<std::size_t>(4 * size()));
    if (!ports.ok()) return ports.status();
    for (int i = 0; i < size(); ++i) {
      Server& s = servers_[static_cast<std::size_t>(i)];
      const std::size_t base = static_cast<std::size_t>(4 * i);
      s.client_port = (*ports)[base];
      s.peer_port = (*ports)[base + 1];
      s.election_port = (*ports)[base + 2];
      s.admin_port = options_.admin_server ? (*ports)[base + 3] : 0;
    }
    for (int i = 0; i < size(); ++i) {  // every config lists every peer's ports
      if (Status st = WriteConfig(i); !st.ok()) return st;
    }
    for (int i = 0; i < size(); ++i) {
      if (Status st = Spawn(i); !st.ok()) {
        Stop();
        return st;
      }
    }
    last = WaitForQuorum(options_.start_timeout);
    if (last.ok()) return last;

    bool port_clash = false;
    std::string detail;
    for (int i = 0; i < size(); ++i) {
      std::string tail = LogTail(i);
      if (tail.find("Address already in use") != std::string::npos) port_clash = true;
      detail += "\n--- server " + std::to_string(i) + " (" + LogPath(i) + ") ---\n" + tail;
    }
    Stop();
    last = Status(last.code(), "ZkEnsemble::Start: " + last.message() + detail);
    if (!port_clash) break;
    // Fresh logs for the retry.
    for (int i = 0; i < size(); ++i) {
      std::error_code ec;
      fs::remove(LogPath(i), ec);
    }
  }
  return last;
}

Result<std::string> ZkEnsemble::FourLetterWord(int i, const std::string& command) const {
  return FourLetterWordTo(ClientPort(i), command, milliseconds(5000));
}

long ZkEnsemble::DataWatches(int i) const {
  Result<std::string> wchs = FourLetterWord(i, "wchs");
  if (!wchs.ok()) return -1;
  const std::size_t at = wchs->find("Total watches:");
  return at == std::string::npos ? -1 : std::stol(wchs->substr(at + 14));
}

Result<int> ZkEnsemble::ClientSessions() const {
  int sessions = 0;
  for (int i = 0; i < size(); ++i) {
    Result<std::string> cons = FourLetterWord(i, "cons");
    if (!cons.ok()) return cons.status();
    for (std::size_t at = cons->find("sid=0x"); at != std::string::npos; at = cons->find("sid=0x", at + 1)) {
      ++sessions;
    }
  }
  return sessions;
}

Result<std::string> ZkEnsemble::ServerMode(int i) const {
  if (options_.secure_client_port) return AdminServerMode(AdminPort(i));  // no plain port: tls_pki.cc
  auto out = FourLetterWord(i, "srvr");
  if (!out.ok()) return out.status();
  std::string mode = ParseServerMode(*out);
  if (mode.empty()) {
    std::string first_line = out->substr(0, out->find('\n'));
    return Status::Unavailable("server " + std::to_string(i) + " has no Mode: " + first_line);
  }
  return mode;
}

Result<int> ZkEnsemble::LeaderIndex() const {
  int leader = -1;
  int count = 0;
  for (int i = 0; i < size(); ++i) {
    const Server& s = servers_[static_cast<std::size_t>(i)];
    if (s.pid <= 0 || s.paused) continue;
    auto mode = ServerMode(i);
    if (mode.ok() && (*mode == "leader" || *mode == "standalone")) {
      leader = i;
      ++count;
    }
  }
  if (count != 1) return Status::Unavailable(std::to_string(count) + " leaders");
  return leader;
}

Status ZkEnsemble::WaitForQuorum(milliseconds timeout) {
  std::string why = "no server running";
  bool dead = false;
  bool ok = WaitFor(
      [&] {
        int leaders = 0;
        int live = 0;
        for (int i = 0; i < size(); ++i) {
          Server& s = servers_[static_cast<std::size_t>(i)];
          if (s.pid <= 0 || s.paused) continue;
          if (!IsRunning(i)) {
            why = "server " + std::to_string(i) + " exited";
            dead = true;
            return true;  // stop waiting: it will not come back by itself
          }
          ++live;
          auto mode = ServerMode(i);
          if (!mode.ok()) {
            why = mode.status().message();
            return false;
          }
          if (*mode == "leader" || *mode == "standalone") ++leaders;
        }
        if (live == 0) return false;
        why = std::to_string(leaders) + " leaders among " + std::to_string(live) + " servers";
        return leaders == 1;
      },
      timeout, milliseconds(100));
  if (dead) return Status::Unavailable(why);
  if (!ok)
    return Status::DeadlineExceeded("no quorum within " + std::to_string(timeout.count()) + " ms: " + why);
  return Status::Ok();
}

Status ZkEnsemble::WaitServing(int i, milliseconds timeout) {
  std::string why;
  bool dead = false;
  bool ok = WaitFor(
      [&] {
        if (!IsRunning(i)) {
          dead = true;
          return true;
        }
        auto mode = ServerMode(i);
        if (!mode.ok()) why = mode.status().message();
        return mode.ok();
      },
      timeout, milliseconds(100));
  if (dead) return Status::Unavailable("server " + std::to_string(i) + " exited:\n" + LogTail(i));
  if (!ok) {
    return Status::DeadlineExceeded("server " + std::to_string(i) + " not serving within " +
                                    std::to_string(timeout.count()) + " ms: " + why);
  }
  return Status::Ok();
}

bool ZkEnsemble::IsRunning(int i) {
  Server& s = servers_.at(static_cast<std::size_t>(i));
  if (s.pid <= 0) return false;
  int status = 0;
  pid_t r = ::waitpid(s.pid, &status, WNOHANG);
  if (r == s.pid || (r < 0 && errno == ECHILD)) {
    s.pid = 0;
    s.paused = false;
    return false;
  }
  return true;
}

void ZkEnsemble::Kill(int i) {
  Server& s = servers_.at(static_cast<std::size_t>(i));
  if (s.pid <= 0) return;
  ::kill(s.pid, SIGKILL);
  int status = 0;
  while (::waitpid(s.pid, &status, 0) < 0 && errno == EINTR) {
  }
  s.pid = 0;
  s.paused = false;
}

void ZkEnsemble::Pause(int i) {
  Server& s = servers_.at(static_cast<std::size_t>(i));
  if (s.pid <= 0 || s.paused) return;
  ::kill(s.pid, SIGSTOP);
  s.paused = true;
  // SIGSTOP takes effect asynchronously, thread by thread: wait until every thread of the JVM is stopped, so
  // that a caller's next request really meets a hung server (on a loaded machine a JVM thread could still
  // answer one).
  (void)WaitFor([pid = s.pid] { return AllThreadsStopped(pid); }, std::chrono::seconds(5),
                std::chrono::milliseconds(5));
}

void ZkEnsemble::Resume(int i) {
  Server& s = servers_.at(static_cast<std::size_t>(i));
  if (s.pid <= 0 || !s.paused) return;
  ::kill(s.pid, SIGCONT);
  s.paused = false;
}

Status ZkEnsemble::Restart(int i) {
  if (!started_ || i < 0 || i >= size())
    return Status::InvalidArgument("Restart: no server " + std::to_string(i));
  if (IsRunning(i)) {
    Server& s = servers_[static_cast<std::size_t>(i)];
    ::kill(s.pid, SIGTERM);
    if (s.paused) ::kill(s.pid, SIGCONT);
    Reap(i, kStopGrace);
  }
  if (Status st = Spawn(i); !st.ok()) return st;
  return WaitServing(i, options_.start_timeout);
}

Status ZkEnsemble::StartStopped() {
  if (!started_) return Status::InvalidArgument("StartStopped: the ensemble was never started");
  for (int i = 0; i < size(); ++i) {
    if (IsRunning(i)) continue;
    if (Status st = Spawn(i); !st.ok()) return st;
  }
  return WaitForQuorum(options_.start_timeout);
}

void ZkEnsemble::Reap(int i, milliseconds grace) {
  Server& s = servers_.at(static_cast<std::size_t>(i));
  if (s.pid <= 0) return;
  WaitFor([&] { return !IsRunning(i); }, grace, milliseconds(20));
  Kill(i);
}

void ZkEnsemble::Stop() {
  bool any = false;
  for (Server& s : servers_) {
    if (s.pid <= 0) continue;
    any = true;
    ::kill(s.pid, SIGTERM);
    if (s.paused) ::kill(s.pid, SIGCONT);
  }
  if (!any) return;
  WaitFor(
      [&] {
        bool all_gone = true;
        for (int i = 0; i < size(); ++i) all_gone = !IsRunning(i) && all_gone;
        return all_gone;
      },
      kStopGrace, milliseconds(20));
  for (int i = 0; i < size(); ++i) Kill(i);
}

std::string ZkEnsemble::LogTail(int i) const {
  constexpr off_t kTail = 3000;
  const int fd = ::open(LogPath(i).c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return "(no log)";
  struct stat st {};
  std::string text;
  if (::fstat(fd, &st) == 0) {
    const off_t from = st.st_size > kTail ? st.st_size - kTail : 0;
    text.resize(static_cast<std::size_t>(st.st_size - from));
    const ssize_t n = ::pread(fd, text.data(), text.size(), from);
    text.resize(n > 0 ? static_cast<std::size_t>(n) : 0);
  }
  ::close(fd);
  return text;
}

}  // namespace zkx::test
