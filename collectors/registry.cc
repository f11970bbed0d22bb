#include "collectors/registry.h"

#include <cstdio>
#include <cstdlib>
#include <exception>
#include <utility>

namespace zkx::collectors {
namespace {

[[noreturn]] void Die(std::string_view what, std::string_view name) {
  std::fprintf(stderr, "zookeeper_exporter: collector registry: %.*s %.*s\n", static_cast<int>(what.size()),
               what.data(), static_cast<int>(name.size()), name.data());
  std::abort();
}

template <typename T>
const T& As(const FlagValue& value, std::string_view name) {
  const T* v = std::get_if<T>(&value);
  if (v == nullptr) Die("flag read as the wrong kind:", name);
  return *v;
}

}  // namespace

FlagSpec Flag(std::vector<std::string> names, std::string type_name, FlagValue default_value,
              std::string help, std::function<std::string(const FlagValue&)> check) {
  FlagSpec spec;
  spec.names = std::move(names);
  spec.type_name = std::move(type_name);
  spec.default_value = std::move(default_value);
  spec.help = std::move(help);
  spec.check = std::move(check);
  return spec;
}

FlagValues FlagValues::Defaults() {
  FlagValues values;
  for (const FlagSpec* spec : CollectorRegistry::Global().Flags()) {
    values.values_[spec->names.front()] = spec->default_value;
  }
  return values;
}

void FlagValues::Set(const std::string& name, FlagValue value) {
  values_[name] = std::move(value);
}

const FlagValue& FlagValues::Get(std::string_view name) const {
  auto it = values_.find(name);
  if (it == values_.end()) Die("no such flag:", name);
  return it->second;
}

bool FlagValues::Bool(std::string_view name) const {
  return As<bool>(Get(name), name);
}
std::size_t FlagValues::Size(std::string_view name) const {
  return As<std::size_t>(Get(name), name);
}
std::uint16_t FlagValues::Port(std::string_view name) const {
  return As<std::uint16_t>(Get(name), name);
}
std::chrono::milliseconds FlagValues::Duration(std::string_view name) const {
  return As<std::chrono::milliseconds>(Get(name), name);
}
const std::string& FlagValues::String(std::string_view name) const {
  return As<std::string>(Get(name), name);
}

CollectorRegistry& CollectorRegistry::Global() {
  static CollectorRegistry* registry = new CollectorRegistry();  // never destroyed: read until exit
  return *registry;
}

bool CollectorRegistry::Add(CollectorInfo info) {
  if (info.name.empty() || !info.factory) Die("collector without a name or a factory:", info.name);
  for (const auto& [name, other] : collectors_) {
    for (const FlagSpec& theirs : other.flags) {
      for (const FlagSpec& ours : info.flags) {
        for (const std::string& n : ours.names) {
          for (const std::string& m : theirs.names) {
            if (n == m) Die("flag registered twice:", n);
          }
        }
      }
    }
  }
  const std::string name = info.name;
  if (!collectors_.emplace(name, std::move(info)).second) Die("collector registered twice:", name);
  return true;
}

bool RegisterCollector(CollectorInfo (*make)()) noexcept {
  try {
    return CollectorRegistry::Global().Add(make());
  } catch (const std::exception& e) {
    Die("registering a collector failed:", e.what());
  } catch (...) {
    Die("registering a collector failed:", "an unknown exception");
  }
}

const CollectorInfo* CollectorRegistry::Find(std::string_view name) const {
  auto it = collectors_.find(name);
  return it == collectors_.end() ? nullptr : &it->second;
}

std::vector<const CollectorInfo*> CollectorRegistry::Collectors() const {
  std::vector<const CollectorInfo*> out;
  for (const auto& [name, info] : collectors_) out.push_back(&info);
  return out;
}

std::vector<const FlagSpec*> CollectorRegistry::Flags() const {
  std::vector<const FlagSpec*> out;
  for (const auto& [name, info] : collectors_) {
    for (const FlagSpec& spec : info.flags) out.push_back(&spec);
  }
  return out;
}

std::map<std::string, bool> CollectorRegistry::Defaults() const {
  std::map<std::string, bool> out;
  for (const auto& [name, info] : collectors_) {
    out[name] = info.enabled_by_default;
    for (const std::string& old : info.old_names) out[old] = info.enabled_by_default;
  }
  return out;
}

bool CollectorEnabled(const CollectorInfo& info, const std::map<std::string, bool>& overrides) {
  if (auto it = overrides.find(info.name); it != overrides.end()) return it->second;
  for (const std::string& old : info.old_names) {
    if (auto it = overrides.find(old); it != overrides.end()) return it->second;
  }
  return info.enabled_by_default;
}

}  // namespace zkx::collectors
