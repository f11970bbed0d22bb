#pragma once
// ProbeFailure and ProbeWarnings: why a probe of one server failed, and a log of each (server, source,
// reason) *transition* -- one warning when a failure appears, one info line when it clears -- instead of a
// line per scrape.
// Thread-safety: ProbeWarnings::Update is thread-safe (a mutex guards the last seen failures).

#include <map>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "base/mutex.h"
#include "server/ask_server.h"

namespace zkx::collectors {

using ProbeFailure = server::Failure;

class ProbeWarnings {
 public:
  // `what` names the collector in log lines ("server", "watches").
  explicit ProbeWarnings(std::string what) : what_(std::move(what)) {}
  // Logs failures of `server` that were not there at the previous Update, and recoveries. Returns the
  // number of new failures logged (for tests).
  int Update(const std::string& server, const std::vector<ProbeFailure>& failures);

 private:
  const std::string what_;
  Mutex mu_;
  std::map<std::string, std::set<std::string>> last_ GUARDED_BY(mu_);  // server -> "source/reason"
};

}  // namespace zkx::collectors
