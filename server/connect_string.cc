#include "server/connect_string.h"

#include <algorithm>

#include <arpa/inet.h>

#include "base/quote.h"
#include "base/read_number.h"

namespace zkx::server {
namespace {

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

class Parser {
 public:
  explicit Parser(std::string_view whole) : whole_(whole) {}

  Status Error(const std::string& problem) const {
    return Status::InvalidArgument("connect string " + QuoteForMessage(whole_) + ": " + problem);
  }

  Result<uint16_t> Port(std::string_view text, std::string_view item) const {
    if (text.empty()) return Error("empty port in " + QuoteForMessage(item));
    if (!std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; })) {
      return Error("port " + QuoteForMessage(text) + " is not a number (want 1-65535)");
    }
    unsigned long value = 0;
    if (ReadNumber(text, value) != NumberRead::kOk || value == 0 || value > 65535) {
      return Error("port " + QuoteForMessage(text) + " is out of range (want 1-65535)");
    }
    return static_cast<uint16_t>(value);
  }

  static bool IsIpv6(const std::string& host) {
    const std::size_t percent = host.find('%');
    if (percent != std::string::npos) {  // a zone id ("fe80::1%eth0"): an interface name
      const std::string_view zone = std::string_view{host}.substr(percent + 1);
      if (zone.empty()) return false;
      for (char c : zone) {
        const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                        c == '-' || c == '.' || c == '_';
        if (!ok) return false;
      }
    }
    const std::string addr = host.substr(0, percent);
    for (char c : addr) {  // inet_pton stops at a NUL: check every byte first
      const bool ok =
          (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F') || c == ':' || c == '.';
      if (!ok) return false;
    }
    in6_addr out{};
    return inet_pton(AF_INET6, addr.c_str(), &out) == 1;
  }

  // Letters, digits, '-', '.', '_' (names and IPv4); IPv6 literals are checked with inet_pton.
  Status CheckHostName(std::string_view host, std::string_view item) const {
    if (host.empty()) return Error("empty host in " + QuoteForMessage(item));
    for (char c : host) {
      const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                      c == '-' || c == '.' || c == '_';
      if (!ok) return Error("bad character in host " + QuoteForMessage(host));
    }
    return Status::Ok();
  }

  Result<HostPort> Host(std::string_view item) const {
    HostPort hp;
    if (item.front() == '[') {  // "[v6]" or "[v6]:port"
      const std::size_t close = item.find(']');
      if (close == std::string_view::npos) return Error("unclosed '[' in " + QuoteForMessage(item));
      hp.host = std::string(item.substr(1, close - 1));
      if (!IsIpv6(hp.host)) return Error("not an IPv6 address in brackets: " + QuoteForMessage(item));
      std::string_view rest = item.substr(close + 1);
      if (rest.empty()) {
        hp.port = kDefaultClientPort;
        return hp;
      }
      if (rest.front() != ':') return Error("want ':port' after ']' in " + QuoteForMessage(item));
      Result<uint16_t> port = Port(rest.substr(1), item);
      if (!port.ok()) return port.status();
      hp.port = *port;
      return hp;
    }
    const std::size_t colon = item.rfind(':');
    if (colon == std::string_view::npos) {
      if (Status s = CheckHostName(item, item); !s.ok()) return s;
      hp.host = std::string(item);
      hp.port = kDefaultClientPort;
      return hp;
    }
    std::string_view host = item.substr(0, colon);
    if (host.empty()) return Error("empty host in " + QuoteForMessage(item));
    if (host.find(':') != std::string_view::npos) {
      // The C client's IPv6 form "::1:2181": the part before the last ':' must be an IPv6 literal.
      if (!IsIpv6(std::string(host))) {
        return Error(QuoteForMessage(item) + " is neither host:port nor an IPv6 literal with a port (write " +
                     "IPv6 as [addr]:port)");
      }
    } else if (Status s = CheckHostName(host, item); !s.ok()) {
      return s;
    }
    Result<uint16_t> port = Port(item.substr(colon + 1), item);
    if (!port.ok()) return port.status();
    hp.host = std::string(host);
    hp.port = *port;
    return hp;
  }

  // "" for no chroot; else the chroot, a valid znode path.
  Result<std::string> Chroot(std::string_view chroot) const {
    if (chroot == "/") return std::string();
    if (chroot.back() == '/') return Error("chroot " + QuoteForMessage(chroot) + " ends with '/'");
    std::size_t start = 1;
    while (start <= chroot.size()) {
      std::size_t slash = chroot.find('/', start);
      if (slash == std::string_view::npos) slash = chroot.size();
      const std::string_view segment = chroot.substr(start, slash - start);
      if (segment.empty()) return Error("chroot " + QuoteForMessage(chroot) + " has an empty segment ('//')");
      if (segment == "." || segment == "..") {
        return Error("chroot " + QuoteForMessage(chroot) + " has a '.' or '..' segment");
      }
      start = slash + 1;
    }
    for (char c : chroot) {
      const auto u = static_cast<unsigned char>(c);
      if (u < 0x20 || u == 0x7f) {
        return Error("chroot " + QuoteForMessage(chroot) + " has a control character");
      }
    }
    return std::string(chroot);
  }

 private:
  const std::string_view whole_;
};

}  // namespace

std::string HostPort::ToString() const {
  const bool v6 = host.find(':') != std::string::npos;
  std::string s;
  s.reserve(host.size() + 8);
  if (v6) s += '[';
  s += host;
  if (v6) s += ']';
  s += ':';
  s += std::to_string(port);
  return s;
}

Result<ConnectString> ParseConnectString(std::string_view text) {
  const Parser parser(text);
  ConnectString out;
  const std::size_t slash = text.find('/');
  const std::string_view hosts = text.substr(0, slash);
  if (Trim(hosts).empty()) return parser.Error("no host");
  if (slash != std::string_view::npos) {
    Result<std::string> chroot = parser.Chroot(Trim(text.substr(slash)));
    if (!chroot.ok()) return chroot.status();
    out.chroot = std::move(chroot).value();
  }
  std::size_t start = 0;
  while (start <= hosts.size()) {
    std::size_t comma = hosts.find(',', start);
    if (comma == std::string_view::npos) comma = hosts.size();
    std::string_view item = Trim(hosts.substr(start, comma - start));
    start = comma + 1;
    if (item.empty()) {
      if (comma == hosts.size() && !out.servers.empty()) break;  // tolerate a trailing comma
      return parser.Error("empty host between commas");
    }
    Result<HostPort> hp = parser.Host(item);
    if (!hp.ok()) return hp.status();
    if (std::find(out.servers.begin(), out.servers.end(), *hp) == out.servers.end()) {
      out.servers.push_back(std::move(hp).value());
    }
  }
  return out;
}

std::string ClientConnectString(const ConnectString& parsed) {
  std::string out;
  for (const HostPort& hp : parsed.servers) {
    if (!out.empty()) out += ',';
    out += hp.host;  // IPv6 unbracketed: the client splits host and port at the last ':'
    out += ':';
    out += std::to_string(hp.port);
  }
  out += parsed.chroot;
  return out;
}

}  // namespace zkx::server
