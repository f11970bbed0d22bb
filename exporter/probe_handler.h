#pragma once
// The multi-target endpoint, blackbox_exporter style: GET /probe?target=<connect string>&module=<name>.
//
// `target` is a ZooKeeper connect string ("zk-0:2181,zk-1:2181/kafka", URL-encoded), parsed with
// server::ParseConnectString; `module` names a module of the config file (exporter/modules_config.h; absent:
// the default module). Answers:
//   200  the target's families (its collectors' and zookeeper_exporter_collector_*), plus
//        zookeeper_exporter_target_connected, zookeeper_exporter_target_walked,
//        zookeeper_exporter_target_first_scrape and zookeeper_exporter_probe_duration_seconds.
//        The series carry no target label: Prometheus adds it by relabelling (__param_target -> instance).
//   400  no or bad target, unknown module, unknown or repeated parameter
//   403  the target is outside multi_target.allow (or, without an allow-list, not named in the config)
//   503  multi_target.max_targets targets are live
// Every error body is one line naming the problem.
//
// A known target's scrape reads only its snapshots (and, with the server collector, its servers' own
// endpoints under the module's server timeout). A new target's first scrape waits until it is connected and
// walked, or until shortly before `deadline`, and answers with what it has (zookeeper_exporter_target_walked
// says which). Thread-safety: ServeProbe may run concurrently on HTTP worker threads.

#include <chrono>
#include <map>
#include <string>
#include <string_view>

#include "base/status.h"
#include "exporter/http_server.h"
#include "exporter/target_manager.h"

namespace zkx::exporter {

HttpResponse ServeProbe(TargetManager& manager, const HttpRequest& request,
                        std::chrono::steady_clock::time_point deadline);

// application/x-www-form-urlencoded decoding of a query string ("a=1&b=%2Fx"); InvalidArgument on a bad
// escape or a repeated name.
Result<std::map<std::string, std::string>> ParseQueryString(std::string_view query);

}  // namespace zkx::exporter
