#pragma once
// Reading Prometheus text exposition (format 0.0.4) in tests: the value of one series.
// Thread-safety: pure functions.

#include <optional>
#include <string>
#include <string_view>

namespace zkx::test {

// The value of the first sample line that is `series` (name + labels, exactly as exposed) followed by a
// space; nullopt when there is none.
std::optional<double> SampleValue(std::string_view exposition, std::string_view series);

}  // namespace zkx::test
