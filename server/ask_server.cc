// AskServer's core (see ask_server.h).
#include "server/ask_server.h"

namespace zkx::server {
namespace {

using Clock = std::chrono::steady_clock;

// True when the reason shows that something answered on the client port.
bool ClientPortAnswered(ProbeReason reason) {
  return reason == ProbeReason::kOk || reason == ProbeReason::kNotWhitelisted ||
         reason == ProbeReason::kNotServing || reason == ProbeReason::kParseError;
}

}  // namespace

RawAnswer AskServerRaw(const HostPort& server, uint16_t admin_port, std::string_view admin_command,
                       const std::vector<std::string_view>& words, Clock::time_point deadline,
                       const std::function<Status(std::size_t index, std::string_view body)>& accept) {
  RawAnswer answer;
  std::optional<std::size_t> admin_refused;  // index in failures of a refused admin attempt

  if (admin_port != 0 && !admin_command.empty()) {
    const auto now = Clock::now();
    const auto admin_deadline = words.empty() || deadline <= now ? deadline : now + (deadline - now) / 2;
    ProbeReply reply = AdminGet(server, admin_port, admin_command, admin_deadline);
    if (reply.ok()) {
      if (Status parsed = accept(0, reply.body); parsed.ok()) {
        answer.source = "admin";
        return answer;
      } else {
        answer.failures.push_back({"admin", ProbeReason::kParseError, parsed.message()});
      }
    } else {
      if (reply.reason == ProbeReason::kConnectionRefused) admin_refused = answer.failures.size();
      answer.failures.push_back({"admin", reply.reason, std::move(reply.detail)});
    }
  }

  std::optional<ProbeReason> first_word_reason;
  for (std::size_t i = 0; i < words.size(); ++i) {
    ProbeReply reply = FourLetterWord(server, words[i], deadline);
    ProbeReason reason = reply.reason;
    if (reply.ok()) {
      if (Status parsed = accept(i + 1, reply.body); parsed.ok()) {
        answer.source = std::string(words[i]);
      } else {
        reason = ProbeReason::kParseError;
        answer.failures.push_back({std::string(words[i]), reason, parsed.message()});
      }
    } else {
      answer.failures.push_back({std::string(words[i]), reason, std::move(reply.detail)});
    }
    if (!first_word_reason) first_word_reason = reason;
    if (reason != ProbeReason::kNotWhitelisted) break;
  }

  if (admin_refused && first_word_reason && ClientPortAnswered(*first_word_reason)) {
    Failure& f = answer.failures[*admin_refused];
    f.reason = ProbeReason::kAdminServerDisabled;
    f.detail +=
        "; the client port answers: AdminServer disabled or on another port (--server.admin-port, 0 to skip "
        "it)";
  }
  return answer;
}

}  // namespace zkx::server
