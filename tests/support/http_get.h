#pragma once
// HttpGet: a minimal blocking HTTP/1.1 GET for tests (plain sockets, "Connection: close", no TLS, no
// redirects). Thread-safety: no shared state; call from any thread.

#include <chrono>
#include <cstdint>
#include <map>
#include <string>

#include "base/status.h"

namespace zkx::test {

struct HttpResponse {
  int status = 0;
  // Header names lower-cased; a repeated header keeps the last value.
  std::map<std::string, std::string> headers{};
  std::string body{};  // de-chunked; not decompressed (ask for gzip only if you mean to gunzip it)
};

// GET http://host:port/path. `host` is an IPv4 literal or "localhost" (tests only talk to loopback).
// `headers` are sent as given (e.g. {"Authorization", "Basic ..."}, {"Accept-Encoding", "gzip"}).
// Fails with kUnavailable (refused), kDeadlineExceeded (`timeout` for the whole exchange) or kInternal
// (malformed response). A non-2xx status is NOT an error: check HttpResponse::status.
Result<HttpResponse> HttpGet(const std::string& host, uint16_t port, const std::string& path,
                             const std::map<std::string, std::string>& headers = {},
                             std::chrono::milliseconds timeout = std::chrono::milliseconds(10000));

// Parses a complete HTTP/1.x response (status line, headers, body; chunked bodies are decoded).
Result<HttpResponse> ParseHttpResponse(const std::string& raw);

}  // namespace zkx::test
