#include "exporter/tls_server.h"

#include <array>
#include <filesystem>
#include <mutex>
#include <system_error>
#include <vector>

#include <dlfcn.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <unistd.h>

#include "base/quote.h"

namespace zkx::exporter {
namespace {

// OpenSSL's error queue as text (and cleared).
std::string OpenSslErrors() {
  std::string out;
  while (const unsigned long code = ERR_get_error()) {
    std::array<char, 256> buf{};
    ERR_error_string_n(code, buf.data(), buf.size());
    if (!out.empty()) out += "; ";
    out += buf.data();
  }
  return out.empty() ? "unknown OpenSSL error" : out;
}

std::string ExecutableDir() {
  std::error_code ec;
  const std::filesystem::path exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  return ec ? std::string() : exe.parent_path().string();
}

Status LoadShim(const char* file_name, const char* soname) {
  std::vector<std::string> dirs;
  if (std::string exe_dir = ExecutableDir(); !exe_dir.empty()) {
    dirs.push_back(exe_dir);                                                         // the build tree
    dirs.push_back(exe_dir + "/../" ZKX_SHIM_INSTALL_LIBDIR "/zookeeper_exporter");  // a relocated install
  }
  dirs.emplace_back(ZKX_SHIM_INSTALL_DIR);
  dirs.emplace_back(ZKX_SHIM_BUILD_DIR);
  std::string tried;
  for (const std::string& dir : dirs) {
    const std::string path = dir + "/" + file_name;
    if (access(path.c_str(), R_OK) != 0) {
      tried += (tried.empty() ? "" : ", ") + path;
      continue;
    }
    // Never closed: CivetWeb holds its own handles to the same object for the life of the process.
    if (dlopen(path.c_str(), RTLD_NOW | RTLD_GLOBAL) == nullptr) {
      const char* why = dlerror();  // NOLINT(concurrency-mt-unsafe): glibc keeps its state per thread
      return Status::Unavailable("TLS: cannot load " + Quote(path) + ": " + (why != nullptr ? why : "?"));
    }
    // What CivetWeb will ask for must now resolve to the loaded shim.
    void* again = dlopen(soname, RTLD_NOW | RTLD_NOLOAD);
    if (again == nullptr) {
      return Status::Internal("TLS: " + Quote(path) + " is loaded but does not answer to " + soname);
    }
    dlclose(again);
    return Status::Ok();
  }
  return Status::Unavailable(std::string("TLS: cannot find ") + file_name +
                             " (CivetWeb's OpenSSL 3 shim; tried " + tried + ")");
}

// Go's RequestClientCert / RequireAnyClientCert: a certificate is asked for (or required) but not verified.
int AcceptAnyCertificate(int /*preverify_ok*/, X509_STORE_CTX* /*ctx*/) {
  return 1;
}

int VersionConstant(TlsVersion v) {
  return v == TlsVersion::kTls13 ? TLS1_3_VERSION : TLS1_2_VERSION;
}

// Encrypted keys are refused instead of prompting on a terminal.
int NoPassphrase(char* /*buf*/, int /*size*/, int /*rwflag*/, void* /*userdata*/) {
  return 0;
}

}  // namespace

Status LoadCivetWebOpenSslShims() {
  static std::once_flag once;
  static Status outcome;
  std::call_once(once, [] {
    outcome = LoadShim(ZKX_CRYPTO_SHIM_NAME, "libcrypto.so");
    if (outcome.ok()) outcome = LoadShim(ZKX_SSL_SHIM_NAME, "libssl.so");
    if (outcome.ok()) {
      // The function whose absence crashed CivetWeb must now be found where CivetWeb looks for it.
      void* ssl = dlopen("libssl.so", RTLD_NOW | RTLD_NOLOAD);
      const bool found = ssl != nullptr && dlsym(ssl, "SSL_get_peer_certificate") != nullptr;
      if (ssl != nullptr) dlclose(ssl);
      if (!found) {
        outcome = Status::Internal("TLS: the libssl.so shim does not provide SSL_get_peer_certificate");
      }
    }
  });
  return outcome;
}

Status ConfigureSslContext(void* ssl_ctx, const TlsServerConfig& config) {
  auto* ctx = static_cast<SSL_CTX*>(ssl_ctx);
  ERR_clear_error();
  SSL_CTX_set_default_passwd_cb(ctx, NoPassphrase);
  if (SSL_CTX_use_certificate_chain_file(ctx, config.cert_file.c_str()) != 1) {
    return Status::InvalidArgument("TLS: cert_file " + Quote(config.cert_file) + ": " + OpenSslErrors());
  }
  if (SSL_CTX_use_PrivateKey_file(ctx, config.key_file.c_str(), SSL_FILETYPE_PEM) != 1) {
    return Status::InvalidArgument("TLS: key_file " + Quote(config.key_file) + ": " + OpenSslErrors());
  }
  if (SSL_CTX_check_private_key(ctx) != 1) {
    return Status::InvalidArgument("TLS: key_file " + Quote(config.key_file) + " does not match cert_file " +
                                   Quote(config.cert_file));
  }
  if (SSL_CTX_set_min_proto_version(ctx, VersionConstant(config.min_version)) != 1 ||
      SSL_CTX_set_max_proto_version(ctx, config.max_version ? VersionConstant(*config.max_version) : 0) !=
          1) {
    return Status::Internal("TLS: cannot set the protocol versions: " + OpenSslErrors());
  }
  SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE);
  // Needed for session resumption when client certificates are asked for; harmless otherwise.
  static constexpr unsigned char kSessionContext[] = "zookeeper_exporter";
  SSL_CTX_set_session_id_context(ctx, kSessionContext, sizeof kSessionContext - 1);

  if (!config.client_ca_file.empty()) {
    if (SSL_CTX_load_verify_locations(ctx, config.client_ca_file.c_str(), nullptr) != 1) {
      return Status::InvalidArgument("TLS: client_ca_file " + Quote(config.client_ca_file) + ": " +
                                     OpenSslErrors());
    }
    STACK_OF(X509_NAME)* names = SSL_load_client_CA_file(config.client_ca_file.c_str());
    if (names == nullptr) {
      return Status::InvalidArgument("TLS: client_ca_file " + Quote(config.client_ca_file) +
                                     ": no certificate found: " + OpenSslErrors());
    }
    SSL_CTX_set_client_CA_list(ctx, names);  // takes ownership
  }
  switch (config.client_auth_type) {
    case ClientAuthType::kNoClientCert: SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, nullptr); break;
    case ClientAuthType::kRequestClientCert:
      SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, AcceptAnyCertificate);
      break;
    case ClientAuthType::kRequireAnyClientCert:
      SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, AcceptAnyCertificate);
      break;
    case ClientAuthType::kVerifyClientCertIfGiven: SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, nullptr); break;
    case ClientAuthType::kRequireAndVerifyClientCert:
      SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, nullptr);
      break;
  }
  SSL_CTX_set_verify_depth(ctx, 9);
  return Status::Ok();
}

Status CheckTlsServerConfig(const TlsServerConfig& config) {
  SSL_CTX* ctx = SSL_CTX_new(TLS_server_method());
  if (ctx == nullptr) return Status::Internal("TLS: SSL_CTX_new failed: " + OpenSslErrors());
  Status s = ConfigureSslContext(ctx, config);
  SSL_CTX_free(ctx);
  return s;
}

}  // namespace zkx::exporter
