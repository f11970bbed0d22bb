#include "tests/support/wait_and_ports.h"

#include <cerrno>
#include <cstring>
#include <optional>
#include <thread>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

namespace zkx::test {
namespace {

using Clock = std::chrono::steady_clock;

std::string Errno(const char* what) {
  return std::string(what) + ": " + std::strerror(errno);
}

// Owns one file descriptor.
class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  Fd(Fd&& other) noexcept : fd_(other.fd_) { other.fd_ = -1; }
  Fd& operator=(Fd&&) = delete;
  [[nodiscard]] int get() const { return fd_; }

 private:
  int fd_;
};

sockaddr_in Loopback(uint16_t port) {
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return addr;
}

// Binds a socket to 127.0.0.1:0 and returns it (still open) with its port.
Result<std::pair<Fd, uint16_t>> BindEphemeral() {
  Fd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (fd.get() < 0) return Status::Internal(Errno("socket"));
  sockaddr_in addr = Loopback(0);
  if (::bind(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    return Status::Unavailable(Errno("bind 127.0.0.1:0"));
  }
  socklen_t len = sizeof(addr);
  if (::getsockname(fd.get(), reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    return Status::Internal(Errno("getsockname"));
  }
  uint16_t port = ntohs(addr.sin_port);
  return std::pair<Fd, uint16_t>(std::move(fd), port);
}

int RemainingMs(Clock::time_point deadline) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
  return left <= 0 ? 0 : static_cast<int>(left);
}

}  // namespace

Result<uint16_t> FreeLoopbackPort() {
  auto bound = BindEphemeral();
  if (!bound.ok()) return bound.status();
  return bound->second;
}

Result<std::vector<uint16_t>> FreeLoopbackPorts(std::size_t count) {
  std::vector<Fd> held;
  std::vector<uint16_t> ports;
  held.reserve(count);
  for (std::size_t i = 0; i < count; ++i) {
    auto bound = BindEphemeral();
    if (!bound.ok()) return bound.status();
    ports.push_back(bound->second);
    held.push_back(std::move(bound->first));
  }
  return ports;  // `held` closes every socket here
}

bool WaitFor(const std::function<bool()>& predicate, std::chrono::milliseconds timeout,
             std::chrono::milliseconds poll_interval) {
  const auto deadline = Clock::now() + timeout;
  while (true) {
    if (predicate()) return true;
    auto now = Clock::now();
    if (now >= deadline) return false;
    auto step = std::min<Clock::duration>(poll_interval, deadline - now);
    std::this_thread::sleep_for(step);
    if (Clock::now() >= deadline) return predicate();
  }
}

bool WaitForSteady(const std::function<bool()>& predicate, std::chrono::milliseconds hold,
                   std::chrono::milliseconds timeout, std::chrono::milliseconds poll_interval) {
  const auto deadline = Clock::now() + timeout;
  std::optional<Clock::time_point> held_since;
  while (true) {
    const auto now = Clock::now();
    if (!predicate()) {
      held_since.reset();
    } else if (!held_since) {
      held_since = now;
    } else if (now - *held_since >= hold) {
      return true;
    }
    if (now >= deadline) return false;
    std::this_thread::sleep_for(poll_interval);
  }
}

Result<std::string> FourLetterWordTo(uint16_t port, std::string_view command,
                                     std::chrono::milliseconds timeout) {
  return TcpExchange("127.0.0.1", port, command, timeout);
}

Result<std::string> TcpExchange(const std::string& host, uint16_t port, std::string_view command,
                                std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  const std::string where = host + ":" + std::to_string(port);
  sockaddr_in addr = Loopback(port);
  if (host != "localhost" && ::inet_pton(AF_INET, host.c_str(), &addr.sin_addr) != 1) {
    return Status::InvalidArgument("not an IPv4 literal: " + host);
  }
  Fd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  if (fd.get() < 0) return Status::Internal(Errno("socket"));
  if (::connect(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    if (errno != EINPROGRESS) return Status::Unavailable(Errno(("connect " + where).c_str()));
    pollfd p{fd.get(), POLLOUT, 0};
    int n = ::poll(&p, 1, RemainingMs(deadline));
    if (n == 0) return Status::DeadlineExceeded("connect " + where + " timed out");
    if (n < 0) return Status::Internal(Errno("poll"));
    int err = 0;
    socklen_t len = sizeof(err);
    ::getsockopt(fd.get(), SOL_SOCKET, SO_ERROR, &err, &len);
    if (err != 0) return Status::Unavailable("connect " + where + ": " + std::strerror(err));
  }
  std::size_t sent = 0;
  while (sent < command.size()) {
    pollfd p{fd.get(), POLLOUT, 0};
    int n = ::poll(&p, 1, RemainingMs(deadline));
    if (n == 0) return Status::DeadlineExceeded("send to " + where + " timed out");
    if (n < 0) return Status::Internal(Errno("poll"));
    ssize_t w = ::send(fd.get(), command.data() + sent, command.size() - sent, MSG_NOSIGNAL);
    if (w < 0) {
      if (errno == EAGAIN || errno == EINTR) continue;
      return Status::Unavailable(Errno(("send to " + where).c_str()));
    }
    sent += static_cast<std::size_t>(w);
  }
  std::string out;
  char buf[4096];
  while (true) {
    pollfd p{fd.get(), POLLIN, 0};
    int n = ::poll(&p, 1, RemainingMs(deadline));
    if (n == 0) return Status::DeadlineExceeded("reading from " + where + " timed out");
    if (n < 0) {
      if (errno == EINTR) continue;
      return Status::Internal(Errno("poll"));
    }
    ssize_t r = ::recv(fd.get(), buf, sizeof(buf), 0);
    if (r == 0) break;
    if (r < 0) {
      if (errno == EAGAIN || errno == EINTR) continue;
      if (errno == ECONNRESET && !out.empty()) break;
      return Status::Unavailable(Errno(("recv from " + where).c_str()));
    }
    out.append(buf, static_cast<std::size_t>(r));
  }
  return out;
}

std::string ParseServerMode(std::string_view srvr_output) {
  constexpr std::string_view kKey = "Mode: ";
  auto pos = srvr_output.find(kKey);
  if (pos == std::string_view::npos) return {};
  auto rest = srvr_output.substr(pos + kKey.size());
  auto end = rest.find_first_of("\r\n");
  return std::string(rest.substr(0, end));
}

}  // namespace zkx::test
