#include "exporter/config.h"

#include <cerrno>
#include <cstdint>
#include <exception>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>
#include <set>
#include <sstream>
#include <system_error>
#include <utility>

#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/yaml.h>

#include "base/quote.h"
#include "base/read_file.h"
#include "base/read_number.h"
#include "base/znode_path.h"
#include "collectors/znode_pattern.h"
#include "exporter/config_node.h"
#include "exporter/duration.h"
#include "exporter/value_rules_config.h"

namespace zkx::exporter {
namespace {

constexpr std::size_t kMaxConfigBytes = std::size_t{16} * 1024 * 1024;

std::string_view KindName(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Null: return "null";
    case YAML::NodeType::Scalar: return "a scalar";
    case YAML::NodeType::Sequence: return "a list";
    case YAML::NodeType::Map: return "a map";
    case YAML::NodeType::Undefined: break;
  }
  return "nothing";
}

// Builds FileConfig from a parsed document. Every error is "<source>:<line>: <problem>" (line 1-based).
class ConfigParser {
 public:
  explicit ConfigParser(const std::string& source) : source_(source) {}

  Status Error(const YAML::Mark& mark, std::string_view problem) const {
    std::string m = source_;
    if (!mark.is_null()) {
      m += ':';
      m += std::to_string(mark.line + 1);
    }
    m += ": ";
    // Control characters from the input (yaml-cpp quotes the offending character raw, e.g. "unknown escape
    // character: <newline>") are escaped like Quote() does: the message stays one line.
    const std::string quoted = Quote(problem);
    m.append(quoted, 1, quoted.size() - 2);
    return Status::InvalidArgument(std::move(m));
  }

  Result<FileConfig> Parse(const YAML::Node& doc) {
    FileConfig config;
    if (doc.IsNull()) return config;
    if (!doc.IsMap()) {
      return Error(doc.Mark(), "the top level must be a map, got " + std::string(KindName(doc)));
    }
    YAML::Node defaults;
    YAML::Node subtrees;
    Status s = ForEachKey(doc, "the top level", [&](const std::string& key, const YAML::Node& value) {
      if (key == "defaults") {
        defaults = value;
      } else if (key == "subtrees") {
        subtrees = value;
      } else if (key == "modules" || key == "multi_target") {
        // /probe's modules and allow-list: parsed and validated by exporter/modules_config.cc.
      } else {
        return UnknownKey(key, "the top level", "defaults, subtrees, modules, multi_target");
      }
      return Status::Ok();
    });
    if (!s.ok()) return s;
    if (defaults && !defaults.IsNull()) {
      if (!defaults.IsMap()) {
        return Error(defaults.Mark(), "defaults: want a map, got " + std::string(KindName(defaults)));
      }
      s = ForEachKey(defaults, "defaults", [&](const std::string& key, const YAML::Node& value) {
        bool known = false;
        if (Status ls = ParseLimitKey(key, value, &config.defaults, &known); !ls.ok()) return ls;
        if (!known) return UnknownKey(key, "defaults", kLimitKeys);
        return Status::Ok();
      });
      if (!s.ok()) return s;
    }
    if (subtrees && !subtrees.IsNull()) {
      if (!subtrees.IsSequence()) {
        return Error(subtrees.Mark(), "subtrees: want a list, got " + std::string(KindName(subtrees)));
      }
      std::map<std::string, int> root_lines;  // normalised root -> 1-based line of its first entry
      for (const YAML::Node& entry : subtrees) {
        mode_set_ = false;
        Result<collectors::SubtreeSpec> spec = ParseSubtree(entry, config.defaults);
        if (!spec.ok()) return spec.status();
        const int line = entry.Mark().line + 1;
        auto [it, inserted] = root_lines.emplace(spec->root, line);
        if (!inserted) {
          return Error(entry.Mark(), "duplicate subtree root " + Quote(spec->root) +
                                         " (first listed at line " + std::to_string(it->second) + ")");
        }
        if (mode_set_) config.roots_with_mode.insert(spec->root);
        config.subtrees.push_back(std::move(spec).value());
      }
    }
    return config;
  }

 private:
  static constexpr std::string_view kLimitKeys =
      "refresh_interval, max_depth, max_znodes, max_in_flight, walk_timeout, max_znode_series, refresh_mode, "
      "resync_interval, acl_audit, acl_audit_max_znodes";

  Status UnknownKey(const std::string& key, std::string_view where, std::string_view allowed) const {
    return Error(current_key_mark_, "unknown key " + Quote(key) + " in " + std::string(where) + " (want " +
                                        std::string(allowed) + ")");
  }

  // Calls fn(key, value) for each entry of `map` in order; keys must be unique scalars.
  template <typename Fn>
  Status ForEachKey(const YAML::Node& map, std::string_view where, Fn&& fn) {
    std::set<std::string> seen;
    for (const auto& entry : map) {  // the iterator yields pairs by value: bind them, never `it->first`
      const YAML::Node& key = entry.first;
      current_key_mark_ = key.Mark();
      if (!key.IsScalar()) {
        return Error(key.Mark(), "keys in " + std::string(where) + " must be plain strings");
      }
      const std::string& name = key.Scalar();
      if (!seen.insert(name).second) {
        return Error(key.Mark(), "duplicate key " + Quote(name) + " in " + std::string(where));
      }
      if (Status s = fn(name, entry.second); !s.ok()) return s;
    }
    return Status::Ok();
  }

  // The value of `key` as a scalar string, or an error naming the key.
  Result<std::string> ScalarOf(std::string_view key, const YAML::Node& value, std::string_view want) const {
    if (!value.IsScalar()) {
      return Error(
          value.IsNull() ? current_key_mark_ : value.Mark(),
          std::string(key) + ": want " + std::string(want) + ", got " + std::string(KindName(value)));
    }
    return value.Scalar();
  }

  // YAML 1.2 booleans only (true/false): "yes", "on" or "1" are more likely typos than intent.
  Status ParseBool(std::string_view key, const YAML::Node& value, bool* out) {
    Result<std::string> text = ScalarOf(key, value, "true or false");
    if (!text.ok()) return text.status();
    if (*text == "true") {
      *out = true;
    } else if (*text == "false") {
      *out = false;
    } else {
      return Error(value.Mark(), std::string(key) + ": want true or false, got " + Quote(*text));
    }
    return Status::Ok();
  }

  Status ParsePositiveDuration(std::string_view key, const YAML::Node& value,
                               std::chrono::milliseconds* out) {
    Result<std::string> text = ScalarOf(key, value, "a duration such as 30s");
    if (!text.ok()) return text.status();
    Result<std::chrono::milliseconds> d = ParseDuration(*text);
    if (!d.ok()) return Error(value.Mark(), std::string(key) + ": " + d.status().message());
    if (d->count() <= 0) return Error(value.Mark(), std::string(key) + ": must be greater than zero");
    *out = *d;
    return Status::Ok();
  }

  // A refresh or resync interval: a duration of at least kMinRefreshInterval (a shorter one walks the tree
  // almost back to back and buys nothing a scrape could see).
  Status ParseRefreshInterval(std::string_view key, const YAML::Node& value, std::chrono::milliseconds* out) {
    std::chrono::milliseconds d{0};
    if (Status s = ParsePositiveDuration(key, value, &d); !s.ok()) return s;
    if (Status s = CheckRefreshInterval(key, d); !s.ok()) return Error(value.Mark(), s.message());
    *out = d;
    return Status::Ok();
  }

  // An integer in [min, max].
  Status ParseInteger(std::string_view key, const YAML::Node& value, std::int64_t min, std::int64_t max,
                      std::int64_t* out) {
    Result<std::string> text = ScalarOf(key, value, "an integer");
    if (!text.ok()) return text.status();
    std::int64_t v = 0;
    const NumberRead read = ReadNumber(*text, v);
    if (read == NumberRead::kMalformed) {
      return Error(value.Mark(), std::string(key) + ": want an integer, got " + Quote(*text));
    }
    if (read == NumberRead::kOutOfRange || v < min || v > max) {
      return Error(value.Mark(), std::string(key) + ": " + *text + " is out of range (want " +
                                     std::to_string(min) + " to " + std::to_string(max) + ")");
    }
    *out = v;
    return Status::Ok();
  }

  Status ParseSize(std::string_view key, const YAML::Node& value, std::size_t* out) {
    std::int64_t v = 0;
    if (Status s = ParseInteger(key, value, 1, std::numeric_limits<std::int64_t>::max(), &v); !s.ok()) {
      return s;
    }
    *out = static_cast<std::size_t>(v);
    return Status::Ok();
  }

  // Handles the keys shared by `defaults` and each subtree; *known is false for any other key.
  Status ParseLimitKey(const std::string& key, const YAML::Node& value, SubtreeDefaults* target,
                       bool* known) {
    *known = true;
    if (key == "refresh_interval") return ParseRefreshInterval(key, value, &target->refresh_interval);
    if (key == "walk_timeout") return ParsePositiveDuration(key, value, &target->limits.timeout);
    if (key == "max_depth") {
      std::int64_t v = 0;
      if (Status s = ParseInteger(key, value, 0, std::numeric_limits<int>::max(), &v); !s.ok()) return s;
      target->limits.max_depth = static_cast<int>(v);
      return Status::Ok();
    }
    if (key == "max_znodes") return ParseSize(key, value, &target->limits.max_znodes);
    if (key == "max_in_flight") return ParseSize(key, value, &target->limits.max_in_flight);
    if (key == "max_znode_series") return ParseSize(key, value, &target->max_znode_series);
    if (key == "resync_interval") return ParseRefreshInterval(key, value, &target->resync_interval);
    if (key == "acl_audit") return ParseBool(key, value, &target->acl_audit);
    if (key == "acl_audit_max_znodes") return ParseSize(key, value, &target->acl_audit_max_znodes);
    if (key == "refresh_mode") {
      Result<std::string> text = ScalarOf(key, value, "poll or watch");
      if (!text.ok()) return text.status();
      if (*text == "poll") {
        target->refresh_mode = collectors::RefreshMode::kPoll;
      } else if (*text == "watch") {
        target->refresh_mode = collectors::RefreshMode::kWatch;
      } else {
        return Error(value.Mark(), "refresh_mode: want poll or watch, got " + Quote(*text));
      }
      return Status::Ok();
    }
    *known = false;
    return Status::Ok();
  }

  Result<collectors::SubtreeSpec> ParseSubtree(const YAML::Node& entry, const SubtreeDefaults& defaults) {
    if (!entry.IsMap()) {
      return Error(entry.Mark(),
                   "subtrees: each entry must be a map with a root, got " + std::string(KindName(entry)));
    }
    SubtreeDefaults settings = defaults;
    std::string root;
    bool has_root = false;
    YAML::Node patterns;
    YAML::Node value_rules;
    Status s = ForEachKey(entry, "a subtree", [&](const std::string& key, const YAML::Node& value) {
      if (key == "root") {
        Result<std::string> text = ScalarOf(key, value, "an absolute znode path");
        if (!text.ok()) return text.status();
        Result<std::string> normalised = NormalizeZnodePath(*text);
        if (!normalised.ok()) return Error(value.Mark(), "root: " + normalised.status().message());
        root = std::move(normalised).value();
        has_root = true;
        return Status::Ok();
      }
      if (key == "znode_patterns") {
        patterns = value;
        return Status::Ok();
      }
      if (key == "value_rules") {  // parsed once the root is known (exporter/value_rules_config.h)
        value_rules = value;
        return Status::Ok();
      }
      bool known = false;
      if (Status ls = ParseLimitKey(key, value, &settings, &known); !ls.ok()) return ls;
      if (!known) {
        return UnknownKey(key, "a subtree", "root, znode_patterns, value_rules, " + std::string(kLimitKeys));
      }
      return Status::Ok();
    });
    if (!s.ok()) return s;
    if (!has_root) return Error(entry.Mark(), "subtree has no root");

    collectors::SubtreeSpec spec;
    spec.root = root;
    spec.refresh_interval = settings.refresh_interval;
    spec.limits = settings.limits;
    spec.max_znode_series = settings.max_znode_series;
    spec.refresh_mode = settings.refresh_mode.value_or(collectors::RefreshMode::kPoll);
    spec.resync_interval = settings.resync_interval;
    spec.acl_audit = settings.acl_audit;
    spec.acl_audit_max_znodes = settings.acl_audit_max_znodes;
    if (settings.refresh_mode) mode_set_ = true;
    if (patterns && !patterns.IsNull()) {
      if (!patterns.IsSequence()) {
        return Error(patterns.Mark(),
                     "znode_patterns: want a list of patterns, got " + std::string(KindName(patterns)));
      }
      for (const YAML::Node& p : patterns) {
        if (!p.IsScalar()) {
          return Error(p.Mark(), "znode_patterns: want a pattern string, got " + std::string(KindName(p)));
        }
        const std::string resolved = collectors::ZnodePattern::Resolve(root, p.Scalar());
        Result<collectors::ZnodePattern> pattern = collectors::ZnodePattern::Parse(resolved);
        if (!pattern.ok()) return Error(p.Mark(), "znode_patterns: " + pattern.status().message());
        spec.znode_patterns.push_back(resolved);
      }
    }
    if (value_rules && !value_rules.IsNull()) {
      Result<std::shared_ptr<const collectors::ValueRuleSet>> rules =
          ParseValueRules(value_rules, root, source_, &metric_lines_);
      if (!rules.ok()) return rules.status();
      spec.value_rules = std::move(rules).value();
    }
    return spec;
  }

  std::map<std::string, int> metric_lines_;  // value rules: metric name -> line, unique across the file
  const std::string& source_;
  bool mode_set_ = false;  // the subtree ParseSubtree just parsed has a refresh_mode (its own or the default)
  YAML::Mark current_key_mark_ = YAML::Mark::null_mark();
};

}  // namespace

// Where each document of a stream starts: the mark of its first node. Used instead of YAML::LoadAll, which in
// yaml-cpp 0.7 loops forever, allocating, on some malformed streams ("," or "&\"\\,\"": found by
// config_yaml_fuzz): Parser::HandleNextDocument keeps returning true without consuming input (yaml-cpp issue
// #1040, fixed upstream by PR #1319). We call it at most three times and notice when it makes no progress.
class DocumentStarts final : public YAML::EventHandler {
 public:
  std::vector<YAML::Mark> starts;

  void OnDocumentStart(const YAML::Mark& mark) override {
    document_start_ = mark;
    pending_ = true;
  }
  void OnDocumentEnd() override { Node(document_start_); }
  void OnNull(const YAML::Mark& mark, YAML::anchor_t /*anchor*/) override { Node(mark); }
  void OnAlias(const YAML::Mark& mark, YAML::anchor_t /*anchor*/) override { Node(mark); }
  void OnScalar(const YAML::Mark& mark, const std::string& /*tag*/, YAML::anchor_t /*anchor*/,
                const std::string& /*value*/) override {
    Node(mark);
  }
  void OnSequenceStart(const YAML::Mark& mark, const std::string& /*tag*/, YAML::anchor_t /*anchor*/,
                       YAML::EmitterStyle::value /*style*/) override {
    Node(mark);
  }
  void OnSequenceEnd() override {}
  void OnMapStart(const YAML::Mark& mark, const std::string& /*tag*/, YAML::anchor_t /*anchor*/,
                  YAML::EmitterStyle::value /*style*/) override {
    Node(mark);
  }
  void OnMapEnd() override {}

 private:
  void Node(const YAML::Mark& mark) {
    if (!pending_) return;
    starts.push_back(mark);
    pending_ = false;
  }
  YAML::Mark document_start_ = YAML::Mark::null_mark();
  bool pending_ = false;
};

Result<FileConfig> ParseConfigYaml(std::string_view yaml_text, const std::string& source_name) {
  ConfigParser parser(source_name);
  try {
    const std::string text(yaml_text);
    std::istringstream stream(text);
    YAML::Parser events(stream);
    DocumentStarts documents;
    int count = 0;
    while (count < 3 && events.HandleNextDocument(documents)) ++count;
    if (count == 0) return FileConfig{};
    if (count > 1) {
      const std::vector<YAML::Mark>& at = documents.starts;
      // A document that starts where the previous one did: the parser is stuck on a token it cannot place
      // (e.g. a stray ','). A syntax error, not a second document.
      for (std::size_t i = 1; i < at.size(); ++i) {
        if (at[i].pos <= at[i - 1].pos) return parser.Error(at[i], "YAML syntax error: unexpected content");
      }
      return parser.Error(at.size() > 1 ? at[1] : YAML::Mark::null_mark(), "more than one YAML document");
    }
    return parser.Parse(YAML::Load(text));  // exactly one document: YAML::Load parses only the first
  } catch (const YAML::Exception& e) {
    return parser.Error(e.mark, "YAML syntax error: " + e.msg);
  } catch (const std::exception& e) {
    return parser.Error(YAML::Mark::null_mark(), std::string("cannot parse: ") + e.what());
  }
}

Status CheckRefreshInterval(std::string_view name, std::chrono::milliseconds interval) {
  if (interval >= kMinRefreshInterval) return Status::Ok();
  return Status::InvalidArgument(std::string(name) + ": " + std::to_string(interval.count()) +
                                 "ms is below the floor of " + std::to_string(kMinRefreshInterval.count()) +
                                 "ms (walking more often buys nothing a scrape could see)");
}

// exporter/config_node.h: a module's `defaults` and `subtrees` (exporter/modules_config.cc), with the same
// validation and "<source>:<line>" errors as the top level.
Result<FileConfig> ParseConfigNode(const YAML::Node& section, const std::string& source_name) {
  ConfigParser parser(source_name);
  try {
    return parser.Parse(section);
  } catch (const std::exception& e) {
    return parser.Error(YAML::Mark::null_mark(), std::string("cannot parse: ") + e.what());
  }
}

Result<FileConfig> LoadConfigFile(const std::string& path) {
  Result<std::string> text = ReadBoundedFile(path, "config file", kMaxConfigBytes);
  if (!text.ok()) return text.status();
  return ParseConfigYaml(*text, path);
}

Result<std::vector<collectors::SubtreeSpec>> EffectiveSubtrees(
    const FileConfig& file, const std::vector<std::string>& tree_roots,
    std::optional<std::chrono::milliseconds> flag_refresh_interval,
    std::optional<collectors::RefreshMode> flag_refresh_mode) {
  std::vector<collectors::SubtreeSpec> out = file.subtrees;
  if (flag_refresh_mode) {
    for (collectors::SubtreeSpec& spec : out) {
      if (file.roots_with_mode.count(spec.root) == 0) spec.refresh_mode = *flag_refresh_mode;
    }
  }
  std::set<std::string> roots;
  for (const collectors::SubtreeSpec& spec : out) roots.insert(spec.root);
  for (const std::string& flag_root : tree_roots) {
    Result<std::string> root = NormalizeZnodePath(flag_root);
    if (!root.ok()) return Status::InvalidArgument("--tree.root: " + root.status().message());
    if (!roots.insert(*root).second) continue;  // already listed in the file or by an earlier flag
    collectors::SubtreeSpec spec;
    spec.root = *root;
    spec.refresh_interval = flag_refresh_interval.value_or(file.defaults.refresh_interval);
    spec.limits = file.defaults.limits;
    spec.max_znode_series = file.defaults.max_znode_series;
    spec.refresh_mode =
        file.defaults.refresh_mode.value_or(flag_refresh_mode.value_or(collectors::RefreshMode::kPoll));
    spec.resync_interval = file.defaults.resync_interval;
    spec.acl_audit = file.defaults.acl_audit;
    spec.acl_audit_max_znodes = file.defaults.acl_audit_max_znodes;
    out.push_back(std::move(spec));
  }
  return out;
}

}  // namespace zkx::exporter
