#include "server/server_probe.h"

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <memory>
#include <optional>
#include <system_error>

#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "base/read_number.h"
#include "server/admin_https.h"

namespace zkx::server {
namespace {

using Clock = std::chrono::steady_clock;

class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  [[nodiscard]] int get() const { return fd_; }

 private:
  int fd_;
};

int RemainingMs(Clock::time_point deadline) {
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
  if (left <= 0) return 0;
  return static_cast<int>(std::min<long long>(left, 60'000));
}

ProbeReply Fail(ProbeReason reason, std::string detail) {
  ProbeReply r;
  r.reason = reason;
  r.detail = std::move(detail);
  return r;
}

ProbeReply FromErrno(int err, const std::string& what) {
  const ProbeReason reason = err == ECONNREFUSED ? ProbeReason::kConnectionRefused : ProbeReason::kIoError;
  return Fail(reason, what + ": " + std::generic_category().message(err));  // strerror is not thread-safe
}

// Waits for `events` on fd; kOk when ready, kTimeout at the deadline.
ProbeReason Wait(int fd, short events, Clock::time_point deadline) {
  for (;;) {
    pollfd p{fd, events, 0};
    const int n = ::poll(&p, 1, RemainingMs(deadline));
    if (n > 0) return ProbeReason::kOk;
    if (n == 0) {
      if (Clock::now() >= deadline) return ProbeReason::kTimeout;
      continue;
    }
    if (errno != EINTR) return ProbeReason::kIoError;
  }
}

// Connects to one of `server`'s addresses, sends `request`, reads until EOF; body = everything read.
// With `tls`, the exchange is HTTPS (server/admin_https.h) once connected.
ProbeReply Exchange(const HostPort& server, uint16_t port, std::string_view request,
                    Clock::time_point deadline, std::size_t max_bytes, const AdminTlsContext* tls = nullptr) {
  const std::string where = server.host + ":" + std::to_string(port);
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_ADDRCONFIG;
  addrinfo* list = nullptr;
  const std::string port_text = std::to_string(port);
  if (const int rc = ::getaddrinfo(server.host.c_str(), port_text.c_str(), &hints, &list); rc != 0) {
    return Fail(ProbeReason::kResolveFailed, "resolve " + server.host + ": " + ::gai_strerror(rc));
  }
  std::unique_ptr<addrinfo, decltype(&::freeaddrinfo)> addresses(list, &::freeaddrinfo);

  ProbeReply last = Fail(ProbeReason::kIoError, "connect " + where + ": no address");
  for (const addrinfo* a = addresses.get(); a != nullptr; a = a->ai_next) {
    if (Clock::now() >= deadline) return Fail(ProbeReason::kTimeout, "connect " + where + ": timed out");
    Fd fd(::socket(a->ai_family, a->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, a->ai_protocol));
    if (fd.get() < 0) {
      last = FromErrno(errno, "socket " + where);
      continue;
    }
    if (::connect(fd.get(), a->ai_addr, a->ai_addrlen) != 0) {
      if (errno != EINPROGRESS) {
        last = FromErrno(errno, "connect " + where);
        continue;
      }
      if (Wait(fd.get(), POLLOUT, deadline) == ProbeReason::kTimeout) {
        return Fail(ProbeReason::kTimeout, "connect " + where + ": timed out");
      }
      int err = 0;
      socklen_t len = sizeof(err);
      if (::getsockopt(fd.get(), SOL_SOCKET, SO_ERROR, &err, &len) != 0) err = errno;
      if (err != 0) {
        last = FromErrno(err, "connect " + where);
        continue;
      }
    }
    if (tls != nullptr) {
      return HttpsExchange(fd.get(), *tls, server.host, where, request, deadline, max_bytes);
    }
    // Connected: send the request, then read until the peer closes.
    std::size_t sent = 0;
    while (sent < request.size()) {
      if (Wait(fd.get(), POLLOUT, deadline) == ProbeReason::kTimeout) {
        return Fail(ProbeReason::kTimeout, "send to " + where + ": timed out");
      }
      const ssize_t n = ::send(fd.get(), request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
      if (n < 0) {
        if (errno == EAGAIN || errno == EINTR) continue;
        return FromErrno(errno, "send to " + where);
      }
      sent += static_cast<std::size_t>(n);
    }
    ProbeReply reply;
    char buf[16384];
    for (;;) {
      if (Wait(fd.get(), POLLIN, deadline) == ProbeReason::kTimeout) {
        return Fail(ProbeReason::kTimeout, "read from " + where + ": timed out");
      }
      const ssize_t n = ::recv(fd.get(), buf, sizeof(buf), 0);
      if (n == 0) break;
      if (n < 0) {
        if (errno == EAGAIN || errno == EINTR) continue;
        // A reset after a complete 4lw reply is common (the server closes with unread input): keep the data.
        if (errno == ECONNRESET && !reply.body.empty()) break;
        return FromErrno(errno, "read from " + where);
      }
      if (reply.body.size() + static_cast<std::size_t>(n) > max_bytes) {
        return Fail(ProbeReason::kResponseTooLarge,
                    "reply from " + where + " exceeds " + std::to_string(max_bytes) + " bytes");
      }
      reply.body.append(buf, static_cast<std::size_t>(n));
    }
    return reply;
  }
  return last;
}

bool IEquals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return (x >= 'A' && x <= 'Z' ? static_cast<char>(x - 'A' + 'a') : x) ==
                  (y >= 'A' && y <= 'Z' ? static_cast<char>(y - 'A' + 'a') : y);
         });
}

std::string_view TrimSpaces(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

Result<std::string> Dechunk(std::string_view s) {
  std::string out;
  for (;;) {
    const std::size_t eol = s.find("\r\n");
    if (eol == std::string_view::npos) return Status::InvalidArgument("http: truncated chunk size");
    std::string_view size_text = s.substr(0, eol);
    if (const std::size_t semi = size_text.find(';'); semi != std::string_view::npos) {
      size_text = size_text.substr(0, semi);
    }
    size_text = TrimSpaces(size_text);
    std::size_t size = 0;
    auto [ptr, ec] = std::from_chars(size_text.data(), size_text.data() + size_text.size(), size, 16);
    if (size_text.empty() || ec != std::errc() || ptr != size_text.data() + size_text.size()) {
      return Status::InvalidArgument("http: bad chunk size");
    }
    s.remove_prefix(eol + 2);
    if (size == 0) return out;
    if (size > s.size()) return Status::InvalidArgument("http: truncated chunk");
    out.append(s.substr(0, size));
    s.remove_prefix(size);
    if (s.starts_with("\r\n")) s.remove_prefix(2);
  }
}

}  // namespace

std::string_view ProbeReasonName(ProbeReason reason) {
  switch (reason) {
    case ProbeReason::kOk: return "ok";
    case ProbeReason::kConnectionRefused: return "connection_refused";
    case ProbeReason::kTimeout: return "timeout";
    case ProbeReason::kResolveFailed: return "resolve_failed";
    case ProbeReason::kIoError: return "io_error";
    case ProbeReason::kNotWhitelisted: return "not_whitelisted";
    case ProbeReason::kAdminServerDisabled: return "admin_server_disabled";
    case ProbeReason::kNotServing: return "not_serving";
    case ProbeReason::kHttpError: return "http_error";
    case ProbeReason::kResponseTooLarge: return "response_too_large";
    case ProbeReason::kParseError: return "parse_error";
    case ProbeReason::kTlsHandshake: return "tls_handshake";
    case ProbeReason::kUntrustedCertificate: return "untrusted_certificate";
    case ProbeReason::kCertificateExpired: return "certificate_expired";
    case ProbeReason::kHostnameMismatch: return "hostname_mismatch";
    case ProbeReason::kHttpsRequired: return "https_required";
  }
  return "unknown";
}

ProbeReason ClassifyFourLetterReply(std::string_view reply) {
  if (reply.find("is not executed because it is not in the whitelist") != std::string_view::npos) {
    return ProbeReason::kNotWhitelisted;
  }
  if (reply.find("not currently serving requests") != std::string_view::npos) return ProbeReason::kNotServing;
  return ProbeReason::kOk;
}

ProbeReply FourLetterWord(const HostPort& server, std::string_view command, Clock::time_point deadline,
                          std::size_t max_bytes) {
  ProbeReply r = Exchange(server, server.port, command, deadline, max_bytes);
  if (!r.ok()) return r;
  if (const ProbeReason reason = ClassifyFourLetterReply(r.body); reason != ProbeReason::kOk) {
    const std::string text(
        TrimSpaces(std::string_view{r.body}.substr(0, std::min<std::size_t>(r.body.find('\n'), 200))));
    return Fail(reason, server.ToString() + " " + std::string(command) + ": " + text);
  }
  if (r.body.empty()) {
    // 3.4 servers close without a word when a command is unknown; 3.5+ when it is refused early.
    return Fail(ProbeReason::kParseError, server.ToString() + " " + std::string(command) + ": empty reply");
  }
  return r;
}

ProbeReply AdminGet(const HostPort& server, uint16_t admin_port, std::string_view command,
                    Clock::time_point deadline, std::size_t max_bytes) {
  HostPort admin = server;
  admin.port = admin_port;
  std::string request = "GET /commands/";
  request += command;
  request += " HTTP/1.1\r\nHost: ";
  request += admin.ToString();
  request += "\r\nAccept: application/json\r\nConnection: close\r\nUser-Agent: zookeeper_exporter\r\n\r\n";
  const std::shared_ptr<const AdminTlsContext> tls = CurrentAdminTls();  // kept for the whole exchange
  ProbeReply raw = Exchange(admin, admin_port, request, deadline, max_bytes, tls.get());
  if (!raw.ok()) return raw;
  if (tls == nullptr && raw.body.size() >= 2 && raw.body[0] == '\x15' && raw.body[1] == '\x03') {
    // A TLS alert record in answer to plain HTTP: the port speaks only HTTPS (admin.forceHttps).
    return Fail(ProbeReason::kHttpsRequired,
                admin.ToString() +
                    ": the AdminServer answered plain HTTP with a TLS alert (HTTPS only); see "
                    "--server.admin-https");
  }
  Result<HttpReply> http = ParseHttpReply(raw.body);
  if (!http.ok()) return Fail(ProbeReason::kParseError, admin.ToString() + ": " + http.status().message());
  if (http->status != 200) {
    return Fail(ProbeReason::kHttpError, admin.ToString() + "/commands/" + std::string(command) + ": HTTP " +
                                             std::to_string(http->status));
  }
  ProbeReply ok;
  ok.body = std::move(http->body);
  return ok;
}

Result<HttpReply> ParseHttpReply(std::string_view raw) {
  const std::size_t head_end = raw.find("\r\n\r\n");
  if (head_end == std::string_view::npos) return Status::InvalidArgument("http: incomplete header");
  std::string_view head = raw.substr(0, head_end);
  std::string_view body = raw.substr(head_end + 4);
  const std::size_t eol = head.find("\r\n");
  std::string_view status_line = head.substr(0, eol);
  if (!status_line.starts_with("HTTP/1.")) return Status::InvalidArgument("http: bad status line");
  const std::size_t sp = status_line.find(' ');
  HttpReply reply;
  if (sp == std::string_view::npos || status_line.size() < sp + 4) {
    return Status::InvalidArgument("http: bad status line");
  }
  std::string_view code = status_line.substr(sp + 1, 3);
  if (ReadNumber(code, reply.status) != NumberRead::kOk || reply.status < 100 || reply.status > 599) {
    return Status::InvalidArgument("http: bad status code");
  }
  bool chunked = false;
  std::optional<std::size_t> length;
  std::string_view headers = eol == std::string_view::npos ? std::string_view() : head.substr(eol + 2);
  while (!headers.empty()) {
    const std::size_t e = headers.find("\r\n");
    std::string_view line = headers.substr(0, e);
    headers = e == std::string_view::npos ? std::string_view() : headers.substr(e + 2);
    const std::size_t colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    std::string_view name = TrimSpaces(line.substr(0, colon));
    std::string_view value = TrimSpaces(line.substr(colon + 1));
    if (IEquals(name, "transfer-encoding") && value.find("chunked") != std::string_view::npos) chunked = true;
    if (IEquals(name, "content-length")) {
      std::size_t n = 0;
      if (ReadNumber(value, n) != NumberRead::kOk) {
        return Status::InvalidArgument("http: bad Content-Length");
      }
      length = n;
    }
  }
  if (chunked) {
    Result<std::string> d = Dechunk(body);
    if (!d.ok()) return d.status();
    reply.body = std::move(d).value();
  } else if (length) {
    if (body.size() < *length) return Status::InvalidArgument("http: truncated body");
    reply.body = std::string(body.substr(0, *length));
  } else {
    reply.body = std::string(body);
  }
  return reply;
}

}  // namespace zkx::server
