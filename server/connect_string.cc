#include "server/connect_string.h"

#include <algorithm>
#include <charconv>
#include <system_error>

namespace zkx::server {
namespace {

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

Result<uint16_t> ParsePort(std::string_view text, std::string_view whole) {
  unsigned value = 0;
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (text.empty() || ec != std::errc() || ptr != end || value == 0 || value > 65535) {
    return Status::InvalidArgument("connect string: bad port in \"" + std::string(whole) + "\"");
  }
  return static_cast<uint16_t>(value);
}

Result<HostPort> ParseHost(std::string_view item) {
  HostPort hp;
  if (item.front() == '[') {  // "[v6]" or "[v6]:port"
    const std::size_t close = item.find(']');
    if (close == std::string_view::npos || close == 1) {
      return Status::InvalidArgument("connect string: bad bracketed host \"" + std::string(item) + "\"");
    }
    hp.host = std::string(item.substr(1, close - 1));
    std::string_view rest = item.substr(close + 1);
    if (rest.empty()) {
      hp.port = kDefaultClientPort;
      return hp;
    }
    if (rest.front() != ':') {
      return Status::InvalidArgument("connect string: bad bracketed host \"" + std::string(item) + "\"");
    }
    Result<uint16_t> port = ParsePort(rest.substr(1), item);
    if (!port.ok()) return port.status();
    hp.port = *port;
    return hp;
  }
  const std::size_t colon = item.rfind(':');
  if (colon == std::string_view::npos) {
    hp.host = std::string(item);
    hp.port = kDefaultClientPort;
    return hp;
  }
  if (colon == 0)
    return Status::InvalidArgument("connect string: empty host in \"" + std::string(item) + "\"");
  Result<uint16_t> port = ParsePort(item.substr(colon + 1), item);
  if (!port.ok()) return port.status();
  hp.host = std::string(item.substr(0, colon));
  hp.port = *port;
  return hp;
}

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
  ConnectString out;
  std::string_view hosts = text;
  if (const std::size_t slash = text.find('/'); slash != std::string_view::npos) {
    hosts = text.substr(0, slash);
    std::string_view chroot = Trim(text.substr(slash));
    while (chroot.size() > 1 && chroot.back() == '/') chroot.remove_suffix(1);
    if (chroot.find("//") != std::string_view::npos) {
      return Status::InvalidArgument("connect string: bad chroot \"" + std::string(chroot) + "\"");
    }
    if (chroot != "/") out.chroot = std::string(chroot);
  }
  std::size_t start = 0;
  while (start <= hosts.size()) {
    std::size_t comma = hosts.find(',', start);
    if (comma == std::string_view::npos) comma = hosts.size();
    std::string_view item = Trim(hosts.substr(start, comma - start));
    start = comma + 1;
    if (item.empty()) {
      if (comma == hosts.size() && !out.servers.empty()) break;  // tolerate a trailing comma
      return Status::InvalidArgument("connect string: empty host in \"" + std::string(text) + "\"");
    }
    Result<HostPort> hp = ParseHost(item);
    if (!hp.ok()) return hp.status();
    if (std::find(out.servers.begin(), out.servers.end(), *hp) == out.servers.end()) {
      out.servers.push_back(std::move(hp).value());
    }
  }
  if (out.servers.empty()) return Status::InvalidArgument("connect string: no host");
  return out;
}

}  // namespace zkx::server
