// libFuzzer target: the connect-string parser. Every server it returns must print and re-parse to itself, and
// the string handed to the C client must parse back to the same servers and chroot.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "server/connect_string.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  zkx::Result<zkx::server::ConnectString> c = zkx::server::ParseConnectString(text);
  if (!c.ok()) return 0;
  if (c->servers.empty()) std::abort();
  for (const zkx::server::HostPort& hp : c->servers) {
    if (hp.port == 0 || hp.host.empty()) std::abort();
    zkx::Result<zkx::server::ConnectString> again = zkx::server::ParseConnectString(hp.ToString());
    if (!again.ok() || again->servers.size() != 1 || !(again->servers[0] == hp)) std::abort();
  }
  zkx::Result<zkx::server::ConnectString> client =
      zkx::server::ParseConnectString(zkx::server::ClientConnectString(*c));
  if (!client.ok() || client->servers != c->servers || client->chroot != c->chroot) std::abort();
  return 0;
}
