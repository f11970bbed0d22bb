#include "exporter/modules_config.h"

#include <algorithm>
#include <cctype>
#include <cstring>
#include <exception>
#include <utility>

#include <arpa/inet.h>
#include <yaml-cpp/yaml.h>

#include "base/quote.h"
#include "base/read_file.h"
#include "base/read_number.h"
#include "collectors/registry.h"
#include "exporter/config_node.h"
#include "exporter/duration.h"
#include "zk/digest_credentials.h"

namespace zkx::exporter {
namespace {

constexpr std::size_t kMaxConfigBytes = std::size_t{16} * 1024 * 1024;

// The collectors a module may run: those the registry marks per-target (collectors/registry.h).
bool IsModuleCollector(const std::string& name) {
  const collectors::CollectorInfo* info = collectors::CollectorRegistry::Global().Find(name);
  return info != nullptr && info->per_target;
}

std::string ModuleCollectorNames() {
  std::string names;
  for (const collectors::CollectorInfo* info : collectors::CollectorRegistry::Global().Collectors()) {
    if (info->per_target) names += (names.empty() ? "" : ", ") + info->name;
  }
  return names;
}

class Parser {
 public:
  explicit Parser(const std::string& source) : source_(source) {}

  Status Error(const YAML::Mark& mark, const std::string& problem) const {
    std::string m = source_;
    if (!mark.is_null()) m += ":" + std::to_string(mark.line + 1);
    const std::string quoted = QuoteForMessage(problem);  // one line, control characters escaped
    return Status::InvalidArgument(m + ": " + quoted.substr(1, quoted.size() - 2));
  }

  template <typename Fn>
  Status ForEachKey(const YAML::Node& map, const std::string& where, Fn&& fn) {
    if (!map.IsMap()) return Error(map.Mark(), where + ": want a map");
    std::set<std::string> seen;
    for (const auto& entry : map) {
      const YAML::Node& key = entry.first;
      if (!key.IsScalar()) return Error(key.Mark(), "keys in " + where + " must be plain strings");
      if (!seen.insert(key.Scalar()).second) {
        return Error(key.Mark(), "duplicate key " + QuoteForMessage(key.Scalar()) + " in " + where);
      }
      key_mark_ = key.Mark();
      if (Status s = fn(key.Scalar(), entry.second); !s.ok()) return s;
    }
    return Status::Ok();
  }

  Status Unknown(const std::string& key, const std::string& where, const std::string& want) const {
    return Error(key_mark_, "unknown key " + QuoteForMessage(key) + " in " + where + " (want " + want + ")");
  }

  Result<std::string> Scalar(const std::string& key, const YAML::Node& v) const {
    if (!v.IsScalar()) return Error(v.IsNull() ? key_mark_ : v.Mark(), key + ": want a scalar");
    return v.Scalar();
  }

  Status Duration(const std::string& key, const YAML::Node& v, std::chrono::milliseconds* out) const {
    Result<std::string> text = Scalar(key, v);
    if (!text.ok()) return text.status();
    Result<std::chrono::milliseconds> d = ParseDuration(*text);
    if (!d.ok()) return Error(v.Mark(), key + ": " + d.status().message());
    if (d->count() <= 0) return Error(v.Mark(), key + ": must be greater than zero");
    *out = *d;
    return Status::Ok();
  }

  Status Integer(const std::string& key, const YAML::Node& v, uint64_t min, uint64_t max,
                 uint64_t* out) const {
    Result<std::string> text = Scalar(key, v);
    if (!text.ok()) return text.status();
    uint64_t n = 0;
    if (ReadNumber(*text, n) != NumberRead::kOk || n < min || n > max) {
      return Error(v.Mark(), key + ": want an integer from " + std::to_string(min) + " to " +
                                 std::to_string(max) + ", got " + QuoteForMessage(*text));
    }
    *out = n;
    return Status::Ok();
  }

  Result<std::vector<std::pair<std::string, YAML::Mark>>> StringList(const std::string& key,
                                                                     const YAML::Node& v) const {
    if (!v.IsSequence()) return Error(v.IsNull() ? key_mark_ : v.Mark(), key + ": want a list");
    std::vector<std::pair<std::string, YAML::Mark>> out;
    for (const YAML::Node& item : v) {
      if (!item.IsScalar()) return Error(item.Mark(), key + ": want a list of strings");
      out.emplace_back(item.Scalar(), item.Mark());
    }
    return out;
  }

  Result<ModuleConfig> Module(const std::string& name, const YAML::Node& node,
                              const std::vector<collectors::SubtreeSpec>& fallback) {
    ModuleConfig m;
    m.name = name;
    const std::string where = "module " + QuoteForMessage(name);
    YAML::Node tree(YAML::NodeType::Map);
    bool has_subtrees = false;
    if (!node.IsNull()) {
      Status s = ForEachKey(node, where, [&](const std::string& key, const YAML::Node& v) -> Status {
        uint64_t n = 0;
        if (key == "defaults") {
          tree["defaults"] = v;
        } else if (key == "subtrees") {
          tree["subtrees"] = v;
          has_subtrees = true;
        } else if (key == "collectors") {
          auto list = StringList(key, v);
          if (!list.ok()) return list.status();
          m.collectors.clear();
          for (const auto& [c, mark] : *list) {
            if (!IsModuleCollector(c)) {
              return Error(mark, "collectors: unknown collector " + QuoteForMessage(c) + " (want " +
                                     ModuleCollectorNames() + ")");
            }
            m.collectors.insert(c);
          }
        } else if (key == "auth_file") {
          auto text = Scalar(key, v);
          if (!text.ok()) return text.status();
          m.auth_file = *text;
        } else if (key == "session_timeout") {
          return Duration(key, v, &m.session_timeout);
        } else if (key == "max_in_flight") {
          if (Status is = Integer(key, v, 1, 100000, &n); !is.ok()) return is;
          m.max_in_flight = n;
        } else if (key == "max_watch_bytes") {
          if (Status is = Integer(key, v, 1, 64ULL << 20, &n); !is.ok()) return is;
          m.max_watch_bytes = n;
        } else if (key == "server") {
          return ForEachKey(v, where + " server", [&](const std::string& k, const YAML::Node& sv) -> Status {
            if (k == "admin_port") {
              uint64_t port = 0;
              if (Status is = Integer(k, sv, 0, 65535, &port); !is.ok()) return is;
              m.server_admin_port = static_cast<uint16_t>(port);
              return Status::Ok();
            }
            if (k == "timeout") return Duration(k, sv, &m.server_timeout);
            return Unknown(k, where + " server", "admin_port, timeout");
          });
        } else {
          return Unknown(key, where,
                         "defaults, subtrees, collectors, auth_file, session_timeout, max_in_flight, "
                         "max_watch_bytes, server");
        }
        return Status::Ok();
      });
      if (!s.ok()) return s;
    }
    Result<FileConfig> file = ParseConfigNode(tree, source_);
    if (!file.ok()) return file.status();
    Result<std::vector<collectors::SubtreeSpec>> subtrees =
        EffectiveSubtrees(*file, has_subtrees ? std::vector<std::string>{} : std::vector<std::string>{"/"},
                          std::nullopt, std::nullopt);
    if (!subtrees.ok()) return subtrees.status();
    m.subtrees = std::move(subtrees).value();
    if (m.subtrees.empty()) m.subtrees = fallback;
    return m;
  }

  Result<Cidr> ParseCidrAt(const std::string& text, const YAML::Mark& mark) const {
    const auto slash = text.find('/');
    const std::string addr = text.substr(0, slash);
    Cidr c;
    int max_bits = 128;
    in_addr v4{};
    if (inet_pton(AF_INET, addr.c_str(), &v4) == 1) {
      c.address[10] = c.address[11] = 0xff;
      std::memcpy(&c.address[12], &v4, 4);
      max_bits = 32;
    } else if (inet_pton(AF_INET6, addr.c_str(), c.address.data()) != 1) {
      return Error(mark, "cidrs: " + QuoteForMessage(text) + " is not an IP address or CIDR");
    }
    int bits = max_bits;
    if (slash != std::string::npos) {
      const std::string b = text.substr(slash + 1);
      if (ReadNumber(b, bits) != NumberRead::kOk || bits < 0 || bits > max_bits) {
        return Error(mark, "cidrs: bad prefix length in " + QuoteForMessage(text));
      }
    }
    c.prefix_bits = bits + (max_bits == 32 ? 96 : 0);
    return c;
  }

  Result<PortRange> ParsePorts(const std::string& text, const YAML::Mark& mark) const {
    PortRange r;
    const auto dash = text.find('-');
    auto one = [&](const std::string& t, uint16_t* out) {
      uint16_t v = 0;
      if (ReadNumber(t, v) != NumberRead::kOk || v < 1) return false;
      *out = v;
      return true;
    };
    const bool ok = dash == std::string::npos
                        ? one(text, &r.first) && one(text, &r.last)
                        : one(text.substr(0, dash), &r.first) && one(text.substr(dash + 1), &r.last);
    if (!ok || r.first > r.last) {
      return Error(mark,
                   "ports: want a port 1-65535 or a range such as 2000-2999, got " + QuoteForMessage(text));
    }
    return r;
  }

  Status MultiTarget(const YAML::Node& node, MultiTargetConfig* c) {
    return ForEachKey(node, "multi_target", [&](const std::string& key, const YAML::Node& v) -> Status {
      uint64_t n = 0;
      if (key == "default_module") {
        auto text = Scalar(key, v);
        if (!text.ok()) return text.status();
        c->default_module = *text;
        default_module_mark_ = v.Mark();
      } else if (key == "max_targets") {
        if (Status s = Integer(key, v, 1, 100000, &n); !s.ok()) return s;
        c->max_targets = n;
      } else if (key == "idle_timeout") {
        return Duration(key, v, &c->idle_timeout);
      } else if (key == "targets") {
        auto list = StringList(key, v);
        if (!list.ok()) return list.status();
        for (const auto& [t, mark] : *list) {
          Result<server::ConnectString> parsed = server::ParseConnectString(t);
          if (!parsed.ok()) return Error(mark, "targets: " + parsed.status().message());
          c->known_targets.push_back(CanonicalTarget(*parsed));
        }
      } else if (key == "allow") {
        if (!v.IsSequence()) return Error(v.IsNull() ? key_mark_ : v.Mark(), "allow: want a list of rules");
        c->has_allow_list = true;
        for (const YAML::Node& rule_node : v) {
          AllowRule rule;
          Status s = ForEachKey(rule_node, "an allow rule", [&](const std::string& k, const YAML::Node& rv) {
            auto list = StringList(k, rv);
            if (!list.ok()) return list.status();
            for (const auto& [item, mark] : *list) {
              if (k == "hosts") {
                if (item.empty()) return Error(mark, "hosts: empty pattern");
                rule.host_globs.push_back(item);
              } else if (k == "cidrs") {
                auto cidr = ParseCidrAt(item, mark);
                if (!cidr.ok()) return cidr.status();
                rule.cidrs.push_back(*cidr);
              } else if (k == "ports") {
                auto ports = ParsePorts(item, mark);
                if (!ports.ok()) return ports.status();
                rule.ports.push_back(*ports);
              } else {
                return Unknown(k, "an allow rule", "hosts, cidrs, ports");
              }
            }
            return Status::Ok();
          });
          if (!s.ok()) return s;
          if (rule.host_globs.empty() && rule.cidrs.empty()) {
            return Error(rule_node.Mark(), "allow: a rule needs hosts or cidrs");
          }
          c->allow.push_back(std::move(rule));
        }
      } else {
        return Unknown(key, "multi_target", "default_module, max_targets, idle_timeout, targets, allow");
      }
      return Status::Ok();
    });
  }

  Result<MultiTargetConfig> Parse(const YAML::Node& doc,
                                  const std::vector<collectors::SubtreeSpec>& fallback) {
    MultiTargetConfig c = DefaultMultiTargetConfig(fallback);
    if (!doc.IsMap()) return c;  // exporter/config.cc reports the shape of the top level
    if (const YAML::Node modules = doc["modules"]; modules && !modules.IsNull()) {
      c.modules.clear();
      Status s = ForEachKey(modules, "modules", [&](const std::string& name, const YAML::Node& v) -> Status {
        if (name.empty()) return Error(key_mark_, "modules: empty module name");
        Result<ModuleConfig> m = Module(name, v, fallback);
        if (!m.ok()) return m.status();
        c.modules.emplace(name, std::move(m).value());
        return Status::Ok();
      });
      if (!s.ok()) return s;
      if (c.modules.empty()) return Error(modules.Mark(), "modules: want at least one module");
    }
    if (const YAML::Node mt = doc["multi_target"]; mt && !mt.IsNull()) {
      if (Status s = MultiTarget(mt, &c); !s.ok()) return s;
    }
    if (c.modules.count(c.default_module) == 0) {
      return Error(default_module_mark_, "multi_target: default_module " + QuoteForMessage(c.default_module) +
                                             " is not a module of `modules`");
    }
    return c;
  }

 private:
  const std::string& source_;
  YAML::Mark key_mark_ = YAML::Mark::null_mark();
  YAML::Mark default_module_mark_ = YAML::Mark::null_mark();
};

bool InCidr(const std::array<uint8_t, 16>& addr, const Cidr& c) {
  int bits = c.prefix_bits;
  for (std::size_t i = 0; i < 16 && bits > 0; ++i, bits -= 8) {
    const uint8_t mask = bits >= 8 ? uint8_t{0xff} : static_cast<uint8_t>(0xff << (8 - bits));
    if ((addr[i] & mask) != (c.address[i] & mask)) return false;
  }
  return true;
}

bool RuleAdmits(const AllowRule& rule, const server::HostPort& server) {
  if (!rule.ports.empty() && std::none_of(rule.ports.begin(), rule.ports.end(), [&](const PortRange& r) {
        return server.port >= r.first && server.port <= r.last;
      })) {
    return false;
  }
  for (const std::string& glob : rule.host_globs) {
    if (HostGlobMatch(glob, server.host)) return true;
  }
  std::array<uint8_t, 16> addr{};
  in_addr v4{};
  if (inet_pton(AF_INET, server.host.c_str(), &v4) == 1) {
    addr[10] = addr[11] = 0xff;
    std::memcpy(&addr[12], &v4, 4);
  } else if (inet_pton(AF_INET6, server.host.c_str(), addr.data()) != 1) {
    return false;  // a name: CIDRs never match names (no DNS look-ups to admit a target)
  }
  return std::any_of(rule.cidrs.begin(), rule.cidrs.end(), [&](const Cidr& c) { return InCidr(addr, c); });
}

}  // namespace

bool HostGlobMatch(std::string_view glob, std::string_view host) {
  // Iterative wildcard match with one backtrack point (linear in practice, no recursion).
  std::size_t g = 0, h = 0, star = std::string_view::npos, mark = 0;
  const auto lower = [](char ch) { return static_cast<char>(std::tolower(static_cast<unsigned char>(ch))); };
  while (h < host.size()) {
    if (g < glob.size() && (glob[g] == '?' || lower(glob[g]) == lower(host[h]))) {
      ++g;
      ++h;
    } else if (g < glob.size() && glob[g] == '*') {
      star = g++;
      mark = h;
    } else if (star != std::string_view::npos) {
      g = star + 1;
      h = ++mark;
    } else {
      return false;
    }
  }
  while (g < glob.size() && glob[g] == '*') ++g;
  return g == glob.size();
}

std::string CanonicalTarget(const server::ConnectString& target) {
  std::string out;
  for (const server::HostPort& s : target.servers) {
    if (!out.empty()) out += ',';
    out += s.ToString();
  }
  return out + target.chroot;
}

Status CheckTargetAllowed(const MultiTargetConfig& config, const server::ConnectString& target,
                          const std::string& static_hosts) {
  const std::string canonical = CanonicalTarget(target);
  if (canonical == static_hosts || std::find(config.known_targets.begin(), config.known_targets.end(),
                                             canonical) != config.known_targets.end()) {
    return Status::Ok();
  }
  if (!config.has_allow_list) {
    return Status::PermissionDenied("target " + QuoteForMessage(canonical) +
                                    " is not named in the config and there is no multi_target.allow list");
  }
  for (const server::HostPort& server : target.servers) {
    const bool admitted = std::any_of(config.allow.begin(), config.allow.end(),
                                      [&](const AllowRule& rule) { return RuleAdmits(rule, server); });
    if (!admitted) {
      return Status::PermissionDenied("server " + QuoteForMessage(server.ToString()) +
                                      " is outside the multi_target.allow list");
    }
  }
  return Status::Ok();
}

Status CheckModuleFiles(const MultiTargetConfig& config) {
  for (const auto& [name, module] : config.modules) {
    if (module.auth_file.empty()) continue;
    Result<zk::DigestCredentials> c = zk::LoadDigestCredentialsFile(module.auth_file);
    if (!c.ok()) {
      return Status::InvalidArgument("module " + QuoteForMessage(name) + ": " + c.status().message());
    }
  }
  return Status::Ok();
}

std::string DescribeMultiTarget(const MultiTargetConfig& config) {
  std::string out = "/probe: " + std::to_string(config.modules.size()) + " module(s), default " +
                    QuoteForMessage(config.default_module) + ", at most " +
                    std::to_string(config.max_targets) + " live targets, idle after " +
                    FormatDuration(config.idle_timeout) + "\n";
  for (const auto& [name, m] : config.modules) {
    std::string collectors;
    for (const std::string& c : m.collectors) collectors += (collectors.empty() ? "" : ",") + c;
    out += "  module " + QuoteForMessage(name) + ": " + std::to_string(m.subtrees.size()) + " subtree(s) (";
    for (std::size_t i = 0; i < m.subtrees.size(); ++i) {
      out += (i ? ", " : "") + m.subtrees[i].root + " " +
             collectors::RefreshModeName(m.subtrees[i].refresh_mode);
    }
    out += "), collectors " + collectors + (m.auth_file.empty() ? "" : ", digest auth") + "\n";
  }
  if (!config.has_allow_list) {
    out += "  no allow-list: only " + std::to_string(config.known_targets.size()) +
           " named target(s) and --zookeeper.hosts are admitted\n";
  } else {
    out += "  allow-list: " + std::to_string(config.allow.size()) + " rule(s), " +
           std::to_string(config.known_targets.size()) + " named target(s)\n";
  }
  return out;
}

MultiTargetConfig DefaultMultiTargetConfig(const std::vector<collectors::SubtreeSpec>& fallback_subtrees) {
  MultiTargetConfig c;
  ModuleConfig m;
  m.name = "default";
  m.subtrees = fallback_subtrees;
  if (m.subtrees.empty()) {
    collectors::SubtreeSpec root;
    root.root = "/";
    m.subtrees.push_back(root);
  }
  c.modules.emplace(m.name, std::move(m));
  return c;
}

Result<MultiTargetConfig> ParseMultiTargetYaml(
    std::string_view yaml_text, const std::string& source_name,
    const std::vector<collectors::SubtreeSpec>& fallback_subtrees) {
  Parser parser(source_name);
  try {
    // exporter/config.cc has already checked that the text is one well-formed document.
    return parser.Parse(YAML::Load(std::string(yaml_text)), fallback_subtrees);
  } catch (const YAML::Exception& e) {
    return parser.Error(e.mark, "YAML syntax error: " + e.msg);
  } catch (const std::exception& e) {
    return parser.Error(YAML::Mark::null_mark(), std::string("cannot parse: ") + e.what());
  }
}

Result<MultiTargetConfig> LoadMultiTargetConfig(
    const std::string& path, const std::vector<collectors::SubtreeSpec>& fallback_subtrees) {
  Result<std::string> text = ReadBoundedFile(path, "config file", kMaxConfigBytes);
  if (!text.ok()) return text.status();
  return ParseMultiTargetYaml(*text, path, fallback_subtrees);
}

}  // namespace zkx::exporter
