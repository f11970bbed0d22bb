#pragma once
// The application: wires flags, config, logging, the ZooKeeper session, the collectors and the HTTP server,
// then waits for signals. Startup errors are fatal with one clear line and exit code 1; ZooKeeper being
// unreachable is not an error (the exporter starts, reports the session as not connected and reconnects).
// Shutdown order: HTTP, collectors, session, logs.

namespace zkx::exporter {

// Runs the exporter; returns the process exit code. Call BlockHandledSignals() before it (main does).
int RunExporter(int argc, const char* const* argv);

}  // namespace zkx::exporter
