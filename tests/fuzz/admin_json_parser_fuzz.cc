// libFuzzer target: the AdminServer's replies -- the HTTP response parser and the JSON parsers of monitor,
// watch_summary, watches_by_path and dirs (and the dirs word), fed both the raw input and the body the HTTP
// parser extracted.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "server/admin_json_parser.h"
#include "server/dirs_parser.h"
#include "server/server_probe.h"

namespace {

void ParseJson(std::string_view json) {
  (void)zkx::server::ParseAdminMonitor(json);
  (void)zkx::server::ParseAdminWatchSummary(json);
  (void)zkx::server::ParseAdminWatchesByPath(
      json, [](std::string_view p) { return !p.empty() && p[0] == '/'; }, 8);
  (void)zkx::server::ParseAdminDirs(json);  // and the `dirs` word's text, and versions
  (void)zkx::server::ParseDirsWord(json);
  (void)zkx::server::DirsSwapped(json);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  ParseJson(text);
  zkx::Result<zkx::server::HttpReply> http = zkx::server::ParseHttpReply(text);
  if (http.ok()) ParseJson(http->body);
  return 0;
}
