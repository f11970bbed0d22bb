#include "exporter/tls_reloader.h"

#include <array>
#include <cstdio>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>

namespace zkx::exporter {

struct CertificateReloader::Pair {
  X509* cert = nullptr;
  EVP_PKEY* key = nullptr;
  STACK_OF(X509) * chain = nullptr;  // intermediates after the leaf; may be null
  Pair() = default;
  Pair(const Pair&) = delete;
  Pair& operator=(const Pair&) = delete;
  ~Pair() {
    X509_free(cert);
    EVP_PKEY_free(key);
    if (chain != nullptr) sk_X509_pop_free(chain, X509_free);
  }
};

namespace {

std::string Quote(const std::string& s) {
  return "\"" + s + "\"";
}

std::string OpenSslErrors() {
  std::string out;
  while (const unsigned long code = ERR_get_error()) {
    std::array<char, 256> buf{};
    ERR_error_string_n(code, buf.data(), buf.size());
    if (!out.empty()) out += "; ";
    out += buf.data();
  }
  return out.empty() ? "no PEM data found" : out;
}

int NoPassphrase(char* /*buf*/, int /*size*/, int /*rwflag*/, void* /*userdata*/) {
  return 0;
}

CertificateReloader::FileStamp Stamp(const std::string& path) {
  struct stat st {};
  if (stat(path.c_str(), &st) != 0) return {};
  return {static_cast<uint64_t>(st.st_ino), static_cast<int64_t>(st.st_size),
          static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec};
}

struct FileCloser {
  void operator()(std::FILE* f) const { std::fclose(f); }
};

Result<std::shared_ptr<const CertificateReloader::Pair>> LoadPair(const std::string& cert_file,
                                                                  const std::string& key_file) {
  ERR_clear_error();
  auto pair = std::make_shared<CertificateReloader::Pair>();
  std::unique_ptr<std::FILE, FileCloser> cf(std::fopen(cert_file.c_str(), "re"));
  if (!cf) return Status::InvalidArgument("TLS: cert_file " + Quote(cert_file) + ": cannot open");
  pair->cert = PEM_read_X509_AUX(cf.get(), nullptr, NoPassphrase, nullptr);
  if (pair->cert == nullptr) {
    return Status::InvalidArgument("TLS: cert_file " + Quote(cert_file) + ": " + OpenSslErrors());
  }
  while (X509* extra = PEM_read_X509(cf.get(), nullptr, NoPassphrase, nullptr)) {
    if (pair->chain == nullptr) pair->chain = sk_X509_new_null();
    if (pair->chain == nullptr || sk_X509_push(pair->chain, extra) == 0) {
      X509_free(extra);
      return Status::Internal("TLS: out of memory reading the certificate chain");
    }
  }
  ERR_clear_error();  // the loop ends on "no start line"
  std::unique_ptr<std::FILE, FileCloser> kf(std::fopen(key_file.c_str(), "re"));
  if (!kf) return Status::InvalidArgument("TLS: key_file " + Quote(key_file) + ": cannot open");
  pair->key = PEM_read_PrivateKey(kf.get(), nullptr, NoPassphrase, nullptr);
  if (pair->key == nullptr) {
    return Status::InvalidArgument("TLS: key_file " + Quote(key_file) + ": " + OpenSslErrors());
  }
  if (X509_check_private_key(pair->cert, pair->key) != 1) {
    ERR_clear_error();
    return Status::InvalidArgument("TLS: key_file " + Quote(key_file) + " does not match cert_file " +
                                   Quote(cert_file));
  }
  return std::shared_ptr<const CertificateReloader::Pair>(std::move(pair));
}

// OpenSSL's certificate callback: runs on a CivetWeb worker during the handshake. Never throws.
int CertCallback(SSL* ssl, void* arg) {
  try {
    auto* self = static_cast<CertificateReloader*>(arg);
    self->MaybeReload();
    return self->UseOn(ssl) ? 1 : 0;
  } catch (...) {
    return 0;
  }
}

}  // namespace

Result<std::unique_ptr<CertificateReloader>> CertificateReloader::Create(
    const std::string& cert_file, const std::string& key_file, std::chrono::milliseconds check_interval) {
  const FileStamp cs = Stamp(cert_file);
  const FileStamp ks = Stamp(key_file);
  Result<std::shared_ptr<const Pair>> pair = LoadPair(cert_file, key_file);
  if (!pair.ok()) return pair.status();
  std::unique_ptr<CertificateReloader> r(new CertificateReloader());
  r->check_interval_ = check_interval;
  {
    // Not shared yet, but every access to a guarded member is checked; the lock costs nothing here.
    const MutexLock lock(r->mu_);
    r->cert_stamp_ = cs;
    r->key_stamp_ = ks;
    r->pair_ = std::move(pair).value();
    r->cert_file_ = cert_file;
    r->key_file_ = key_file;
    r->next_check_ = std::chrono::steady_clock::now() + check_interval;
  }
  return r;
}

CertificateReloader::~CertificateReloader() = default;

void CertificateReloader::Install(void* ssl_ctx) {
  SSL_CTX_set_cert_cb(static_cast<SSL_CTX*>(ssl_ctx), CertCallback, this);
}

bool CertificateReloader::UseOn(void* ssl) const {
  const std::shared_ptr<const Pair> pair = Current();
  if (!pair) return false;
  // Takes its own references to the certificate, key and chain.
  return SSL_use_cert_and_key(static_cast<SSL*>(ssl), pair->cert, pair->key, pair->chain, 1) == 1;
}

std::shared_ptr<const CertificateReloader::Pair> CertificateReloader::Current() const {
  const MutexLock lock(mu_);
  return pair_;
}

Status CertificateReloader::SetFiles(const std::string& cert_file, const std::string& key_file) {
  const FileStamp cs = Stamp(cert_file);
  const FileStamp ks = Stamp(key_file);
  Result<std::shared_ptr<const Pair>> pair = LoadPair(cert_file, key_file);
  if (!pair.ok()) return pair.status();
  const MutexLock lock(mu_);
  cert_file_ = cert_file;
  key_file_ = key_file;
  cert_stamp_ = cs;
  key_stamp_ = ks;
  pair_ = std::move(pair).value();
  ++reloads_;
  return Status::Ok();
}

void CertificateReloader::MaybeReload(bool force) {
  std::string cert_file;
  std::string key_file;
  FileStamp cs;
  FileStamp ks;
  {
    const MutexLock lock(mu_);
    const auto now = std::chrono::steady_clock::now();
    if (!force && now < next_check_) return;
    next_check_ = now + check_interval_;
    cert_file = cert_file_;
    key_file = key_file_;
    cs = Stamp(cert_file);
    ks = Stamp(key_file);
    if (cs == cert_stamp_ && ks == key_stamp_) return;
    // Tried once per change: a bad pair is not re-read (nor logged again) until the files change again.
    cert_stamp_ = cs;
    key_stamp_ = ks;
  }
  Result<std::shared_ptr<const Pair>> pair = LoadPair(cert_file, key_file);
  if (!pair.ok()) {
    spdlog::error(
        "TLS: the certificate files changed but cannot be used; keeping the previous certificate: {}",
        pair.status().message());
    return;
  }
  {
    const MutexLock lock(mu_);
    if (cert_file != cert_file_ || key_file != key_file_) return;  // SetFiles won meanwhile
    pair_ = std::move(pair).value();
    ++reloads_;
  }
  spdlog::info("TLS: reloaded the certificate from {} and {}", Quote(cert_file), Quote(key_file));
}

uint64_t CertificateReloader::Reloads() const {
  const MutexLock lock(mu_);
  return reloads_;
}

}  // namespace zkx::exporter
