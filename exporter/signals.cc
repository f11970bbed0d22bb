#include "exporter/signals.h"

#include <csignal>
#include <ctime>

namespace zkx::exporter {
namespace {

sigset_t HandledSet() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGHUP);
  return set;
}

}  // namespace

void BlockHandledSignals() {
  std::signal(SIGPIPE, SIG_IGN);
  sigset_t set = HandledSet();
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
}

SignalEvent WaitForSignal(std::chrono::milliseconds timeout) {
  sigset_t set = HandledSet();
  timespec ts{};
  ts.tv_sec = static_cast<time_t>(timeout.count() / 1000);
  ts.tv_nsec = static_cast<long>((timeout.count() % 1000) * 1000000);
  const int sig = sigtimedwait(&set, nullptr, &ts);
  if (sig == SIGINT || sig == SIGTERM) return SignalEvent::kTerminate;
  if (sig == SIGHUP) return SignalEvent::kReload;
  return SignalEvent::kNone;
}

}  // namespace zkx::exporter
