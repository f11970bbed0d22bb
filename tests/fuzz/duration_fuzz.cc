// libFuzzer target: Prometheus-style durations. Any input parses or fails with a Status; a parsed duration is
// non-negative and FormatDuration() of it parses back to the same value.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "exporter/duration.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  zkx::Result<std::chrono::milliseconds> d = zkx::exporter::ParseDuration(text);
  if (!d.ok()) {
    if (d.status().message().rfind("invalid duration \"", 0) != 0) std::abort();
    return 0;
  }
  if (d->count() < 0) std::abort();
  const std::string formatted = zkx::exporter::FormatDuration(*d);
  zkx::Result<std::chrono::milliseconds> again = zkx::exporter::ParseDuration(formatted);
  if (!again.ok() || *again != *d) std::abort();
  if (zkx::exporter::FormatDuration(*again) != formatted) std::abort();
  return 0;
}
