#pragma once
// AskServer: one question to one ZooKeeper server, asked the way the exporter asks every question -- the
// AdminServer command first, then four-letter words -- with each failed source classified.
//
// Order and budget:
//   1. GET /commands/<admin_command> on admin_port, unless admin_port is 0 or the question has no admin form.
//      When words may follow, the admin attempt gets half of the time left, so that a firewalled admin port
//      does not eat the whole deadline; alone, it gets all of it.
//   2. If no answer yet: the words in order. A word is tried only if the previous one was refused by the
//      server's 4lw.commands.whitelist (e.g. mntr, then srvr).
// Classification: every failed source is one Failure{source, reason, detail}, source being "admin" or the
// word. An admin attempt refused (connection_refused) while the client port answered something (a reply, the
// whitelist refusal, "not serving", or an unparsable reply) is reclassified admin_server_disabled: the
// AdminServer is off or on another port. A reply that does not parse is parse_error with the parser's
// message. Thread-safety: a free function with no shared state; blocking, bounded by `deadline` except name
// resolution.

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/status.h"
#include "server/connect_string.h"
#include "server/server_probe.h"

namespace zkx::server {

// Why one source of one server gave no usable answer.
struct Failure {
  std::string source;  // "admin", "mntr", "srvr", "wchs", "wchp", ...
  ProbeReason reason = ProbeReason::kOk;
  std::string detail;  // for the log line only
};

template <typename T>
using ReplyParser = std::function<Result<T>(std::string_view body)>;

template <typename T>
struct Question {
  std::string admin_command;  // "" = no AdminServer form
  ReplyParser<T> parse_admin;
  std::vector<std::pair<std::string, ReplyParser<T>>> words;  // four-letter words and their parsers, in order
};

template <typename T>
struct Answer {
  std::optional<T> value;         // set when a source answered and its reply parsed
  std::string source;             // "admin" or the word that answered; "" when none did
  std::vector<Failure> failures;  // in the order the sources were tried
};

// The type-erased core of AskServer. `accept(index, body)` parses a reply (index 0 = admin, i + 1 = word i)
// and keeps the value; it returns the parse error, if any.
struct RawAnswer {
  std::string source;
  std::vector<Failure> failures;
};
RawAnswer AskServerRaw(const HostPort& server, uint16_t admin_port, std::string_view admin_command,
                       const std::vector<std::string_view>& words,
                       std::chrono::steady_clock::time_point deadline,
                       const std::function<Status(std::size_t index, std::string_view body)>& accept);

template <typename T>
Answer<T> AskServer(const HostPort& server, uint16_t admin_port, const Question<T>& question,
                    std::chrono::steady_clock::time_point deadline) {
  Answer<T> answer;
  std::vector<std::string_view> words;
  for (const auto& [word, parse] : question.words) words.push_back(word);
  auto accept = [&](std::size_t index, std::string_view body) -> Status {
    const ReplyParser<T>& parse = index == 0 ? question.parse_admin : question.words[index - 1].second;
    Result<T> parsed = parse(body);
    if (!parsed.ok()) return parsed.status();
    answer.value = std::move(parsed).value();
    return Status::Ok();
  };
  RawAnswer raw = AskServerRaw(server, admin_port, question.admin_command, words, deadline, accept);
  answer.source = std::move(raw.source);
  answer.failures = std::move(raw.failures);
  return answer;
}

}  // namespace zkx::server
