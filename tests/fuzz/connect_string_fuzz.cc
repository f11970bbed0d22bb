// libFuzzer target: the connect-string parser; every server it returns must print and re-parse to itself.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "server/connect_string.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  zkx::Result<zkx::server::ConnectString> c = zkx::server::ParseConnectString(text);
  if (!c.ok()) return 0;
  for (const zkx::server::HostPort& hp : c->servers) {
    if (hp.port == 0) std::abort();
    // Hosts with spaces, commas or slashes inside cannot round-trip; everything else must.
    if (hp.host.find_first_of(" \t,/[]") != std::string::npos) continue;
    zkx::Result<zkx::server::ConnectString> again = zkx::server::ParseConnectString(hp.ToString());
    if (!again.ok() || again->servers.size() != 1 || !(again->servers[0] == hp)) std::abort();
  }
  return 0;
}
