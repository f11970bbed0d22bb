#pragma once
// Signal handling without async handlers: the main thread blocks SIGINT, SIGTERM and SIGHUP before any other
// thread starts (threads inherit the mask), then waits for them synchronously. SIGPIPE is ignored.

#include <chrono>

namespace zkx::exporter {

enum class SignalEvent { kNone, kTerminate, kReload };

// Call first thing in main(), before any thread is created.
void BlockHandledSignals();
// Waits up to `timeout` for SIGINT/SIGTERM (kTerminate) or SIGHUP (kReload); kNone on timeout.
SignalEvent WaitForSignal(std::chrono::milliseconds timeout);

}  // namespace zkx::exporter
