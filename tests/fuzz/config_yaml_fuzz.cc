// libFuzzer target: the YAML configuration parser (--config.file). Any input must parse or fail with one
// "<source>:<line>: <problem>" line (no exception, no crash, no sanitizer report); a parsed config must hold
// only what validation promises: normalised unique roots, patterns that parse, positive durations and caps.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <set>
#include <string>
#include <string_view>

#include "base/znode_path.h"
#include "collectors/znode_pattern.h"
#include "exporter/config.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const std::string source = "fuzz.yml";
  zkx::Result<zkx::exporter::FileConfig> config = zkx::exporter::ParseConfigYaml(text, source);
  if (!config.ok()) {
    const std::string m = config.status().message();                 // a copy: status() returns a temporary
    if (m.rfind(source + ":", 0) != 0) std::abort();                 // names the file
    if (m.find_first_of("\n\r") != std::string::npos) std::abort();  // one line, whatever the input holds
    return 0;
  }
  std::set<std::string> roots;
  for (const zkx::collectors::SubtreeSpec& spec : config->subtrees) {
    zkx::Result<std::string> root = zkx::NormalizeZnodePath(spec.root);
    if (!root.ok() || *root != spec.root) std::abort();
    if (!roots.insert(spec.root).second) std::abort();
    if (spec.refresh_interval.count() <= 0 || spec.resync_interval.count() <= 0) std::abort();
    if (spec.limits.timeout.count() <= 0 || spec.limits.max_depth < 0) std::abort();
    if (spec.limits.max_znodes == 0 || spec.limits.max_in_flight == 0 || spec.max_znode_series == 0) {
      std::abort();
    }
    for (const std::string& p : spec.znode_patterns) {
      if (!zkx::collectors::ZnodePattern::Parse(p).ok()) std::abort();
    }
  }
  // Flags combine with any parsed file without failing for valid roots.
  if (!zkx::exporter::EffectiveSubtrees(*config, {"/fuzz"}, std::nullopt).ok()) std::abort();
  return 0;
}
