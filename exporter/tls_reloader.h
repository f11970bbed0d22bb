#pragma once
// CertificateReloader: the HTTPS certificate and key, re-read when their files change, without a restart
// (issue 16, item 7; what exporter-toolkit does by loading the pair at every handshake). cert-manager and
// similar tools replace the files every few weeks.
//
// Install() puts an OpenSSL certificate callback on CivetWeb's SSL_CTX. On each TLS handshake the callback
// checks, at most once per `check_interval`, whether either file changed (inode, size, modification time);
// if so it loads and checks the new pair (certificate chain, key, key matches certificate). A pair that fails
// keeps the previous one in use and logs why, once per change of the files. The handshake then uses the
// current pair (SSL_use_cert_and_key on the connection). SetFiles() switches to other files (SIGHUP with a
// new web config); it loads them first and keeps the old pair on error.
// Thread-safety: every method may be called from any thread (CivetWeb workers call the callback
// concurrently); the pair is an immutable snapshot swapped under a mutex. Lifetime: must outlive the SSL_CTX
// it is installed on (the HttpServer owns both and stops CivetWeb first).

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "base/mutex.h"
#include "base/status.h"
#include "base/thread_annotations.h"

namespace zkx::exporter {

class CertificateReloader {
 public:
  static Result<std::unique_ptr<CertificateReloader>> Create(
      const std::string& cert_file, const std::string& key_file,
      std::chrono::milliseconds check_interval = std::chrono::milliseconds(1000));
  ~CertificateReloader();
  CertificateReloader(const CertificateReloader&) = delete;
  CertificateReloader& operator=(const CertificateReloader&) = delete;

  // Sets `ssl_ctx` (an SSL_CTX*) to ask this reloader for the certificate at every handshake.
  void Install(void* ssl_ctx);
  // Loads the pair from other files; on error the current pair and files stay.
  Status SetFiles(const std::string& cert_file, const std::string& key_file);
  // Re-reads the files if they changed since the last look (at most once per check_interval unless `force`).
  void MaybeReload(bool force = false);
  // Sets the current pair on `ssl` (an SSL*); false on failure. Called by the certificate callback.
  bool UseOn(void* ssl) const;
  // Pairs loaded after the first one.
  [[nodiscard]] uint64_t Reloads() const;

  struct Pair;
  struct FileStamp {
    uint64_t inode = 0;
    int64_t size = -1;
    int64_t mtime_ns = -1;
    bool operator==(const FileStamp&) const = default;
  };

 private:
  CertificateReloader() = default;
  std::shared_ptr<const Pair> Current() const;

  std::chrono::milliseconds check_interval_{1000};
  mutable Mutex mu_;
  std::string cert_file_ GUARDED_BY(mu_);
  std::string key_file_ GUARDED_BY(mu_);
  FileStamp cert_stamp_ GUARDED_BY(mu_);  // of the files last tried
  FileStamp key_stamp_ GUARDED_BY(mu_);   // of the files last tried
  std::chrono::steady_clock::time_point next_check_ GUARDED_BY(mu_) = {};
  std::shared_ptr<const Pair> pair_ GUARDED_BY(mu_);
  uint64_t reloads_ GUARDED_BY(mu_) = 0;
};

}  // namespace zkx::exporter
