#include "exporter/flags.h"

#include <cstdint>
#include <exception>
#include <string_view>
#include <variant>

// GCC 12 at -O2 reports a false "potential null pointer dereference" inside CLI11's header-only string
// helpers (CLI::detail::split); the inlined code is not ours, so the warning is silenced for this file.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wnull-dereference"
#include <CLI/CLI.hpp>
#pragma GCC diagnostic pop
#include <arpa/inet.h>

#include "base/quote.h"
#include "base/read_number.h"
#include "collectors/watch_budget.h"
#include "exporter/config.h"
#include "exporter/duration.h"

namespace zkx::exporter {
namespace {

// Each walk session is one more connection and session on the ensemble.
constexpr std::size_t kMaxWalkSessions = 16;
// 32 x the largest budget is ~32 MiB of watched paths: ~700,000 znodes of ~20-byte paths.
constexpr std::size_t kMaxWatchSessions = 32;
constexpr std::size_t kMinWebConnections =
    16;  // --web.max-connections: below this a few idle clients lock it
constexpr std::size_t kMaxWebConnections = 65536;  // one thread each

Status InvalidFlag(std::string_view flag, const std::string& value, std::string_view problem) {
  std::string m = "invalid value ";
  m += Quote(value);  // control characters escaped: the error stays one line
  m += " for ";
  m += flag;
  m += ": ";
  m += problem;
  return Status::InvalidArgument(std::move(m));
}

// Flag values are bound as strings and converted here, after CLI11 has parsed the command line, so that
// --help and --version win over bad values and every error names its flag.
Status ParseDurationFlag(std::string_view flag, const std::string& value, std::chrono::milliseconds* out) {
  Result<std::chrono::milliseconds> d = ParseDuration(value);
  if (!d.ok()) return InvalidFlag(flag, value, d.status().message());
  if (d->count() <= 0) return InvalidFlag(flag, value, "must be greater than zero");
  *out = *d;
  return Status::Ok();
}

Status ParsePositiveSize(std::string_view flag, const std::string& value, std::size_t* out) {
  std::size_t v = 0;
  switch (ReadNumber(value, v)) {
    case NumberRead::kMalformed: return InvalidFlag(flag, value, "not a positive integer");
    case NumberRead::kOutOfRange: return InvalidFlag(flag, value, "out of range");
    case NumberRead::kOk: break;
  }
  if (v == 0) return InvalidFlag(flag, value, "must be greater than zero");
  *out = v;
  return Status::Ok();
}

// ParsePositiveSize, then a range check: "want at most <max>" when min is 1, "want <min>-<max>" otherwise.
Status ParseSizeInRange(std::string_view flag, const std::string& value, std::size_t min, std::size_t max,
                        std::size_t* out) {
  std::size_t v = 0;
  if (Status s = ParsePositiveSize(flag, value, &v); !s.ok()) return s;
  if (v < min || v > max) {
    return InvalidFlag(flag, value,
                       min <= 1 ? "want at most " + std::to_string(max)
                                : "want " + std::to_string(min) + "-" + std::to_string(max));
  }
  *out = v;
  return Status::Ok();
}

bool IsIpv4Literal(const std::string& host) {
  in_addr addr{};
  return inet_pton(AF_INET, host.c_str(), &addr) == 1;
}

bool IsIpv6Literal(const std::string& host) {
  in6_addr addr{};
  return inet_pton(AF_INET6, host.c_str(), &addr) == 1;
}

// "[host]:port": host empty (all interfaces), an IPv4 literal, "localhost" or a bracketed IPv6 literal;
// port 1-65535.
Status ValidateListenAddress(const std::string& value) {
  constexpr std::string_view kFlag = "--web.listen-address";
  const std::size_t colon = value.rfind(':');
  if (colon == std::string::npos) return InvalidFlag(kFlag, value, "want [host]:port, e.g. \":9141\"");
  const std::string host = value.substr(0, colon);
  const std::string port = value.substr(colon + 1);
  if (port.empty() || port.find_first_not_of("0123456789") != std::string::npos || port.size() > 5) {
    return InvalidFlag(kFlag, value, "port must be a number from 1 to 65535");
  }
  const int port_number = std::stoi(port);
  if (port_number < 1 || port_number > 65535) {
    return InvalidFlag(kFlag, value, "port must be a number from 1 to 65535");
  }
  if (host.empty() || host == "localhost" || IsIpv4Literal(host)) return Status::Ok();
  if (host.size() > 2 && host.front() == '[' && host.back() == ']' &&
      IsIpv6Literal(host.substr(1, host.size() - 2))) {
    return Status::Ok();
  }
  return InvalidFlag(kFlag, value,
                     "host must be empty, \"localhost\", an IPv4 address or a bracketed IPv6 address "
                     "(\"[::1]:9141\")");
}

Status ValidateTelemetryPath(const std::string& value) {
  constexpr std::string_view kFlag = "--web.telemetry-path";
  if (value.empty() || value.front() != '/') return InvalidFlag(kFlag, value, "must start with '/'");
  for (char c : value) {
    const auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u == 0x7f || c == '?' || c == '#') {
      return InvalidFlag(kFlag, value, "must not contain spaces, control characters, '?' or '#'");
    }
  }
  // The server routes exact paths: a telemetry path equal to another endpoint's would leave no path serving
  // the metrics (or hide the health checks).
  for (const char* taken : {"/", "/healthz", "/readyz"}) {
    if (value == taken) {
      return InvalidFlag(kFlag, value, "collides with the " + std::string(taken) + " endpoint");
    }
  }
  return Status::Ok();
}

// A duration as the command line writes it: whole seconds as "30s", else milliseconds.
std::string DurationText(std::chrono::milliseconds d) {
  return d.count() % 1000 == 0 ? std::to_string(d.count() / 1000) + "s" : std::to_string(d.count()) + "ms";
}

// Values that the caller converts after parsing; their defaults are the typed ones of Flags, as text.
struct RawFlags {
  explicit RawFlags(const Flags& d)
      : session_timeout(DurationText(d.session_timeout)),
        max_in_flight(std::to_string(d.max_in_flight)),
        walk_sessions(std::to_string(d.walk_sessions)),
        watch_sessions(std::to_string(d.watch_sessions)),
        max_watch_bytes(std::to_string(d.max_watch_bytes)),
        scrape_timeout(DurationText(d.scrape_timeout)),
        max_concurrent_scrapes(std::to_string(d.max_concurrent_scrapes)),
        web_max_connections(std::to_string(d.web_max_connections)),
        web_read_header_timeout(DurationText(d.web_read_header_timeout)),
        web_idle_timeout(DurationText(d.web_idle_timeout)) {}
  std::string session_timeout;
  std::string max_in_flight;
  std::string walk_sessions;
  std::string watch_sessions;
  std::string tree_refresh_interval;
  std::string max_watch_bytes;
  std::string scrape_timeout;
  std::string max_concurrent_scrapes;
  std::string web_max_connections;
  std::string web_read_header_timeout;
  std::string web_idle_timeout;
};

// A collector's flag (collectors/registry.h) as given on the command line: text, or a switch.
struct RawCollectorFlag {
  const collectors::FlagSpec* spec = nullptr;
  std::string text;
  bool on = false;
};

std::string FlagValueText(const collectors::FlagValue& v) {
  if (const auto* d = std::get_if<std::chrono::milliseconds>(&v)) return DurationText(*d);
  if (const auto* n = std::get_if<std::size_t>(&v)) return std::to_string(*n);
  if (const auto* p = std::get_if<std::uint16_t>(&v)) return std::to_string(*p);
  if (const auto* t = std::get_if<std::string>(&v)) return *t;
  return "";
}

// 0 (disabled) or 1-65535.
Status ParsePortFlag(std::string_view flag, const std::string& value, uint16_t* out) {
  uint16_t v = 0;
  if (ReadNumber(value, v) != NumberRead::kOk) {
    return InvalidFlag(flag, value, "want a port from 1 to 65535, or 0 to disable");
  }
  *out = v;
  return Status::Ok();
}

// Converts by the flag's kind (its default's type), then applies its own check.
Status ParseCollectorFlag(const RawCollectorFlag& raw, collectors::FlagValues* out) {
  const collectors::FlagSpec& spec = *raw.spec;
  const std::string& name = spec.names.front();
  collectors::FlagValue value;
  if (std::holds_alternative<bool>(spec.default_value)) {
    value = raw.on;
  } else if (std::holds_alternative<std::chrono::milliseconds>(spec.default_value)) {
    std::chrono::milliseconds d{0};
    if (Status s = ParseDurationFlag(name, raw.text, &d); !s.ok()) return s;
    value = d;
  } else if (std::holds_alternative<std::size_t>(spec.default_value)) {
    std::size_t n = 0;
    if (Status s = ParsePositiveSize(name, raw.text, &n); !s.ok()) return s;
    value = n;
  } else if (std::holds_alternative<std::uint16_t>(spec.default_value)) {
    std::uint16_t port = 0;
    if (Status s = ParsePortFlag(name, raw.text, &port); !s.ok()) return s;
    value = port;
  } else {
    value = raw.text;
  }
  if (spec.check) {
    if (std::string problem = spec.check(value); !problem.empty()) {
      return InvalidFlag(name, raw.text, problem);
    }
  }
  out->Set(name, std::move(value));
  return Status::Ok();
}

}  // namespace

Result<FlagsOutcome> ParseFlags(int argc, const char* const* argv,
                                const std::map<std::string, bool>& collector_defaults,
                                const std::string& version_text) {
  FlagsOutcome outcome;
  Flags& f = outcome.flags;
  RawFlags raw(f);
  std::vector<RawCollectorFlag> collector_raw;  // bound by the options below: declared before the app
  // Per-collector values, bound to the --collector.X flags; only names given on the command line end up in
  // collector_overrides. Declared before the app that refers to them.
  std::map<std::string, bool> collector_values;

  try {
    CLI::App app{"Prometheus exporter for Apache ZooKeeper", "zookeeper_exporter"};
    app.set_help_flag("-h,--help", "Show this help and exit");
    app.set_version_flag("--version", version_text, "Show version information and exit");
    app.get_formatter()->column_width(44);
    // A flag given twice takes the last value (a wrapper script can append overrides); --tree.root collects.
    app.option_defaults()->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);

    app.add_option("--zookeeper.hosts", f.zookeeper_hosts,
                   "ZooKeeper connection string: host:port[,host:port...][/chroot]")
        ->capture_default_str()
        ->type_name("HOSTS");
    app.add_option("--zookeeper.session-timeout", raw.session_timeout, "ZooKeeper session timeout")
        ->capture_default_str()
        ->type_name("DURATION");
    app.add_option("--zookeeper.auth-file", f.auth_file,
                   "File holding digest credentials \"user:password\" (default: none; or set "
                   "ZOOKEEPER_EXPORTER_AUTH)")
        ->type_name("FILE");
    app.add_option("--zookeeper.max-in-flight", raw.max_in_flight,
                   "Cap on ZooKeeper requests in flight on each session: walks, watch re-reads and the write "
                   "canary share it (a walk keeps to half of it and to its subtree's max_in_flight; each "
                   "--zookeeper.walk-sessions session has a cap of its own)")
        ->capture_default_str()
        ->type_name("N");
    app.add_option(
           "--zookeeper.walk-sessions", raw.walk_sessions,
           "Most sessions that share the plain reads of subtree walks (1-16): more let the servers work "
           "on a big walk in parallel. The exporter starts on one, opens more only when a busy walk tries "
           "them, and uses them while they measure faster; each opened is one more connection and session "
           "on the ensemble")
        ->capture_default_str()
        ->type_name("N");
    app.add_option(
           "--zookeeper.watch-sessions", raw.watch_sessions,
           "Sessions that share the watches of watch-mode subtrees (1-32), each with its own "
           "--zookeeper.max-watch-bytes: a subtree stays in watch mode while its share on each session "
           "fits; each is one more connection and session on the ensemble")
        ->capture_default_str()
        ->type_name("N");
    AddSecurityFlags(app, f.security);
    app.add_option("--config.file", f.config_file, "YAML configuration file (default: none)")
        ->type_name("FILE");
    app.add_flag("--config.check", f.config_check, "Validate flags and --config.file, then exit");
    app.add_option("--tree.root", f.tree_roots,
                   "Root of a subtree to walk (repeatable; adds to the config file's subtrees)")
        ->type_name("PATH")
        ->allow_extra_args(false)
        ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
    app.add_option("--tree.refresh-interval", raw.tree_refresh_interval,
                   "Walk interval for --tree.root subtrees (default: the config file's, else 30s)")
        ->type_name("DURATION");
    app.add_option("--tree.refresh-mode", f.tree_refresh_mode,
                   "Refresh mode for subtrees whose config sets none: poll (walk every interval) or watch "
                   "(watches; re-read only what changed) (default: poll)")
        ->type_name("MODE");
    app.add_option("--zookeeper.max-watch-bytes", raw.max_watch_bytes,
                   "Budget of watched path bytes of each watch session (its SetWatches packet must stay "
                   "under the server's jute.maxbuffer, 1 MiB); a subtree over it is polled")
        ->capture_default_str()
        ->type_name("BYTES");
    app.add_option("--web.listen-address", f.listen_address, "Address to listen on, [host]:port")
        ->capture_default_str()
        ->type_name("ADDRESS");
    app.add_option("--web.telemetry-path", f.telemetry_path, "Path under which to expose metrics")
        ->capture_default_str()
        ->type_name("PATH");
    app.add_option("--web.scrape-timeout", raw.scrape_timeout, "Deadline for collectors during one scrape")
        ->capture_default_str()
        ->type_name("DURATION");
    app.add_option("--web.max-concurrent-scrapes", raw.max_concurrent_scrapes,
                   "Scrapes that gather metrics at once; more wait their turn until their scrape deadline "
                   "(each holds its samples in memory while it runs)")
        ->capture_default_str()
        ->type_name("N");
    app.add_option(
           "--web.config.file", f.web_config_file,
           "exporter-toolkit web config (YAML): TLS and basic auth for every endpoint (default: none)")
        ->type_name("FILE");
    app.add_option("--web.max-connections", raw.web_max_connections,
                   "Connections served at once (16-65536), one server thread each; more wait until one "
                   "closes")
        ->capture_default_str()
        ->type_name("N");
    app.add_option("--web.read-header-timeout", raw.web_read_header_timeout,
                   "Time a client has to send a whole request head; slower clients are cut off")
        ->capture_default_str()
        ->type_name("DURATION");
    app.add_option("--web.idle-timeout", raw.web_idle_timeout,
                   "Time a kept-alive connection may stay idle between requests")
        ->capture_default_str()
        ->type_name("DURATION");
    app.add_option("--log.level", f.log_level, "Log level: debug, info, warn or error")
        ->capture_default_str()
        ->type_name("LEVEL");
    app.add_option("--log.format", f.log_format, "Log format: logfmt or json")
        ->capture_default_str()
        ->type_name("FORMAT");

    // The collectors' own flags (collectors/registry.h), after the exporter's.
    const std::vector<const collectors::FlagSpec*> specs = collectors::CollectorRegistry::Global().Flags();
    collector_raw.resize(specs.size());
    for (std::size_t i = 0; i < specs.size(); ++i) {
      const collectors::FlagSpec& spec = *specs[i];
      RawCollectorFlag& raw_flag = collector_raw[i];
      raw_flag.spec = &spec;
      std::string names;
      for (const std::string& n : spec.names) names += (names.empty() ? "" : ",") + n;
      if (const bool* on = std::get_if<bool>(&spec.default_value)) {
        raw_flag.on = *on;
        app.add_flag(names, raw_flag.on, spec.help);
        continue;
      }
      raw_flag.text = FlagValueText(spec.default_value);
      app.add_option(names, raw_flag.text, spec.help)->capture_default_str()->type_name(spec.type_name);
    }

    std::vector<std::pair<std::string, CLI::Option*>> collector_options;
    for (const auto& [name, enabled] : collector_defaults) {
      bool& value = collector_values[name];
      value = enabled;
      std::string names = "--collector.";
      names += name;
      names += ",!--no-collector.";
      names += name;
      std::string description = "Enable the ";
      description += name;
      description += enabled ? " collector (default: enabled)" : " collector (default: disabled)";
      CLI::Option* opt = app.add_flag(names, value, description);
      collector_options.emplace_back(name, opt);
    }

    // An empty `--name=` followed by more arguments makes CLI11 take the next argument as the value
    // (`--zookeeper.hosts= --web.listen-address=:9141` set the hosts to "--web.listen-address=:9141"):
    // refused, like a value that starts with "--" where one is required.
    for (int i = 1; i + 1 < argc; ++i) {
      const std::string_view arg = argv[i] != nullptr ? argv[i] : "";
      if (arg.size() > 3 && arg.rfind("--", 0) == 0 && arg.back() == '=' && arg.find('=') == arg.size() - 1) {
        const std::string name(arg.substr(0, arg.size() - 1));
        std::string message = name;
        message += ": empty value (write " + name;
        message += "=VALUE; an empty value would take the next argument as its value)";
        return Status::InvalidArgument(message);
      }
    }
    // CLI11 wants the arguments after the program name, in reverse order.
    std::vector<std::string> args;
    for (int i = argc - 1; i >= 1; --i) args.emplace_back(argv[i] != nullptr ? argv[i] : "");
    try {
      app.parse(args);
    } catch (const CLI::CallForHelp&) {
      outcome.action = FlagsOutcome::Action::kExit;
      outcome.output = app.help();
      return outcome;
    } catch (const CLI::CallForAllHelp&) {
      outcome.action = FlagsOutcome::Action::kExit;
      outcome.output = app.help("", CLI::AppFormatMode::All);
      return outcome;
    } catch (const CLI::CallForVersion& e) {
      outcome.action = FlagsOutcome::Action::kExit;
      outcome.output = e.what();
      if (outcome.output.empty() || outcome.output.back() != '\n') outcome.output += '\n';
      return outcome;
    } catch (const CLI::ParseError& e) {
      return Status::InvalidArgument(std::string(e.what()) + " (see --help)");
    }

    // `--zookeeper.hosts --web.listen-address=:9141`: CLI11 takes the next flag as the missing value.
    for (const CLI::Option* opt : app.get_options()) {
      if (opt->get_type_size() <= 0 || opt->count() == 0) continue;
      for (const std::string& value : opt->results()) {
        if (value.rfind("--", 0) == 0) {
          return Status::InvalidArgument(opt->get_name() + ": no value given (it would take the next flag, " +
                                         value.substr(0, value.find('=')) + ", as its value)");
        }
      }
    }
    for (const auto& [name, opt] : collector_options) {
      if (opt->count() > 0) f.collector_overrides[name] = collector_values[name];
    }
  } catch (const std::exception& e) {
    // Defensive: CLI11 signals construction problems (e.g. a collector name it cannot use) by exceptions.
    return Status::InvalidArgument(std::string("command line: ") + e.what());
  }

  if (Status s = ParseDurationFlag("--zookeeper.session-timeout", raw.session_timeout, &f.session_timeout);
      !s.ok()) {
    return s;
  }
  if (Status s = ParseSizeInRange("--zookeeper.walk-sessions", raw.walk_sessions, 1, kMaxWalkSessions,
                                  &f.walk_sessions);
      !s.ok()) {
    return s;
  }
  if (Status s = ParseSizeInRange("--zookeeper.watch-sessions", raw.watch_sessions, 1, kMaxWatchSessions,
                                  &f.watch_sessions);
      !s.ok()) {
    return s;
  }
  if (Status s = ParsePositiveSize("--zookeeper.max-in-flight", raw.max_in_flight, &f.max_in_flight);
      !s.ok()) {
    return s;
  }
  if (!raw.tree_refresh_interval.empty()) {
    std::chrono::milliseconds interval{0};
    if (Status s = ParseDurationFlag("--tree.refresh-interval", raw.tree_refresh_interval, &interval);
        !s.ok()) {
      return s;
    }
    if (Status s = CheckRefreshInterval("--tree.refresh-interval", interval); !s.ok()) return s;
    f.tree_refresh_interval = interval;
  }
  if (!f.tree_refresh_mode.empty() && f.tree_refresh_mode != "poll" && f.tree_refresh_mode != "watch") {
    return InvalidFlag("--tree.refresh-mode", f.tree_refresh_mode, "want poll or watch");
  }
  if (Status s = ParsePositiveSize("--zookeeper.max-watch-bytes", raw.max_watch_bytes, &f.max_watch_bytes);
      !s.ok()) {
    return s;
  }
  if (f.max_watch_bytes > collectors::WatchBudget::kMaxLimit) {  // issue 17: must fit a default server
    return InvalidFlag(
        "--zookeeper.max-watch-bytes", raw.max_watch_bytes,
        "over " + std::to_string(collectors::WatchBudget::kMaxLimit) +
            ": the SetWatches packet would not fit the server's default jute.maxbuffer (1 MiB)");
  }
  if (Status s = ParseDurationFlag("--web.scrape-timeout", raw.scrape_timeout, &f.scrape_timeout); !s.ok()) {
    return s;
  }
  if (Status s = ParsePositiveSize("--web.max-concurrent-scrapes", raw.max_concurrent_scrapes,
                                   &f.max_concurrent_scrapes);
      !s.ok()) {
    return s;
  }
  {
    std::size_t n = 0;
    if (Status s = ParseSizeInRange("--web.max-connections", raw.web_max_connections, kMinWebConnections,
                                    kMaxWebConnections, &n);
        !s.ok()) {
      return s;
    }
    f.web_max_connections = static_cast<int>(n);
  }
  if (Status s = ParseDurationFlag("--web.read-header-timeout", raw.web_read_header_timeout,
                                   &f.web_read_header_timeout);
      !s.ok()) {
    return s;
  }
  if (Status s = ParseDurationFlag("--web.idle-timeout", raw.web_idle_timeout, &f.web_idle_timeout);
      !s.ok()) {
    return s;
  }
  for (const RawCollectorFlag& raw_flag : collector_raw) {
    if (Status s = ParseCollectorFlag(raw_flag, &f.collector_flags); !s.ok()) return s;
  }
  if (f.zookeeper_hosts.empty()) {
    return InvalidFlag("--zookeeper.hosts", f.zookeeper_hosts, "must not be empty");
  }
  if (Status s = ValidateListenAddress(f.listen_address); !s.ok()) return s;
  if (Status s = ValidateTelemetryPath(f.telemetry_path); !s.ok()) return s;
  if (f.log_level != "debug" && f.log_level != "info" && f.log_level != "warn" && f.log_level != "error") {
    return InvalidFlag("--log.level", f.log_level, "want debug, info, warn or error");
  }
  if (f.log_format != "logfmt" && f.log_format != "json") {
    return InvalidFlag("--log.format", f.log_format, "want logfmt or json");
  }
  return outcome;
}

}  // namespace zkx::exporter
