// BenchFlags: strict "--name value" parsing for the benchmarks (see bench_flags.h).
#include "tests/bench/bench_flags.h"

#include <cstdio>
#include <limits>
#include <utility>

#include "base/read_number.h"

namespace zkx::bench {
namespace {

// `text` as a whole number in [min, max], or false.
template <typename T>
bool ParseWhole(std::string_view text, T min, T max, T& out) {
  T v{};
  if (ReadNumber(text, v) != NumberRead::kOk || v < min || v > max) return false;
  out = v;
  return true;
}

template <typename T>
std::string Bounds(T min, T max) {
  if (max == std::numeric_limits<T>::max()) return "a whole number from " + std::to_string(min);
  return "a whole number from " + std::to_string(min) + " to " + std::to_string(max);
}

}  // namespace

BenchFlags::BenchFlags(int argc, const char* const* argv) {
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg.rfind("--", 0) != 0 || arg.size() == 2) {
      errors_.push_back("unexpected argument \"" + arg + "\" (flags are --name value)");
      continue;
    }
    if (i + 1 >= argc) {
      errors_.push_back(arg + ": no value");
      continue;
    }
    for (const Given& g : given_) {
      if (g.name == arg) errors_.push_back(arg + ": given twice");
    }
    given_.push_back({arg, argv[++i]});
  }
}

const std::string* BenchFlags::Find(std::string_view name) {
  const std::string* value = nullptr;
  for (Given& g : given_) {
    if (g.name != name) continue;
    g.read = true;
    value = &g.value;
  }
  return value;
}

template <typename T>
void BenchFlags::Whole(std::string_view name, T& out, T min, T max) {
  const std::string* value = Find(name);
  if (value != nullptr && !ParseWhole(*value, min, max, out)) {
    errors_.push_back(std::string(name) + ": \"" + *value + "\" is not " + Bounds(min, max));
  }
}

void BenchFlags::Count(std::string_view name, std::size_t& out, std::size_t min, std::size_t max) {
  Whole(name, out, min, max);
}

void BenchFlags::Int(std::string_view name, int& out, int min, int max) {
  Whole(name, out, min, max);
}

void BenchFlags::CountList(std::string_view name, std::vector<std::size_t>& out, std::size_t min,
                           std::size_t max) {
  const std::string* value = Find(name);
  if (value == nullptr) return;
  std::vector<std::size_t> parsed;
  std::string_view rest = *value;
  while (true) {
    const std::size_t comma = rest.find(',');
    std::size_t item = 0;
    if (!ParseWhole(rest.substr(0, comma), min, max, item)) {
      errors_.push_back(std::string(name) + ": \"" + *value + "\" is not a comma-separated list of " +
                        Bounds(min, max) + " each");
      return;
    }
    parsed.push_back(item);
    if (comma == std::string_view::npos) break;
    rest.remove_prefix(comma + 1);
  }
  out = std::move(parsed);
}

void BenchFlags::Text(std::string_view name, std::string& out) {
  const std::string* value = Find(name);
  if (value == nullptr) return;
  if (value->empty()) {
    errors_.push_back(std::string(name) + ": empty");
    return;
  }
  out = *value;
}

void BenchFlags::Choice(std::string_view name, std::string& out,
                        std::initializer_list<std::string_view> choices) {
  const std::string* value = Find(name);
  if (value == nullptr) return;
  std::string listed;
  for (const std::string_view choice : choices) {
    if (*value == choice) {
      out = *value;
      return;
    }
    listed += (listed.empty() ? "" : ", ") + std::string(choice);
  }
  errors_.push_back(std::string(name) + ": \"" + *value + "\" is not one of " + listed);
}

std::vector<std::string> BenchFlags::Errors() const {
  std::vector<std::string> errors = errors_;
  for (const Given& g : given_) {
    if (!g.read) errors.push_back(g.name + ": no such flag");
  }
  return errors;
}

bool BenchFlags::Finish(std::string_view usage) const {
  const std::vector<std::string> errors = Errors();
  if (errors.empty()) return true;
  for (const std::string& e : errors) std::fprintf(stderr, "%s\n", e.c_str());
  std::fprintf(stderr, "%.*s\n", static_cast<int>(usage.size()), usage.data());
  return false;
}

}  // namespace zkx::bench
