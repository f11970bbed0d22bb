// libFuzzer target: the parsers of four-letter-word text a server sends (mntr, srvr, wchs, wchp).
// Any input must parse or fail with a Status: no crash, no sanitizer report, no exception.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "zk/mntr_parser.h"
#include "zk/server_probe.h"
#include "zk/srvr_parser.h"
#include "zk/watch_parser.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  (void)zkx::zk::ParseMntr(text);
  (void)zkx::zk::ParseSrvr(text);
  (void)zkx::zk::ParseWchs(text);
  (void)zkx::zk::ParseWchp(
      text, [](std::string_view p) { return p.size() % 2 == 0; }, 8);
  (void)zkx::zk::ClassifyFourLetterReply(text);
  return 0;
}
