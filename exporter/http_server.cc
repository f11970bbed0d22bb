#include "exporter/http_server.h"

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <exception>
#include <mutex>
#include <thread>

#include <CivetServer.h>
#include <openssl/crypto.h>
#include <spdlog/spdlog.h>
#include <sys/resource.h>

#include "base/mutex.h"
#include "base/read_number.h"
#include "base/thread_annotations.h"
#include "exporter/login_guard.h"
#include "exporter/tls_reloader.h"
#include "exporter/tls_server.h"

namespace zkx::exporter {

Result<std::string> ToCivetListeningPort(const std::string& listen_address) {
  const auto colon = listen_address.rfind(':');
  if (colon == std::string::npos) {
    return Status::InvalidArgument("listen address \"" + listen_address + "\" must be [host]:port");
  }
  std::string host = listen_address.substr(0, colon);
  const std::string port_text = listen_address.substr(colon + 1);
  uint16_t port = 0;
  if (ReadNumber(port_text, port) != NumberRead::kOk) {
    return Status::InvalidArgument("listen address \"" + listen_address + "\" has an invalid port");
  }
  if (host.empty() || host == "0.0.0.0") return port_text;
  if (host == "localhost") host = "127.0.0.1";
  if (host.front() == '[') {
    if (host.back() != ']') {
      return Status::InvalidArgument("listen address \"" + listen_address + "\": bad IPv6");
    }
    return host + ":" + port_text;  // CivetWeb takes "[::1]:9141" as is
  }
  return host + ":" + port_text;
}

namespace {

// CivetWeb's own messages (TLS handshake failures, socket errors) go to our log at debug level.
int LogCivetMessage(const mg_connection* /*conn*/, const char* message) {
  try {
    spdlog::debug("civetweb: {}", message != nullptr ? message : "");
  } catch (...) {  // NOLINT(bugprone-empty-catch): a callback must not throw
  }
  return 1;
}

}  // namespace

// What the init_ssl callback needs; owned by the HttpServer, outlives the CivetServer.
struct HttpServer::TlsState {
  TlsServerConfig config;                             // as started: what a reload may not change
  std::unique_ptr<CertificateReloader> certificates;  // the pair in use, re-read when the files change
};

namespace {

// CivetWeb's init_ssl callback: user_data is the CivetServer, whose user context is our TlsState.
int InitSsl(void* ssl_ctx, void* user_data) {
  try {
    const auto* server = static_cast<const CivetServer*>(user_data);
    const auto* tls =
        static_cast<const HttpServer::TlsState*>(server != nullptr ? server->getUserContext() : nullptr);
    if (tls == nullptr) return -1;
    if (Status s = ConfigureSslContext(ssl_ctx, tls->config); !s.ok()) {
      spdlog::error("{}", s.message());
      return -1;
    }
    tls->certificates->Install(ssl_ctx);  // every handshake takes the current (re-read) pair
    return 1;                             // the certificate is set up: CivetWeb's ssl_* options are not used
  } catch (...) {
    return -1;
  }
}

// One descriptor per connection: raises the soft RLIMIT_NOFILE (often 1024) towards what max_connections
// needs, within the hard limit, as Go programs do at start. Warns when the hard limit is lower.
void EnsureDescriptors(int max_connections) {
  const rlim_t need = static_cast<rlim_t>(max_connections) + 256;  // + sessions, files, the listener
  rlimit lim{};
  if (getrlimit(RLIMIT_NOFILE, &lim) != 0 || lim.rlim_cur >= need) return;
  lim.rlim_cur = lim.rlim_max == RLIM_INFINITY ? need : std::min(need, lim.rlim_max);
  setrlimit(RLIMIT_NOFILE, &lim);
  if (lim.rlim_cur < need) {
    spdlog::warn(
        "open files limit {} is below the {} that --web.max-connections={} needs; raise it (ulimit -n)",
        lim.rlim_cur, need, max_connections);
  }
}

bool SameExceptFiles(const TlsServerConfig& a, const TlsServerConfig& b) {
  return a.client_ca_file == b.client_ca_file && a.client_auth_type == b.client_auth_type &&
         a.min_version == b.min_version && a.max_version == b.max_version;
}

}  // namespace

Result<HttpSecurity> HttpSecurity::FromWebConfig(const WebConfig& config) {
  HttpSecurity security;
  if (!config.basic_auth_users.empty()) {
    Result<std::unique_ptr<BasicAuthenticator>> auth = BasicAuthenticator::Create(config.basic_auth_users);
    if (!auth.ok()) return auth.status();
    security.basic_auth = std::move(auth).value();
  }
  if (config.tls) {
    if (Status s = CheckTlsServerConfig(*config.tls); !s.ok()) return s;
    security.tls = config.tls;
  }
  security.headers = config.headers;
  return security;
}

class HttpServer::Dispatcher final : public CivetHandler {
 public:
  Dispatcher(std::map<std::string, HttpHandler> routes, HttpSecurity security)
      : routes_(std::move(routes)),
        security_(std::make_shared<const HttpSecurity>(std::move(security))),
        guard_(GuardOptions()) {}

  // bcrypt on at most half the cores: the other half stays free for scrapes and health checks.
  static LoginGuardOptions GuardOptions() {
    LoginGuardOptions o;
    o.max_concurrent = std::max(1U, std::thread::hardware_concurrency() / 2);
    return o;
  }

  void SetSecurity(HttpSecurity security) {
    auto next = std::make_shared<const HttpSecurity>(std::move(security));
    const MutexLock lock(mu_);
    security_ = std::move(next);
  }
  std::shared_ptr<const HttpSecurity> Security() const {
    const MutexLock lock(mu_);
    return security_;
  }

  bool handleGet(CivetServer* /*server*/, mg_connection* conn) override { return Serve(conn, true); }
  bool handleHead(CivetServer* /*server*/, mg_connection* conn) override { return Serve(conn, false); }
  bool handlePost(CivetServer* /*server*/, mg_connection* conn) override { return MethodNotAllowed(conn); }
  bool handlePut(CivetServer* /*server*/, mg_connection* conn) override { return MethodNotAllowed(conn); }
  bool handleDelete(CivetServer* /*server*/, mg_connection* conn) override { return MethodNotAllowed(conn); }
  bool handlePatch(CivetServer* /*server*/, mg_connection* conn) override { return MethodNotAllowed(conn); }
  bool handleOptions(CivetServer* /*server*/, mg_connection* conn) override { return MethodNotAllowed(conn); }

 private:
  void Write(mg_connection* conn, const HttpResponse& r, bool with_body) const {
    const std::shared_ptr<const HttpSecurity> security = Security();
    mg_response_header_start(conn, r.status);
    mg_response_header_add(conn, "Content-Type", r.content_type.c_str(), -1);
    const std::string length = std::to_string(r.body.size());
    mg_response_header_add(conn, "Content-Length", length.c_str(), -1);
    for (const auto& [name, value] : r.headers) mg_response_header_add(conn, name.c_str(), value.c_str(), -1);
    for (const auto& [name, value] : security->headers) {
      mg_response_header_add(conn, name.c_str(), value.c_str(), -1);
    }
    mg_response_header_send(conn);
    if (with_body && !r.body.empty()) mg_write(conn, r.body.data(), r.body.size());
  }

  // True when the request may proceed; otherwise a 401 (or 429/503 from the login guard) has been written.
  bool Authorize(mg_connection* conn, bool with_body) {
    const std::shared_ptr<const HttpSecurity> security = Security();
    if (!security->basic_auth) return true;
    const char* header = mg_get_header(conn, "Authorization");
    const mg_request_info* info = mg_get_request_info(conn);
    const std::string address = info != nullptr ? info->remote_addr : "?";
    HttpResponse r;
    r.status = 401;
    r.body = "Unauthorized\n";
    r.headers.emplace_back("WWW-Authenticate", "Basic realm=\"zookeeper_exporter\"");
    std::optional<std::pair<std::string, std::string>> credentials;
    if (header != nullptr && *header != '\0') credentials = ParseBasicAuthorization(header);
    if (credentials) {
      const BasicAuthenticator& auth = *security->basic_auth;
      bool allowed = auth.VerifyCached(credentials->first, credentials->second);  // no bcrypt
      if (!allowed) {
        // Everything else costs a bcrypt: bounded, and refused outright while this address backs off.
        if (const auto wait = guard_.Backoff(address); wait.count() > 0) {
          r.status = 429;
          r.body = "too many failed logins from this address\n";
          r.headers.emplace_back("Retry-After", std::to_string((wait.count() + 999) / 1000));
          Tarpit(std::min<std::chrono::milliseconds>(wait, kMaxTarpit));
        } else if (LoginGuard::Slot slot = guard_.AcquireSlot(); !slot) {
          r.status = 503;
          r.body = "too many logins being verified\n";
          r.headers.emplace_back("Retry-After", "1");
        } else {
          allowed = auth.Verify(credentials->first, credentials->second);
          guard_.Record(address, allowed);
          if (!allowed) {
            spdlog::debug("basic auth failed for user \"{}\" from {}", credentials->first,
                          address);  // the user name only: never the password
          }
        }
      }
      OPENSSL_cleanse(credentials->second.data(), credentials->second.size());
      if (allowed) return true;
    }
    Write(conn, r, with_body);
    return false;
  }

  // Holds a refused client's answer back (no CPU: the worker sleeps), so a client that retries at once is
  // slowed to about one attempt a second instead of spinning. At most kMaxTarpitted requests wait at once
  // (a share of the workers); beyond that the answer goes out at once.
  void Tarpit(std::chrono::milliseconds delay) {
    if (tarpitted_.fetch_add(1) < kMaxTarpitted) std::this_thread::sleep_for(delay);
    tarpitted_.fetch_sub(1);
  }

  bool MethodNotAllowed(mg_connection* conn) {
    try {
      if (!Authorize(conn, true)) return true;
      HttpResponse r;
      r.status = 405;
      r.body = "method not allowed\n";
      r.headers.emplace_back("Allow", "GET, HEAD");
      Write(conn, r, true);
    } catch (
        ...) {  // NOLINT(bugprone-empty-catch): a callback must not throw; CivetWeb closes the connection
    }
    return true;
  }

  bool Serve(mg_connection* conn, bool with_body) {
    try {
      if (!Authorize(conn, with_body)) return true;
      const mg_request_info* info = mg_get_request_info(conn);
      HttpRequest request;
      request.method = info->request_method != nullptr ? info->request_method : "";
      request.path = info->local_uri != nullptr ? info->local_uri : "";
      request.query = info->query_string != nullptr ? info->query_string : "";
      if (const char* h = mg_get_header(conn, "Accept-Encoding")) request.accept_encoding = h;
      if (const char* h = mg_get_header(conn, "X-Prometheus-Scrape-Timeout-Seconds")) {
        request.scrape_timeout_header = h;
      }
      auto route = routes_.find(request.path);
      HttpResponse response;
      if (route == routes_.end()) {
        response.status = 404;
        response.body = "not found\n";
      } else {
        response = route->second(request);
      }
      Write(conn, response, with_body);
    } catch (const std::exception& e) {
      spdlog::error("HTTP handler failed: {}", e.what());
      HttpResponse r;
      r.status = 500;
      r.body = "internal error\n";
      Write(conn, r, with_body);
    } catch (...) {
      HttpResponse r;
      r.status = 500;
      r.body = "internal error\n";
      Write(conn, r, with_body);
    }
    return true;
  }

  const std::map<std::string, HttpHandler> routes_;  // immutable
  mutable Mutex mu_;
  std::shared_ptr<const HttpSecurity> security_ GUARDED_BY(mu_);  // swapped whole by SetSecurity
  LoginGuard guard_;  // survives SetSecurity: the failures are the client's
  static constexpr std::chrono::milliseconds kMaxTarpit{1000};
  static constexpr int kMaxTarpitted = 128;
  std::atomic<int> tarpitted_{0};
};

Result<std::unique_ptr<HttpServer>> HttpServer::Start(const std::string& listen_address,
                                                      std::map<std::string, HttpHandler> routes,
                                                      HttpServerLimits limits) {
  return Start(listen_address, std::move(routes), HttpSecurity{}, limits);
}

Result<std::unique_ptr<HttpServer>> HttpServer::Start(const std::string& listen_address,
                                                      std::map<std::string, HttpHandler> routes,
                                                      HttpSecurity security, HttpServerLimits limits) {
  Result<std::string> ports = ToCivetListeningPort(listen_address);
  if (!ports.ok()) return ports.status();
  std::unique_ptr<HttpServer> server(new HttpServer());
  CivetCallbacks callbacks;
  callbacks.log_message = LogCivetMessage;
  std::string listening_ports = *ports;
  if (security.tls) {
    if (Status s = LoadCivetWebOpenSslShims(); !s.ok()) return s;
    Result<std::unique_ptr<CertificateReloader>> certificates =
        CertificateReloader::Create(security.tls->cert_file, security.tls->key_file);
    if (!certificates.ok()) return certificates.status();
    server->tls_ = std::make_unique<TlsState>(TlsState{*security.tls, std::move(certificates).value()});
    callbacks.init_ssl = InitSsl;
    listening_ports += 's';  // CivetWeb: a trailing 's' makes the port HTTPS
  }
  EnsureDescriptors(limits.max_connections);
  server->dispatcher_ = std::make_unique<Dispatcher>(std::move(routes), std::move(security));
  // One worker per open connection (CivetWeb 1.15 has no event loop): num_threads is the number of
  // connections served at once. request_timeout_ms bounds the whole request head (and each socket write), so
  // a client sending a byte a second is cut; keep_alive_timeout_ms frees a worker held by an idle client.
  // connection_queue: accepted sockets waiting for a worker; listen_backlog: the kernel's queue behind it.
  const std::vector<std::string> options = {
      "listening_ports",       listening_ports,
      "num_threads",           std::to_string(std::max(1, limits.max_connections)),
      "request_timeout_ms",    std::to_string(limits.read_header_timeout.count()),
      "enable_keep_alive",     "yes",
      "keep_alive_timeout_ms", std::to_string(limits.idle_timeout.count()),
      "connection_queue",      std::to_string(std::max(20, limits.max_connections / 4)),
      "listen_backlog",        std::to_string(std::max(200, limits.max_connections)),
  };
  try {
    const void* user_context = server->tls_.get();
    server->server_ = std::make_unique<CivetServer>(options, &callbacks, user_context);
  } catch (const std::exception& e) {
    return Status::Unavailable("cannot listen on " + listen_address + ": " + e.what());
  }
  if (server->server_->getContext() == nullptr) {
    return Status::Unavailable("cannot listen on " + listen_address);
  }
  server->server_->addHandler("/", server->dispatcher_.get());
  return server;
}

HttpServer::HttpServer() = default;

HttpServer::~HttpServer() {
  Stop();
}

Status HttpServer::UpdateSecurity(HttpSecurity security) {
  if (security.tls.has_value() != (tls_ != nullptr)) {
    return Status::FailedPrecondition(
        std::string("switching between HTTP and HTTPS needs a restart (the server runs ") +
        (tls_ ? "HTTPS" : "plain HTTP") + ")");
  }
  if (tls_) {
    if (!SameExceptFiles(tls_->config, *security.tls)) {
      return Status::FailedPrecondition(
          "only cert_file and key_file of tls_server_config are re-read while running; changes to "
          "client_auth_type, client_ca_file, min_version or max_version need a restart");
    }
    if (Status s = tls_->certificates->SetFiles(security.tls->cert_file, security.tls->key_file); !s.ok()) {
      return s;
    }
  }
  dispatcher_->SetSecurity(std::move(security));
  return Status::Ok();
}

std::vector<int> HttpServer::Ports() const {
  return server_ ? server_->getListeningPorts() : std::vector<int>{};
}

void HttpServer::Stop() {
  if (server_) {
    server_->close();  // stops the workers; waits for handlers in progress
    server_.reset();
  }
}

}  // namespace zkx::exporter
