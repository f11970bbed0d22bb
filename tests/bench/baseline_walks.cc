#include "tests/bench/baseline_walks.h"

#include <algorithm>
#include <cerrno>
#include <condition_variable>
#include <csignal>
#include <cstring>
#include <deque>
#include <memory>
#include <mutex>
#include <vector>

#include <fcntl.h>
#include <poll.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zookeeper/zookeeper.h>

#include "tests/support/zk_test_client.h"

namespace zkx::bench {
namespace {

using Clock = std::chrono::steady_clock;

constexpr const char* kZkCli = "/usr/share/zookeeper/bin/zkCli.sh";

double SecondsSince(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

}  // namespace

Result<BaselineResult> SequentialGetChildrenWalk(const std::string& hosts, const std::string& root) {
  test::ZkTestClient client;
  if (Status st = client.Connect(hosts); !st.ok()) return st;
  zhandle_t* zh = client.handle();

  BaselineResult result;
  std::vector<char> buf(1 << 20);  // reused: jute.maxbuffer bounds a znode's data
  std::vector<std::string> stack{root};
  const auto start = Clock::now();
  while (!stack.empty()) {
    const std::string path = std::move(stack.back());
    stack.pop_back();
    int len = static_cast<int>(buf.size());
    Stat stat{};
    int rc = zoo_get(zh, path.c_str(), 0, buf.data(), &len, &stat);
    if (rc == ZNONODE) continue;
    if (rc != ZOK) return test::ZkStatus(rc, "get " + path);
    String_vector children{};
    rc = zoo_get_children(zh, path.c_str(), 0, &children);
    if (rc == ZNONODE) continue;
    if (rc != ZOK) return test::ZkStatus(rc, "get_children " + path);
    ++result.nodes;
    const std::string prefix = path == "/" ? "/" : path + "/";
    for (int32_t i = 0; i < children.count; ++i) stack.push_back(prefix + children.data[i]);
    deallocate_String_vector(&children);
  }
  result.seconds = SecondsSince(start);
  return result;
}

namespace {

// Completions -> the walking thread.
struct PipelineState {
  std::mutex mu;
  std::condition_variable cv;
  std::deque<std::pair<std::string, std::vector<std::string>>> listed;  // guarded by mu
  std::size_t replies = 0;                                              // guarded by mu
  int error = ZOK;                                                      // guarded by mu
};
struct PipelineRequest {
  PipelineState* state;
  std::string path;
};

void PipelineDataDone(int rc, const char* /*value*/, int /*len*/, const Stat* /*stat*/, const void* data) {
  auto* st = static_cast<PipelineState*>(const_cast<void*>(data));
  std::lock_guard<std::mutex> lock(st->mu);
  ++st->replies;
  if (rc != ZOK && rc != ZNONODE && st->error == ZOK) st->error = rc;
  st->cv.notify_one();
}

void PipelineChildrenDone(int rc, const String_vector* strings, const Stat* /*stat*/, const void* data) {
  std::unique_ptr<PipelineRequest> req(static_cast<PipelineRequest*>(const_cast<void*>(data)));
  std::vector<std::string> names;
  if (rc == ZOK && strings != nullptr) {
    for (int32_t i = 0; i < strings->count; ++i) names.emplace_back(strings->data[i]);
  }
  PipelineState* st = req->state;
  std::lock_guard<std::mutex> lock(st->mu);
  ++st->replies;
  if (rc == ZOK) st->listed.emplace_back(std::move(req->path), std::move(names));
  if (rc != ZOK && rc != ZNONODE && st->error == ZOK) st->error = rc;
  st->cv.notify_one();
}

}  // namespace

Result<BaselineResult> PipelinedGetChildren2Walk(const std::string& hosts, const std::string& root,
                                                 std::size_t in_flight, bool with_get, std::size_t sessions) {
  const std::size_t per_znode = with_get ? 2 : 1;
  PipelineState state;  // declared first: outlives the clients, whose close may run completions
  std::vector<test::ZkTestClient> clients(std::max<std::size_t>(sessions, 1));
  for (test::ZkTestClient& client : clients) {
    if (Status st = client.Connect(hosts); !st.ok()) return st;
  }
  std::size_t next_client = 0;  // round robin, request by request
  BaselineResult result;
  std::vector<std::string> stack{root};
  std::size_t sent = 0;  // requests (2 per znode)
  std::size_t done = 0;
  const auto start = Clock::now();
  for (;;) {
    while (!stack.empty() && (sent - done) / per_znode < in_flight) {
      std::string path = std::move(stack.back());
      stack.pop_back();
      zhandle_t* zh = clients[next_client++ % clients.size()].handle();
      auto* req = new PipelineRequest{&state, path};
      if ((with_get && zoo_aget(zh, path.c_str(), 0, &PipelineDataDone, &state) != ZOK) ||
          zoo_aget_children2(zh, path.c_str(), 0, &PipelineChildrenDone, req) != ZOK) {
        delete req;
        return Status::Unavailable("zoo_aget failed for " + path);
      }
      sent += per_znode;
    }
    if (sent == done && stack.empty()) break;
    std::deque<std::pair<std::string, std::vector<std::string>>> batch;
    {
      std::unique_lock<std::mutex> lock(state.mu);
      state.cv.wait(lock, [&] { return state.replies > done || state.error != ZOK; });
      if (state.error != ZOK) return test::ZkStatus(state.error, "pipelined walk");
      done = state.replies;
      batch.swap(state.listed);
    }
    for (auto& [path, names] : batch) {
      ++result.nodes;
      const std::string prefix = path == "/" ? "/" : path + "/";
      for (const std::string& n : names) stack.push_back(prefix + n);
    }
  }
  result.seconds = SecondsSince(start);
  return result;
}

Result<BaselineResult> ZkCliLsR(const std::string& hosts, const std::string& root,
                                std::chrono::seconds timeout) {
  if (::access(kZkCli, X_OK) != 0)
    return Status::NotFound(std::string(kZkCli) + " not found (package zookeeper)");
  std::vector<std::string> args{kZkCli, "-server", hosts, "ls", "-R", root};
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);

  int out[2];
  if (::pipe2(out, O_CLOEXEC) != 0) return Status::Internal(std::string("pipe2: ") + std::strerror(errno));
  const int null_fd = ::open("/dev/null", O_RDWR | O_CLOEXEC);
  const pid_t parent = ::getpid();
  const auto start = Clock::now();
  const pid_t pid = ::fork();
  if (pid < 0) {
    ::close(out[0]);
    ::close(out[1]);
    if (null_fd >= 0) ::close(null_fd);
    return Status::Internal(std::string("fork: ") + std::strerror(errno));
  }
  if (pid == 0) {
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(127);
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    ::dup2(null_fd, STDIN_FILENO);
    ::dup2(out[1], STDOUT_FILENO);
    ::dup2(null_fd, STDERR_FILENO);
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  ::close(out[1]);
  if (null_fd >= 0) ::close(null_fd);

  BaselineResult result;
  std::string pending;
  char buf[65536];
  bool timed_out = false;
  const auto deadline = start + timeout;
  while (true) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    if (left <= 0) {
      timed_out = true;
      break;
    }
    pollfd p{out[0], POLLIN, 0};
    const int n = ::poll(&p, 1, static_cast<int>(left));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      timed_out = n == 0;
      break;
    }
    const ssize_t r = ::read(out[0], buf, sizeof(buf));
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) break;
    pending.append(buf, static_cast<std::size_t>(r));
    std::size_t begin = 0;
    for (std::size_t eol = pending.find('\n'); eol != std::string::npos; eol = pending.find('\n', begin)) {
      if (eol > begin && pending[begin] == '/') ++result.nodes;
      begin = eol + 1;
    }
    pending.erase(0, begin);
  }
  if (!pending.empty() && pending[0] == '/') ++result.nodes;
  ::close(out[0]);
  if (timed_out) ::kill(pid, SIGKILL);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  result.seconds = SecondsSince(start);
  if (timed_out)
    return Status::DeadlineExceeded("zkCli.sh ls -R did not finish within " +
                                    std::to_string(timeout.count()) + " s");
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    return Status::Internal("zkCli.sh exited with status " + std::to_string(status) + " after listing " +
                            std::to_string(result.nodes) + " paths");
  }
  return result;
}

}  // namespace zkx::bench
