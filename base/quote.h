#pragma once
// Quote: the one quoting helper for untrusted text (a flag value, a YAML scalar, a path, a duration) in an
// error or log message. The text is put in "..." and control characters (newline, CR, NUL, DEL, ...) are
// escaped as \xNN, so that the message stays one line: startup errors go to stderr as one
// "zookeeper_exporter: ..." line, runtime ones to one log line. (Quotes and backslashes are kept as they are:
// config.cc escapes whole messages with it, and must not double them.)
// Thread-safety: pure functions.

#include <string>
#include <string_view>

namespace zkx {

std::string Quote(std::string_view text);

// The former name, kept so that code written against it still compiles; new code calls Quote.
inline std::string QuoteForMessage(std::string_view text) {
  return Quote(text);
}

}  // namespace zkx
