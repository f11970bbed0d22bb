#include "tests/container/container_util.h"

#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string_view>
#include <thread>

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

namespace zkx::test::container {

namespace {

Output RunWith(const std::vector<std::string>& argv, std::chrono::seconds timeout, bool podman_env) {
  Output out;
  char log_template[] = "/tmp/zkx-container-run-XXXXXX";
  const int log_fd = mkstemp(log_template);
  if (log_fd < 0) return out;
  const std::string log_path = log_template;
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  // The environment is built before fork(): the child only calls async-signal-safe functions.
  const std::string podman_conf = "CONTAINERS_CONF=" ZKX_SOURCE_DIR "/tests/container/containers.conf";
  std::vector<char*> env;
  for (char** e = environ; *e != nullptr; ++e) {
    if (!podman_env || std::string_view(*e).rfind("CONTAINERS_CONF=", 0) != 0) env.push_back(*e);
  }
  if (podman_env) env.push_back(const_cast<char*>(podman_conf.c_str()));
  env.push_back(nullptr);
  const pid_t pid = fork();
  if (pid == 0) {
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    const int null_fd = open("/dev/null", O_RDONLY);
    dup2(null_fd, STDIN_FILENO);
    dup2(log_fd, STDOUT_FILENO);
    dup2(log_fd, STDERR_FILENO);
    execve(args[0], args.data(), env.data());
    _exit(127);
  }
  close(log_fd);
  bool timed_out = false;
  if (pid > 0) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    int status = 0;
    pid_t done = 0;
    while ((done = waitpid(pid, &status, WNOHANG)) == 0 && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    if (done == 0) {
      timed_out = true;
      kill(pid, SIGKILL);
      waitpid(pid, &status, 0);
    } else if (done == pid) {
      out.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    }
  }
  out.text = ReadFile(log_path);
  if (timed_out) out.text += "[killed: still running after " + std::to_string(timeout.count()) + " s]\n";
  unlink(log_path.c_str());
  return out;
}

}  // namespace

Output Run(const std::vector<std::string>& argv, std::chrono::seconds timeout) {
  return RunWith(argv, timeout, false);
}

Output Podman(const std::vector<std::string>& args, std::chrono::seconds timeout) {
  std::vector<std::string> argv = {ZKX_PODMAN_BIN, "--runtime=runc", "--cgroup-manager=cgroupfs"};
  argv.insert(argv.end(), args.begin(), args.end());
  return RunWith(argv, timeout, true);
}

std::vector<std::string> RunLimits() {
  return {"--ulimit", "nofile=20000:20000", "--ulimit", "nproc=4096:4096"};
}

std::string TempDir(const std::string& prefix) {
  std::string t = "/tmp/" + prefix + "-XXXXXX";
  if (mkdtemp(t.data()) == nullptr) return "";
  return t;
}

void RemoveTree(const std::string& dir) {
  if (dir.empty() || std::getenv("ZKX_KEEP_TEST_DIRS") != nullptr) return;
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
}

void WriteFile(const std::string& path, const std::string& text) {
  std::ofstream(path, std::ios::binary | std::ios::trunc) << text;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string SourcePath(const std::string& relative) {
  return std::string(ZKX_SOURCE_DIR) + "/" + relative;
}

ScopedContainer::~ScopedContainer() {
  Podman({"rm", "-f", "-t", "5", name_});
}

ScopedPod::~ScopedPod() {
  Podman({"pod", "rm", "-f", "-t", "5", name_});
}

std::string Inspect(const std::string& name, const std::string& format) {
  const Output o = Podman({"inspect", "--format", format, name});
  if (o.exit_code != 0) return "";
  std::string s = o.text;
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

}  // namespace zkx::test::container
