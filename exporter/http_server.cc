#include "exporter/http_server.h"

#include <charconv>
#include <exception>

#include <CivetServer.h>
#include <spdlog/spdlog.h>

#include "exporter/tls_server.h"

namespace zkx::exporter {

Result<std::string> ToCivetListeningPort(const std::string& listen_address) {
  const auto colon = listen_address.rfind(':');
  if (colon == std::string::npos) {
    return Status::InvalidArgument("listen address \"" + listen_address + "\" must be [host]:port");
  }
  std::string host = listen_address.substr(0, colon);
  const std::string port_text = listen_address.substr(colon + 1);
  int port = -1;
  auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (ec != std::errc() || end != port_text.data() + port_text.size() || port < 0 || port > 65535) {
    return Status::InvalidArgument("listen address \"" + listen_address + "\" has an invalid port");
  }
  if (host.empty() || host == "0.0.0.0") return port_text;
  if (host == "localhost") host = "127.0.0.1";
  if (host.front() == '[') {
    if (host.back() != ']')
      return Status::InvalidArgument("listen address \"" + listen_address + "\": bad IPv6");
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

// CivetWeb's init_ssl callback: user_data is the CivetServer, whose user context is the TlsServerConfig.
int InitSsl(void* ssl_ctx, void* user_data) {
  try {
    const auto* server = static_cast<const CivetServer*>(user_data);
    const auto* tls =
        static_cast<const TlsServerConfig*>(server != nullptr ? server->getUserContext() : nullptr);
    if (tls == nullptr) return -1;
    if (Status s = ConfigureSslContext(ssl_ctx, *tls); !s.ok()) {
      spdlog::error("{}", s.message());
      return -1;
    }
    return 1;  // the certificate is set up: CivetWeb's ssl_* options are not used
  } catch (...) {
    return -1;
  }
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
      : routes_(std::move(routes)), security_(std::move(security)) {}

  bool handleGet(CivetServer* /*server*/, mg_connection* conn) override { return Serve(conn, true); }
  bool handleHead(CivetServer* /*server*/, mg_connection* conn) override { return Serve(conn, false); }
  bool handlePost(CivetServer* /*server*/, mg_connection* conn) override { return MethodNotAllowed(conn); }
  bool handlePut(CivetServer* /*server*/, mg_connection* conn) override { return MethodNotAllowed(conn); }
  bool handleDelete(CivetServer* /*server*/, mg_connection* conn) override { return MethodNotAllowed(conn); }
  bool handlePatch(CivetServer* /*server*/, mg_connection* conn) override { return MethodNotAllowed(conn); }
  bool handleOptions(CivetServer* /*server*/, mg_connection* conn) override { return MethodNotAllowed(conn); }

 private:
  void Write(mg_connection* conn, const HttpResponse& r, bool with_body) const {
    mg_response_header_start(conn, r.status);
    mg_response_header_add(conn, "Content-Type", r.content_type.c_str(), -1);
    const std::string length = std::to_string(r.body.size());
    mg_response_header_add(conn, "Content-Length", length.c_str(), -1);
    for (const auto& [name, value] : r.headers) mg_response_header_add(conn, name.c_str(), value.c_str(), -1);
    for (const auto& [name, value] : security_.headers) {
      mg_response_header_add(conn, name.c_str(), value.c_str(), -1);
    }
    mg_response_header_send(conn);
    if (with_body && !r.body.empty()) mg_write(conn, r.body.data(), r.body.size());
  }

  // True when the request may proceed; otherwise a 401 has been written.
  bool Authorize(mg_connection* conn, bool with_body) const {
    if (!security_.basic_auth) return true;
    const char* header = mg_get_header(conn, "Authorization");
    std::string user;
    const auto outcome = security_.basic_auth->Check(header != nullptr ? header : "", &user);
    if (outcome == BasicAuthenticator::Outcome::kAllowed) return true;
    if (outcome == BasicAuthenticator::Outcome::kDenied) {
      const mg_request_info* info = mg_get_request_info(conn);
      spdlog::debug("basic auth failed for user \"{}\" from {}", user,
                    info != nullptr ? info->remote_addr : "?");  // the user name only: never the password
    }
    HttpResponse r;
    r.status = 401;
    r.body = "Unauthorized\n";
    r.headers.emplace_back("WWW-Authenticate", "Basic realm=\"zookeeper_exporter\"");
    Write(conn, r, with_body);
    return false;
  }

  bool MethodNotAllowed(mg_connection* conn) const {
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
  const HttpSecurity security_;                      // immutable
};

Result<std::unique_ptr<HttpServer>> HttpServer::Start(const std::string& listen_address,
                                                      std::map<std::string, HttpHandler> routes,
                                                      int worker_threads) {
  return Start(listen_address, std::move(routes), HttpSecurity{}, worker_threads);
}

Result<std::unique_ptr<HttpServer>> HttpServer::Start(const std::string& listen_address,
                                                      std::map<std::string, HttpHandler> routes,
                                                      HttpSecurity security, int worker_threads) {
  Result<std::string> ports = ToCivetListeningPort(listen_address);
  if (!ports.ok()) return ports.status();
  std::unique_ptr<HttpServer> server(new HttpServer());
  CivetCallbacks callbacks;
  callbacks.log_message = LogCivetMessage;
  std::string listening_ports = *ports;
  if (security.tls) {
    if (Status s = LoadCivetWebOpenSslShims(); !s.ok()) return s;
    server->tls_ = security.tls;
    callbacks.init_ssl = InitSsl;
    listening_ports += 's';  // CivetWeb: a trailing 's' makes the port HTTPS
  }
  server->dispatcher_ = std::make_unique<Dispatcher>(std::move(routes), std::move(security));
  const std::vector<std::string> options = {
      "listening_ports",       listening_ports, "num_threads",       std::to_string(worker_threads),
      "request_timeout_ms",    "30000",         "enable_keep_alive", "yes",
      "keep_alive_timeout_ms", "30000",
  };
  try {
    const void* user_context = server->tls_ ? &*server->tls_ : nullptr;
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

HttpServer::~HttpServer() {
  Stop();
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
