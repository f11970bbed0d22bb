#pragma once
// BenchFlags: a benchmark's command line, "--name value" pairs, each read by the benchmark with its bounds.
//
// Why: the benchmarks parsed their flags with std::atoi and std::strtoul, which read "x" as 0 and "12abc" as
// 12, clamped what they did not like and, in some, skipped flags they did not know. A typo ran another
// benchmark than the one asked for, silently (`scale_bench --shape-warmup x` ran one warm-up walk). Here a
// value that is not a whole number within its flag's bounds (or not one of its choices), a flag given twice,
// a flag without a value, a stray argument and a flag that nothing read are all errors that name the flag;
// Finish() prints them with the usage, and the benchmark exits 2 before it starts anything.
//
//   BenchFlags flags(argc, argv);
//   flags.Count("--rounds", opt.rounds, 1, 1000);  // left at its default when not given
//   if (!flags.Finish("usage: bench [--rounds N]")) return 2;
//
// Not thread-safe: main() only.

#include <cstddef>
#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

namespace zkx::bench {

class BenchFlags {
 public:
  BenchFlags(int argc, const char* const* argv);

  // A whole number in [min, max] (decimal digits only: no sign, no spaces, no suffix).
  void Count(std::string_view name, std::size_t& out, std::size_t min, std::size_t max);
  void Int(std::string_view name, int& out, int min, int max);
  // Comma-separated whole numbers, each in [min, max]; at least one.
  void CountList(std::string_view name, std::vector<std::size_t>& out, std::size_t min, std::size_t max);
  // Any text but the empty one.
  void Text(std::string_view name, std::string& out);
  // One of `choices`.
  void Choice(std::string_view name, std::string& out, std::initializer_list<std::string_view> choices);

  // What was wrong with the command line so far, the flags that nothing read included: empty when it was
  // good. Call after every flag has been read.
  [[nodiscard]] std::vector<std::string> Errors() const;
  // Prints Errors() and then `usage` to stderr when there are any, and returns false; true otherwise.
  [[nodiscard]] bool Finish(std::string_view usage) const;

 private:
  struct Given {
    std::string name;
    std::string value;
    bool read = false;
  };
  // The value of `name` if it was given (and marks it read), else nullptr.
  const std::string* Find(std::string_view name);
  // Count and Int: `name`'s value as a whole number in [min, max] into `out`, or an error.
  template <typename T>
  void Whole(std::string_view name, T& out, T min, T max);

  std::vector<Given> given_;
  std::vector<std::string> errors_;
};

}  // namespace zkx::bench
