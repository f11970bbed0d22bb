#pragma once
// QuoteForMessage: "..." around untrusted text (a flag value, a YAML scalar, a duration) for an error
// message, with control characters (newline, CR, NUL, DEL, ...) escaped as \xNN so that the message stays
// one line: startup errors go to stderr as one "zookeeper_exporter: ..." line, runtime ones to one log line.
// Thread-safety: a pure function.

#include <string>
#include <string_view>

namespace zkx {

std::string QuoteForMessage(std::string_view text);

}  // namespace zkx
