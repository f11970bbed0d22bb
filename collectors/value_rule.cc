// Value rules: path patterns with captures and the decoders (see value_rule.h).
#include "collectors/value_rule.h"

#include <algorithm>
#include <cmath>
#include <exception>

#include <nlohmann/json.hpp>

#include "base/read_number.h"

namespace zkx::collectors {
namespace {

using Json = nlohmann::json;

std::vector<std::string_view> SplitPath(std::string_view path) {
  std::vector<std::string_view> parts;
  if (path.size() <= 1) return parts;  // "/" has no segments
  std::size_t start = 1;
  while (start <= path.size()) {
    const std::size_t slash = path.find('/', start);
    const std::size_t end = slash == std::string_view::npos ? path.size() : slash;
    parts.push_back(path.substr(start, end - start));
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  return parts;
}

// '*' any run, '?' one character; iterative with one backtrack point (linear-ish, no recursion).
bool GlobMatch(std::string_view pattern, std::string_view text) {
  std::size_t p = 0;
  std::size_t t = 0;
  std::size_t star = std::string_view::npos;
  std::size_t mark = 0;
  while (t < text.size()) {
    if (p < pattern.size() && (pattern[p] == '?' || pattern[p] == text[t])) {
      ++p;
      ++t;
    } else if (p < pattern.size() && pattern[p] == '*') {
      star = p++;
      mark = t;
    } else if (star != std::string_view::npos) {
      p = star + 1;
      t = ++mark;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

std::string_view Trim(std::string_view s) {
  const auto space = [](char c) {
    return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v';
  };
  while (!s.empty() && space(s.front())) s.remove_prefix(1);
  while (!s.empty() && space(s.back())) s.remove_suffix(1);
  return s;
}

std::optional<double> ParseNumber(std::string_view text) {
  text = Trim(text);
  if (!text.empty() && text.front() == '+') text.remove_prefix(1);
  double v = 0;
  if (ReadNumber(text, v) != NumberRead::kOk) return std::nullopt;  // out of range included
  return v;
}

// A scalar's text (for value_map) -> value, or the reason it has none.
struct Scalar {
  std::optional<double> value;
  ValueErrorReason reason = ValueErrorReason::kNotANumber;
};

Scalar MapText(const ValueRule& rule, std::string_view text, std::optional<double> native) {
  if (!rule.value_map.empty()) {
    auto it = rule.value_map.find(text);
    if (it != rule.value_map.end()) return {it->second};
  }
  // With a map and a default, every scalar the map does not name gets the default, numbers included
  // ({"-1": 1} with default 0: "is the leader -1").
  if (!rule.value_map.empty() && rule.value_map_default) return {rule.value_map_default};
  if (native) return {native};
  if (std::optional<double> n = ParseNumber(text)) return {n};
  return {std::nullopt,
          rule.value_map.empty() ? ValueErrorReason::kNotANumber : ValueErrorReason::kUnmappedValue};
}

// The text a JSON scalar is known by in value_map and count_by ("ACTIVE", "-1", "true").
std::string ScalarText(const Json& j) {
  if (j.is_string()) return j.get<std::string>();
  return j.dump();
}

Scalar JsonScalar(const ValueRule& rule, const Json& j) {
  if (j.is_object() || j.is_array()) return {std::nullopt, ValueErrorReason::kNotScalar};
  std::optional<double> native;
  if (j.is_boolean()) native = j.get<bool>() ? 1.0 : 0.0;
  if (j.is_number()) native = j.get<double>();
  if (j.is_string()) return MapText(rule, j.get_ref<const std::string&>(), std::nullopt);
  // Numbers and booleans: value_map may still rename them ("-1" -> 1).
  return MapText(rule, ScalarText(j), native);
}

struct JsonMatch {
  LabelPairs labels;
  const Json* value = nullptr;
};

// Expands rule.json_path over `doc`. *missing counts branches where a key was absent (or null).
// Stops adding matches at `limit` (sets *over).
void Expand(const ValueRule& rule, const Json& node, std::size_t seg, LabelPairs& labels,
            std::vector<JsonMatch>* out, std::size_t* missing, bool* over, std::size_t limit) {
  if (*over) return;
  if (seg == rule.json_path.size()) {
    if (node.is_null()) {
      ++*missing;
      return;
    }
    if (out->size() >= limit) {
      *over = true;
      return;
    }
    out->push_back({labels, &node});
    return;
  }
  const std::string& key = rule.json_path[seg];
  if (key == "*") {
    const std::size_t wildcard = static_cast<std::size_t>(
        std::count(rule.json_path.begin(), rule.json_path.begin() + static_cast<std::ptrdiff_t>(seg), "*"));
    static const std::string kUnnamed = "_";  // count / count_by: the label is never exposed
    const std::string& label =
        wildcard < rule.wildcard_labels.size() ? rule.wildcard_labels[wildcard] : kUnnamed;
    if (node.is_object()) {
      for (auto it = node.begin(); it != node.end() && !*over; ++it) {
        labels.emplace_back(label, it.key());
        Expand(rule, it.value(), seg + 1, labels, out, missing, over, limit);
        labels.pop_back();
      }
    } else if (node.is_array()) {
      for (std::size_t i = 0; i < node.size() && !*over; ++i) {
        labels.emplace_back(label, std::to_string(i));
        Expand(rule, node[i], seg + 1, labels, out, missing, over, limit);
        labels.pop_back();
      }
    } else {
      ++*missing;  // nothing to expand
    }
    return;
  }
  if (node.is_object()) {
    auto it = node.find(key);
    if (it == node.end()) {
      ++*missing;
      return;
    }
    Expand(rule, *it, seg + 1, labels, out, missing, over, limit);
    return;
  }
  if (node.is_array()) {
    std::size_t index = 0;
    if (ReadNumber(key, index) != NumberRead::kOk || index >= node.size()) {
      ++*missing;
      return;
    }
    Expand(rule, node[index], seg + 1, labels, out, missing, over, limit);
    return;
  }
  ++*missing;
}

bool HasWildcard(const ValueRule& rule) {
  return std::find(rule.json_path.begin(), rule.json_path.end(), "*") != rule.json_path.end();
}

// Applies the rule's function to a list of matched values (JSON or plain text scalars).
DecodeOutcome DecodeJson(const ValueRule& rule, std::string_view data) {
  DecodeOutcome out;
  Json doc = Json::parse(data.begin(), data.end(), nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) {
    out.error = ValueErrorReason::kInvalidJson;
    return out;
  }
  std::vector<JsonMatch> matches;
  std::size_t missing = 0;
  bool over = false;
  LabelPairs labels;
  Expand(rule, doc, 0, labels, &matches, &missing, &over, kMaxValuesPerZnode);
  if (over) {
    out.error = ValueErrorReason::kTooManyValues;
    return out;
  }
  const bool wildcard = HasWildcard(rule);
  if (rule.function == ValueFunction::kCount) {
    // A `*` over nothing counts 0; a missing fixed key is missing (unless missing_value).
    if (!wildcard && matches.empty()) {
      if (rule.missing_value) {
        out.samples.push_back({{}, *rule.missing_value});
      } else {
        out.error = ValueErrorReason::kMissingKey;
      }
      return out;
    }
    out.samples.push_back({{}, static_cast<double>(matches.size())});
    return out;
  }
  if (rule.function == ValueFunction::kCountBy) {
    std::map<std::string, double> counts;
    for (const JsonMatch& m : matches) {
      if (m.value->is_object() || m.value->is_array()) {
        out.error = ValueErrorReason::kNotScalar;
        continue;
      }
      counts[ScalarText(*m.value)] += 1;
    }
    if (!wildcard && matches.empty() && !out.error) {
      if (rule.missing_value) return out;  // nothing to count, by configuration
      out.error = ValueErrorReason::kMissingKey;
    }
    for (auto& [text, n] : counts) out.samples.push_back({{{rule.count_label, text}}, n});
    return out;
  }
  for (const JsonMatch& m : matches) {
    if (rule.function == ValueFunction::kLength) {
      if (!m.value->is_array() && !m.value->is_object()) {
        out.error = ValueErrorReason::kNotCountable;
        continue;
      }
      out.samples.push_back({m.labels, static_cast<double>(m.value->size())});
      continue;
    }
    Scalar s = JsonScalar(rule, *m.value);
    if (!s.value) {
      out.error = s.reason;
      continue;
    }
    out.samples.push_back({m.labels, *s.value});
  }
  if (missing > 0 || (!wildcard && matches.empty())) {
    if (rule.missing_value && !wildcard) {
      out.samples.push_back({{}, *rule.missing_value});
    } else if (!out.error) {
      out.error = ValueErrorReason::kMissingKey;
    }
  }
  return out;
}

// A decoded text scalar (number, key=value, regex): value or count_by / count.
DecodeOutcome FromText(const ValueRule& rule, std::optional<std::string_view> text) {
  DecodeOutcome out;
  if (!text) {
    if (rule.missing_value) {
      out.samples.push_back({{}, *rule.missing_value});
    } else if (rule.function == ValueFunction::kCount) {
      out.samples.push_back({{}, 0});
    } else {
      out.error = ValueErrorReason::kMissingKey;
    }
    return out;
  }
  if (rule.function == ValueFunction::kCount) {
    out.samples.push_back({{}, 1});
    return out;
  }
  if (rule.function == ValueFunction::kCountBy) {
    out.samples.push_back({{{rule.count_label, std::string(Trim(*text))}}, 1});
    return out;
  }
  Scalar s = MapText(rule, Trim(*text), std::nullopt);
  if (!s.value) {
    out.error = s.reason;
    return out;
  }
  out.samples.push_back({{}, *s.value});
  return out;
}

std::optional<std::string_view> KeyValueLookup(std::string_view data, std::string_view key) {
  while (!data.empty()) {
    const std::size_t nl = data.find('\n');
    std::string_view line = data.substr(0, nl);
    data = nl == std::string_view::npos ? std::string_view() : data.substr(nl + 1);
    line = Trim(line);
    if (line.empty() || line.front() == '#' || line.front() == '!') continue;
    const std::size_t eq = line.find('=');
    if (eq == std::string_view::npos) continue;
    if (Trim(line.substr(0, eq)) == key) return Trim(line.substr(eq + 1));
  }
  return std::nullopt;
}

std::optional<double> StatField(std::string_view field, const zk::ZnodeStat& s) {
  if (field == "num_children") return s.num_children;
  if (field == "data_length") return s.data_length;
  if (field == "version") return s.version;
  if (field == "cversion") return s.cversion;
  if (field == "aversion") return s.aversion;
  if (field == "ctime") return static_cast<double>(s.ctime_ms) / 1000.0;
  if (field == "mtime") return static_cast<double>(s.mtime_ms) / 1000.0;
  if (field == "ephemeral") return s.ephemeral() ? 1 : 0;
  return std::nullopt;
}

}  // namespace

const char* ValueErrorReasonName(ValueErrorReason reason) {
  switch (reason) {
    case ValueErrorReason::kReadError: return "read_error";
    case ValueErrorReason::kTooLarge: return "too_large";
    case ValueErrorReason::kEmpty: return "empty";
    case ValueErrorReason::kInvalidJson: return "invalid_json";
    case ValueErrorReason::kMissingKey: return "missing_key";
    case ValueErrorReason::kNotScalar: return "not_scalar";
    case ValueErrorReason::kNotCountable: return "not_countable";
    case ValueErrorReason::kNotANumber: return "not_a_number";
    case ValueErrorReason::kUnmappedValue: return "unmapped_value";
    case ValueErrorReason::kNoMatch: return "no_match";
    case ValueErrorReason::kTooManyValues: return "too_many_values";
    case ValueErrorReason::kDuplicateSeries: return "duplicate_series";
    case ValueErrorReason::kCount_: break;
  }
  return "unknown";
}

bool IsStatField(std::string_view field) {
  return StatField(field, zk::ZnodeStat{}).has_value();
}

bool IsValidMetricName(std::string_view name) {
  if (name.empty()) return false;
  for (std::size_t i = 0; i < name.size(); ++i) {
    const char c = name[i];
    const bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':';
    if (!alpha && !(i > 0 && c >= '0' && c <= '9')) return false;
  }
  return true;
}

bool IsValidLabelName(std::string_view name) {
  if (name.empty() || name.find(':') != std::string_view::npos) return false;
  if (name.size() >= 2 && name[0] == '_' && name[1] == '_') return false;  // reserved
  return IsValidMetricName(name);
}

Result<std::vector<std::string>> ParseJsonFieldPath(std::string_view field) {
  std::vector<std::string> out;
  if (field.empty() || field == "/" || field == ".") return out;
  if (field.front() == '/') {
    for (std::string_view part : SplitPath(field)) {
      std::string seg;
      for (std::size_t i = 0; i < part.size(); ++i) {
        if (part[i] != '~') {
          seg += part[i];
          continue;
        }
        if (i + 1 < part.size() && (part[i + 1] == '0' || part[i + 1] == '1')) {
          seg += part[i + 1] == '0' ? '~' : '/';
          ++i;
        } else {
          return Status::InvalidArgument("JSON pointer " + std::string(field) + ": '~' must be ~0 or ~1");
        }
      }
      out.push_back(std::move(seg));
    }
    return out;
  }
  std::size_t start = 0;
  for (;;) {
    const std::size_t dot = field.find('.', start);
    const std::string_view seg = field.substr(start, dot == std::string_view::npos ? dot : dot - start);
    if (seg.empty()) {
      return Status::InvalidArgument("field path " + std::string(field) + " has an empty segment");
    }
    out.emplace_back(seg);
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  return out;
}

Result<ValuePathPattern> ValuePathPattern::Parse(std::string_view absolute) {
  const std::string text(absolute);
  if (absolute.empty() || absolute.front() != '/') {
    return Status::InvalidArgument("path pattern " + text + " must be absolute");
  }
  ValuePathPattern p;
  p.text_ = text;
  if (absolute == "/") return p;
  if (absolute.back() == '/') return Status::InvalidArgument("path pattern " + text + " ends with '/'");
  for (std::string_view part : SplitPath(absolute)) {
    Segment s;
    if (part.empty()) return Status::InvalidArgument("path pattern " + text + " has an empty segment");
    if (part == "." || part == "..") {
      return Status::InvalidArgument("path pattern " + text + " has a '.' or '..' segment");
    }
    if (part.front() == '{') {
      if (part.back() != '}') return Status::InvalidArgument("path pattern " + text + ": unclosed '{'");
      std::string_view inner = part.substr(1, part.size() - 2);
      s.kind = Segment::Kind::kCapture;
      if (inner.size() > 3 && inner.substr(inner.size() - 3) == ":**") {
        s.kind = Segment::Kind::kCaptureMany;
        inner.remove_suffix(3);
      }
      if (!IsValidLabelName(inner)) {
        return Status::InvalidArgument("path pattern " + text + ": " + std::string(inner) +
                                       " is not a valid label name");
      }
      s.text = std::string(inner);
      if (std::find(p.labels_.begin(), p.labels_.end(), s.text) != p.labels_.end()) {
        return Status::InvalidArgument("path pattern " + text + " captures " + s.text + " twice");
      }
      p.labels_.push_back(s.text);
    } else if (part.find_first_of("{}") != std::string_view::npos) {
      return Status::InvalidArgument("path pattern " + text + ": '{name}' must be a whole segment");
    } else if (part == "**") {
      s.kind = Segment::Kind::kDoubleStar;
    } else if (part.find("**") != std::string_view::npos) {
      return Status::InvalidArgument("path pattern " + text + ": '**' must be a whole segment");
    } else {
      s.kind =
          part.find_first_of("*?") != std::string_view::npos ? Segment::Kind::kGlob : Segment::Kind::kLiteral;
      s.text = std::string(part);
    }
    p.segments_.push_back(std::move(s));
  }
  const auto many = std::count_if(p.segments_.begin(), p.segments_.end(), [](const Segment& s) {
    return s.kind == Segment::Kind::kDoubleStar || s.kind == Segment::Kind::kCaptureMany;
  });
  if (many > 2) {
    return Status::InvalidArgument("path pattern " + text + ": at most two '**' segments");
  }
  return p;
}

bool ValuePathPattern::Match(std::string_view path, LabelPairs* captures) const {
  const std::vector<std::string_view> parts = SplitPath(path);
  LabelPairs got;
  if (!MatchFrom(0, parts, 0, &got)) return false;
  if (captures != nullptr) captures->insert(captures->end(), got.begin(), got.end());
  return true;
}

bool ValuePathPattern::MatchFrom(std::size_t seg, const std::vector<std::string_view>& parts,
                                 std::size_t part, LabelPairs* captures) const {
  for (; seg < segments_.size(); ++seg) {
    const Segment& s = segments_[seg];
    if (s.kind == Segment::Kind::kDoubleStar || s.kind == Segment::Kind::kCaptureMany) {
      const std::size_t min = s.kind == Segment::Kind::kCaptureMany ? 1 : 0;
      // Greedy from the longest run: the remaining segments are few (at most two many-segments).
      for (std::size_t take = parts.size() - part + 1; take-- > min;) {
        const std::size_t before = captures->size();
        if (s.kind == Segment::Kind::kCaptureMany) {
          std::string joined;
          for (std::size_t i = part; i < part + take; ++i) {
            if (i > part) joined += '/';
            joined.append(parts[i]);
          }
          captures->emplace_back(s.text, std::move(joined));
        }
        if (MatchFrom(seg + 1, parts, part + take, captures)) return true;
        captures->resize(before);
      }
      return false;
    }
    if (part >= parts.size()) return false;
    const std::string_view p = parts[part];
    switch (s.kind) {
      case Segment::Kind::kLiteral:
        if (p != s.text) return false;
        break;
      case Segment::Kind::kGlob:
        if (!GlobMatch(s.text, p)) return false;
        break;
      case Segment::Kind::kCapture: captures->emplace_back(s.text, std::string(p)); break;
      default: break;
    }
    ++part;
  }
  return part == parts.size();
}

DecodeOutcome DecodeValue(const ValueRule& rule, std::string_view data, const zk::ZnodeStat& stat) {
  try {
    switch (rule.decoder) {
      case ValueDecoder::kNone: {
        DecodeOutcome out;
        out.samples.push_back({{}, 1});
        return out;
      }
      case ValueDecoder::kStat: {
        DecodeOutcome out;
        const std::optional<double> v = StatField(rule.field, stat);
        if (v) {
          out.samples.push_back({{}, *v});
        } else {
          out.error = ValueErrorReason::kMissingKey;
        }
        return out;
      }
      default: break;
    }
    if (data.size() > kMaxDecodeBytes) return {{}, ValueErrorReason::kTooLarge};
    if (Trim(data).empty()) {
      if (rule.missing_value) return {{{{}, *rule.missing_value}}, std::nullopt};
      return {{}, ValueErrorReason::kEmpty};
    }
    switch (rule.decoder) {
      case ValueDecoder::kNumber: return FromText(rule, data);
      case ValueDecoder::kKeyValue: return FromText(rule, KeyValueLookup(data, rule.field));
      case ValueDecoder::kJson: return DecodeJson(rule, data);
      case ValueDecoder::kRegex: {
        if (data.size() > kMaxRegexBytes) return {{}, ValueErrorReason::kTooLarge};
        std::match_results<std::string_view::const_iterator> m;
        if (!rule.regex || !std::regex_search(data.begin(), data.end(), m, *rule.regex) || m.size() < 2 ||
            !m[1].matched) {
          if (rule.function == ValueFunction::kCount) return FromText(rule, std::nullopt);
          if (rule.missing_value) return {{{{}, *rule.missing_value}}, std::nullopt};
          return {{}, ValueErrorReason::kNoMatch};
        }
        const std::string captured = m[1].str();
        return FromText(rule, std::string_view{captured});
      }
      default: break;
    }
  } catch (const std::exception&) {
    // std::regex may throw (complexity / stack limits); nlohmann is called without exceptions.
    return {{}, ValueErrorReason::kNoMatch};
  }
  return {{}, ValueErrorReason::kMissingKey};
}

}  // namespace zkx::collectors
