// Exposition helpers for tests (see exposition.h).
#include "tests/support/exposition.h"

#include <cstdlib>

namespace zkx::test {

std::optional<double> SampleValue(std::string_view exposition, std::string_view series) {
  std::size_t start = 0;
  while (start < exposition.size()) {
    std::size_t end = exposition.find('\n', start);
    if (end == std::string_view::npos) end = exposition.size();
    const std::string_view line = exposition.substr(start, end - start);
    if (line.size() > series.size() && line.starts_with(series) && line[series.size()] == ' ') {
      const std::string value(line.substr(series.size() + 1));
      return std::strtod(value.c_str(), nullptr);
    }
    start = end + 1;
  }
  return std::nullopt;
}

}  // namespace zkx::test
