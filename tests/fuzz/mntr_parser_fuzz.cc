// libFuzzer target: the parsers of four-letter-word text a server sends (mntr, srvr, wchs, wchp).
// Any input must parse or fail with a Status: no crash, no sanitizer report, no exception.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "server/mntr_parser.h"
#include "server/server_probe.h"
#include "server/srvr_parser.h"
#include "server/watch_parser.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  (void)zkx::server::ParseMntr(text);
  (void)zkx::server::ParseSrvr(text);
  (void)zkx::server::ParseWchs(text);
  (void)zkx::server::ParseWchp(
      text, [](std::string_view p) { return p.size() % 2 == 0; }, 8);
  (void)zkx::server::ClassifyFourLetterReply(text);
  return 0;
}
