#pragma once
// HttpServer: our own CivetServer serving a fixed set of exact-path routes (/metrics, /healthz, /readyz, /).
// prometheus-cpp 1.0.1's Exposer cannot share a CivetServer, so we own it and serialise with TextSerializer.
//
// Routes are fixed at Start() (immutable afterwards: no locking on the request path). Handlers run on
// CivetWeb's worker threads, possibly concurrently; they must be thread-safe. An exception escaping a handler
// is caught and answered with 500. Unknown paths get 404; methods other than GET and HEAD get 405.
// Lifetime: Stop() (and the destructor) stops the server and waits for handlers in progress to return;
// everything the handlers reach must outlive it.
//
// Security (HttpSecurity, from --web.config.file): basic auth is checked before dispatch on every route and
// method (401 with WWW-Authenticate, also for unknown paths); TLS is configured by us in CivetWeb's init_ssl
// callback (see exporter/tls_server.h for why CivetWeb needs the OpenSSL 3 shims first). The Authorization
// header is never logged. Basic auth goes through a LoginGuard (exporter/login_guard.h): bcrypt
// verifications are bounded and repeated failures from one address are refused (429) without hashing.
// The certificate and key are re-read when their files change (exporter/tls_reloader.h), and
// UpdateSecurity() swaps in a new web config (SIGHUP) while the server runs.
//
// Capacity (issue 16): CivetWeb 1.15 gives each open connection its own worker thread for as long as it is
// open, from a fixed pool started with the server. HttpServerLimits sizes that pool and bounds how long a
// connection may hold a worker: an unfinished request head (slowloris) is cut after read_header_timeout, an
// idle keep-alive connection after idle_timeout. With max_connections workers, that many connections can be
// open before a new client waits; measured figures are in README.md ("Capacity and slow clients").

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "base/status.h"
#include "exporter/basic_auth.h"
#include "exporter/web_config.h"

class CivetServer;

namespace zkx::exporter {

struct HttpRequest {
  std::string method;
  std::string path;
  std::string accept_encoding;        // "" if absent
  std::string scrape_timeout_header;  // X-Prometheus-Scrape-Timeout-Seconds, "" if absent
  std::string query;                  // the raw query string after '?' ("" if none), still URL-encoded
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;  // extra headers (e.g. Content-Encoding)
};

using HttpHandler = std::function<HttpResponse(const HttpRequest&)>;

// How much the server holds and for how long (flags --web.max-connections, --web.read-header-timeout,
// --web.idle-timeout).
struct HttpServerLimits {
  int max_connections = 1024;  // CivetWeb worker threads = connections served at once
  std::chrono::milliseconds read_header_timeout{10000};  // CivetWeb request_timeout_ms
  std::chrono::milliseconds idle_timeout{60000};         // CivetWeb keep_alive_timeout_ms
};

// "[host]:port" (flag syntax) -> CivetWeb's listening_ports syntax. ":9141" listens on every interface,
// "localhost:9141" on 127.0.0.1, "[::1]:9141" on IPv6 loopback. InvalidArgument when malformed.
Result<std::string> ToCivetListeningPort(const std::string& listen_address);

// What --web.config.file asks of the server. Default: plain HTTP, no authentication.
struct HttpSecurity {
  std::optional<TlsServerConfig> tls;                        // HTTPS only (no plain port) when set
  std::shared_ptr<const BasicAuthenticator> basic_auth;      // null: no authentication
  std::vector<std::pair<std::string, std::string>> headers;  // added to every response

  // From a parsed web config: builds the authenticator (one bcrypt for its dummy hash) and loads the
  // certificate, key and client CAs once, so that a bad file is a startup error with a clear message.
  static Result<HttpSecurity> FromWebConfig(const WebConfig& config);
};

class HttpServer {
 public:
  // Starts listening. A port that cannot be bound is an error (startup errors are fatal for the caller).
  static Result<std::unique_ptr<HttpServer>> Start(const std::string& listen_address,
                                                   std::map<std::string, HttpHandler> routes,
                                                   HttpServerLimits limits = {});
  // Same, with TLS and/or basic auth. With TLS, loads CivetWeb's OpenSSL 3 shims first (an error if missing).
  static Result<std::unique_ptr<HttpServer>> Start(const std::string& listen_address,
                                                   std::map<std::string, HttpHandler> routes,
                                                   HttpSecurity security, HttpServerLimits limits = {});
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Applies a re-read web config (SIGHUP): basic auth users and headers at once; with TLS, the certificate
  // and key files (loaded and checked first). On error nothing changes: switching between HTTP and HTTPS, or
  // other tls_server_config changes (client auth, CAs, versions), need a restart and are refused.
  Status UpdateSecurity(HttpSecurity security);

  struct TlsState;  // internal: what CivetWeb's init_ssl callback reads

  // The ports actually bound (useful with port 0).
  [[nodiscard]] std::vector<int> Ports() const;
  void Stop();

 private:
  class Dispatcher;
  HttpServer();
  std::unique_ptr<TlsState> tls_;  // read by the init_ssl callback while server_ starts; null: plain HTTP
  std::unique_ptr<Dispatcher> dispatcher_;
  std::unique_ptr<CivetServer> server_;  // declared last: stopped before what its callbacks reach
};

}  // namespace zkx::exporter
