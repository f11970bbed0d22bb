// RunZkCli (see zk_cli.h): fork + exec of zkCli.sh with a commands file as stdin and an output file.
#include "tests/support/zk_cli.h"

#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include <fcntl.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

namespace zkx::test {
namespace {

std::string Slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

std::string Tail(const std::string& s, std::size_t n = 2000) {
  return s.size() <= n ? s : s.substr(s.size() - n);
}

}  // namespace

Result<std::string> RunZkCli(const std::string& server, const std::vector<std::string>& commands,
                             std::chrono::milliseconds timeout) {
  if (server.rfind("127.0.0.1:", 0) != 0) {
    return Status::InvalidArgument("RunZkCli talks to loopback servers only, not " + server);
  }
  char dir_template[] = "/tmp/zkx-zkcli-XXXXXX";
  if (mkdtemp(dir_template) == nullptr) return Status::Unavailable("mkdtemp failed");
  const std::string dir = dir_template;
  const std::string in_path = dir + "/commands";
  const std::string out_path = dir + "/output";
  {
    std::ofstream in(in_path);
    for (const auto& c : commands) in << c << "\n";
  }
  const int in_fd = open(in_path.c_str(), O_RDONLY | O_CLOEXEC);
  const int out_fd = open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (in_fd < 0 || out_fd < 0) {
    if (in_fd >= 0) close(in_fd);
    if (out_fd >= 0) close(out_fd);
    std::filesystem::remove_all(dir);
    return Status::Unavailable("cannot open zkCli's input or output file under " + dir);
  }
  const pid_t pid = fork();
  if (pid == 0) {
    setpgid(0, 0);
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    dup2(in_fd, STDIN_FILENO);
    dup2(out_fd, STDOUT_FILENO);
    dup2(out_fd, STDERR_FILENO);
    // A small JVM: the client needs little, and the machine is shared.
    setenv("CLIENT_JVMFLAGS", "-Xmx64m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -XX:-UsePerfData", 1);
    execl(kZkCliPath, kZkCliPath, "-server", server.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  close(in_fd);
  close(out_fd);
  if (pid < 0) {
    std::filesystem::remove_all(dir);
    return Status::Unavailable("fork failed");
  }
  setpgid(pid, pid);  // also from the parent: no race with the kill below
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  int status = 0;
  pid_t done = 0;
  while ((done = waitpid(pid, &status, WNOHANG)) == 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  const std::string output = Slurp(out_path);
  std::filesystem::remove_all(dir);
  if (done == 0) {
    kill(-pid, SIGKILL);
    waitpid(pid, &status, 0);
    return Status::DeadlineExceeded("zkCli.sh did not finish in time: " + Tail(output));
  }
  if (done < 0) return Status::Internal("waitpid failed");
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    return Status::Internal("zkCli.sh exited with status " + std::to_string(status) + ": " + Tail(output));
  }
  return output;
}

}  // namespace zkx::test
