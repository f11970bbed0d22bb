#pragma once
// ProbeEachServer: the fan-out shared by the collectors that ask every server of --zookeeper.hosts (server,
// watches): one probe per server, concurrently (RunConcurrently), each bounded by
// min(scrape deadline, now + timeout). A server whose probe has not answered a little after that gets one
// timeout failure attributed to `first_source` (the source it was trying first). Failure transitions are
// logged through `warnings`.
// `probe` must own everything it uses (capture by value): a probe still running at the deadline is abandoned
// by this call and may finish later on its worker, which the pool's owner joins (see probe_runner.h).
// Thread-safety: as RunConcurrently and ProbeWarnings::Update; no state of its own.

#include <chrono>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "collectors/probe_runner.h"
#include "collectors/probe_warnings.h"
#include "server/connect_string.h"

namespace zkx::collectors {

// Obs has `std::string server` and `std::vector<ProbeFailure> failures`, and optionally
// `double duration_seconds`.
template <typename Obs>
std::vector<Obs> ProbeEachServer(
    WorkerPool& pool, const std::vector<server::HostPort>& servers, std::chrono::milliseconds timeout,
    std::chrono::steady_clock::time_point deadline, const std::string& first_source,
    const std::function<Obs(const server::HostPort&, std::chrono::steady_clock::time_point)>& probe,
    ProbeWarnings& warnings) {
  using Clock = std::chrono::steady_clock;
  const auto start = Clock::now();
  const auto probe_deadline = std::min(deadline, start + timeout);
  std::vector<std::function<Obs()>> tasks;
  tasks.reserve(servers.size());
  for (const server::HostPort& s : servers) {
    tasks.emplace_back([s, probe, probe_deadline] { return probe(s, probe_deadline); });
  }
  // Wait a little past the probes' own deadline for their answers, never past the scrape's.
  auto results = RunConcurrently(pool, std::move(tasks),
                                 std::min(deadline, probe_deadline + std::chrono::milliseconds(50)));
  std::vector<Obs> observations;
  for (std::size_t i = 0; i < servers.size(); ++i) {
    if (results[i]) {
      observations.push_back(std::move(*results[i]));
      continue;
    }
    Obs o;  // the probe is still running, was not started or was refused (e.g. stuck resolving the name)
    o.server = servers[i].ToString();
    o.failures.push_back({first_source, server::ProbeReason::kTimeout, "no answer before the deadline"});
    if constexpr (requires { o.duration_seconds; }) {
      o.duration_seconds = std::chrono::duration<double>(Clock::now() - start).count();
    }
    observations.push_back(std::move(o));
  }
  for (const Obs& o : observations) warnings.Update(o.server, o.failures);
  return observations;
}

}  // namespace zkx::collectors
