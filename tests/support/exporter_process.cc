#include "tests/support/exporter_process.h"

#include <csignal>
#include <utility>

#include "tests/support/wait_and_ports.h"

namespace zkx::test {

ExporterProcess::ExporterProcess(const std::string& binary, std::vector<std::string> args,
                                 const std::string& log_path, const std::map<std::string, std::string>& env) {
  Result<uint16_t> port = FreeLoopbackPort();
  if (!port.ok()) {
    status_ = port.status();
    return;
  }
  port_ = *port;
  std::vector<std::string> argv = {binary, "--web.listen-address=" + address()};
  for (auto& a : args) argv.push_back(std::move(a));
  Result<ChildProcess> p = ChildProcess::Start(std::move(argv), log_path, env);
  if (!p.ok()) {
    status_ = p.status();
    return;
  }
  process_.emplace(std::move(p).value());
}

std::string ExporterProcess::address() const {
  return "127.0.0.1:" + std::to_string(port_);
}

Result<HttpResponse> ExporterProcess::Get(const std::string& path, std::chrono::milliseconds timeout) const {
  return Get(path, Headers{}, timeout);
}

Result<HttpResponse> ExporterProcess::Get(const std::string& path, const Headers& headers,
                                          std::chrono::milliseconds timeout) const {
  if (!process_) return Status::Unavailable("the exporter did not start: " + status_.ToString());
  return HttpGet("127.0.0.1", port_, path, headers, timeout);
}

std::string ExporterProcess::Metrics() const {
  Result<HttpResponse> r = Get("/metrics");
  return r.ok() && r->status == 200 ? r->body : "";
}

bool ExporterProcess::WaitReady(std::chrono::milliseconds timeout) const {
  return process_ && WaitFor(
                         [&] {
                           Result<HttpResponse> r = Get("/readyz");
                           return r.ok() && r->status == 200;
                         },
                         timeout, std::chrono::milliseconds(100));
}

bool ExporterProcess::WaitListening(std::chrono::milliseconds timeout) const {
  return process_ && WaitFor([&] { return Log().find("listening on") != std::string::npos; }, timeout);
}

bool ExporterProcess::WaitMetrics(const std::function<bool(const std::string&)>& ready,
                                  std::chrono::milliseconds timeout, std::chrono::milliseconds poll) const {
  return process_ && WaitFor(
                         [&] {
                           Result<HttpResponse> r = Get("/metrics");
                           return r.ok() && r->status == 200 && ready(r->body);
                         },
                         timeout, poll);
}

std::optional<int> ExporterProcess::Stop(std::chrono::milliseconds timeout) {
  process_->Signal(SIGTERM);
  return process_->WaitExit(timeout);
}

}  // namespace zkx::test
