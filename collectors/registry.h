#pragma once
// CollectorRegistry: every switchable collector, node_exporter style. Each collector's own .cc declares, in
// one ZKX_REGISTER_COLLECTOR block, its name, whether it is on by default, the flags only it reads (with
// their one typed default and help) and a factory that builds it for one target. The exporter derives from
// this table
// --collector.X / --no-collector.X, the collector flags of --help, their parsing and validation
// (exporter/flags.cc), the collectors of /metrics (exporter/app.cc) and those of each /probe target
// (exporter/target_manager.cc).
//
// Adding a collector: its .h/.cc with the block below, its name in ZKX_COLLECTORS (collectors/CMakeLists.txt:
// the linker keeps the object file by the symbol the block defines), one test, README rows. Nothing else.
//
//   CollectorInfo UptimeInfo() {           // in collectors/uptime_collector.cc
//     CollectorInfo info;
//     info.name = "uptime";
//     info.enabled_by_default = true;
//     info.flags.push_back(Flag({"--uptime.unit"}, "UNIT", std::string("s"), "Unit of the uptime"));
//     info.factory = [](const CollectorContext& c) -> Result<BuiltCollector> { ... };
//     return info;
//   }
//   ZKX_REGISTER_COLLECTOR(uptime, UptimeInfo)   // at global scope: the function, not a call
//
// Thread-safety: registration happens during static initialisation; afterwards the registry is read-only and
// may be read from any thread. Factories run on the thread that builds a target (startup, or a /probe
// request).

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "base/status.h"
#include "collectors/collector.h"
#include "collectors/subtree_spec.h"
#include "collectors/watch_sessions.h"
#include "server/connect_string.h"
#include "zk/walk_session_count.h"

namespace zkx {
class WorkerPool;
}  // namespace zkx
namespace zkx::zk {
class Session;
class ZnodeReader;
}  // namespace zkx::zk

namespace zkx::collectors {

class WalkThreads;  // collectors/refresh_scheduler.h

// A flag's value; its alternative is the flag's kind: bool (a switch), std::size_t (a positive integer),
// std::uint16_t (a port, 0 allowed), milliseconds (a positive duration, "15s" on the command line), string.
using FlagValue = std::variant<bool, std::size_t, std::uint16_t, std::chrono::milliseconds, std::string>;

// One command-line flag a collector reads.
struct FlagSpec {
  std::vector<std::string> names;  // "--server.timeout" first (errors name it); deprecated aliases after
  std::string type_name;           // shown in --help: "DURATION", "N", "PORT", "PATH"
  FlagValue default_value;         // the one place the default is written
  std::string help;
  // Optional check beyond the kind's own (positive, a port...): returns the problem, "" when fine.
  std::function<std::string(const FlagValue&)> check;
};

FlagSpec Flag(std::vector<std::string> names, std::string type_name, FlagValue default_value,
              std::string help, std::function<std::string(const FlagValue&)> check = nullptr);

// The values of the registered flags, by primary name. Reading a name no collector registered, or with the
// wrong kind, is a programming error: it aborts with the name (tests catch it at once).
class FlagValues {
 public:
  // Every registered flag at its default.
  static FlagValues Defaults();

  void Set(const std::string& name, FlagValue value);
  [[nodiscard]] bool Bool(std::string_view name) const;
  [[nodiscard]] std::size_t Size(std::string_view name) const;
  [[nodiscard]] std::uint16_t Port(std::string_view name) const;
  [[nodiscard]] std::chrono::milliseconds Duration(std::string_view name) const;
  [[nodiscard]] const std::string& String(std::string_view name) const;

 private:
  [[nodiscard]] const FlagValue& Get(std::string_view name) const;
  std::map<std::string, FlagValue, std::less<>> values_;
};

// What a factory gets: one target's session and servers, and the flag values that apply to it (for a /probe
// target, the defaults with its module's settings).
struct CollectorContext {
  zk::Session* session = nullptr;     // the target's session (never null); outlives the collector
  zk::ZnodeReader* reader = nullptr;  // reads for walks (the reader pool, or a target's chroot reader)
  std::size_t chroot_length = 0;      // the chroot the session's client prefixes to watched paths
  std::size_t max_watch_bytes = 0;    // the budget of watched path bytes of each watch session
  // Where watch-mode subtrees keep their watches (--zookeeper.watch-sessions > 1: zk::WatchShards over the
  // session and watch_sessions); empty: `reader` and `session`.
  WatchSessions watch;
  std::vector<zk::Session*> watch_sessions;  // the watch sessions beyond `session` (the session collector)
  // The walk sessions of `reader` (the session collector); null: walks use `session` alone.
  std::function<zk::WalkSessionFigures()> walk_sessions;
  server::ConnectString hosts;        // the target's servers and chroot
  std::vector<SubtreeSpec> subtrees;  // the configured subtrees (their roots relative to the chroot)
  const FlagValues* flags = nullptr;  // never null
  // Threads shared across /probe targets (exporter/target_manager.h TargetThreads); null: the collector's
  // own.
  std::shared_ptr<WalkThreads> walk_threads;  // the tree collector's walks and timer
  std::shared_ptr<WorkerPool> probe_threads;  // the server and watches collectors' per-server probes
};

// A built collector and how to stop its background work (empty when it has none). The owner calls `stop`
// before the session goes away.
struct BuiltCollector {
  std::shared_ptr<Collector> collector;
  std::function<void()> stop;
};

struct CollectorInfo {
  std::string name;  // --collector.<name>, the collector label
  bool enabled_by_default = true;
  bool per_target = false;  // also available to /probe modules (modules: collectors:)
  std::vector<std::string>
      old_names;                // deprecated --[no-]collector.<old> names, honoured when <name> is not given
  std::vector<FlagSpec> flags;  // flags only this collector reads (or reads first)
  std::function<Result<BuiltCollector>(const CollectorContext&)> factory;
};

class CollectorRegistry {
 public:
  static CollectorRegistry& Global();

  // Adds `info` (at static initialisation). A name or flag registered twice aborts: names are unique.
  bool Add(CollectorInfo info);

  [[nodiscard]] const CollectorInfo* Find(std::string_view name) const;
  // By name.
  [[nodiscard]] std::vector<const CollectorInfo*> Collectors() const;
  // Every collector's flags, by collector name, then in declaration order.
  [[nodiscard]] std::vector<const FlagSpec*> Flags() const;
  // name -> on by default, old names included: what --collector.X / --no-collector.X are made from.
  [[nodiscard]] std::map<std::string, bool> Defaults() const;

 private:
  std::map<std::string, CollectorInfo, std::less<>> collectors_;
};

// What ZKX_REGISTER_COLLECTOR runs at static initialisation: builds the info with `make` and adds it. Never
// throws (nothing could catch it there; clang-tidy's cert-err58-cpp checks it): a failure aborts with a
// message, as a name registered twice does.
bool RegisterCollector(CollectorInfo (*make)()) noexcept;

// Whether `info` runs, given the --[no-]collector.X flags that were given (Flags::collector_overrides).
bool CollectorEnabled(const CollectorInfo& info, const std::map<std::string, bool>& overrides);

}  // namespace zkx::collectors

// Registers a collector from its own .cc (at namespace scope, outside any namespace): `make_info` names the
// function that returns its CollectorInfo (not a call of it). `id` names the symbol
// zkx_collector_<id> that ZKX_COLLECTORS in collectors/CMakeLists.txt keeps linked.
#define ZKX_REGISTER_COLLECTOR(id, make_info)                                         \
  extern "C" {                                                                        \
  extern const bool zkx_collector_##id;                                               \
  const bool zkx_collector_##id = ::zkx::collectors::RegisterCollector(&(make_info)); \
  }
