#include "collectors/probe_warnings.h"

#include <spdlog/spdlog.h>

namespace zkx::collectors {

int ProbeWarnings::Update(const std::string& server, const std::vector<ProbeFailure>& failures) {
  std::set<std::string> now;
  for (const ProbeFailure& f : failures) {
    now.insert(f.source + "/" + std::string(server::ProbeReasonName(f.reason)));
  }
  std::set<std::string> before;
  {
    MutexLock lock(mu_);
    std::set<std::string>& slot = last_[server];
    before.swap(slot);
    slot = now;
  }
  int logged = 0;
  for (const ProbeFailure& f : failures) {
    const std::string key = f.source + "/" + std::string(server::ProbeReasonName(f.reason));
    if (before.count(key) != 0) continue;
    before.insert(key);  // one line per key even if listed twice
    ++logged;
    spdlog::warn("{} collector: {} {} probe failed: {} ({})", what_, server, f.source,
                 server::ProbeReasonName(f.reason), f.detail);
  }
  for (const std::string& key : before) {
    if (now.count(key) == 0) spdlog::info("{} collector: {} {} probe recovered", what_, server, key);
  }
  return logged;
}

}  // namespace zkx::collectors
