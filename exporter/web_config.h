#pragma once
// The --web.config.file: Prometheus exporter-toolkit's web configuration format, so users reuse what they
// know.
//
//   tls_server_config:            # absent or empty: plain HTTP
//     cert_file: server.crt       # PEM certificate (chain); relative paths resolve against this
//                                 # file's directory
//     key_file: server.key        # PEM private key, unencrypted
//     client_auth_type: RequireAndVerifyClientCert
//                                 # default NoClientCert (RequireAndVerifyClientCert when
//                                 # client_ca_file is set, as exporter-toolkit does)
//     client_ca_file: ca.crt      # CAs that sign client certificates
//     min_version: TLS12          # TLS12 (default) | TLS13
//     max_version: TLS13          # TLS12 | TLS13 (default: the highest OpenSSL supports)
//   http_server_config:
//     http2: true                 # accepted and ignored (CivetWeb serves HTTP/1.1)
//     headers:                    # added to every response; the names exporter-toolkit allows
//       X-Frame-Options: deny
//   basic_auth_users:             # user -> bcrypt hash ($2a$, $2b$ or $2y$),
//                                 # e.g. from `htpasswd -nBC 10 user`
//     prometheus: $2y$10$...
//
// Errors are "<file>:<line>: <problem>" and never quote a hash. Unknown keys are errors; exporter-toolkit
// keys this exporter does not implement (cipher_suites, curve_preferences, client_allowed_sans, inline
// cert/key...) are errors that say so. The file holds no plaintext secret: passwords are bcrypt hashes.
// Thread-safety: pure functions; the result is a plain value.

#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "base/status.h"

namespace zkx::exporter {

enum class ClientAuthType {
  kNoClientCert,                // no certificate asked for
  kRequestClientCert,           // asked for, not required, not verified
  kRequireAnyClientCert,        // required, not verified
  kVerifyClientCertIfGiven,     // not required; verified against client_ca_file when sent
  kRequireAndVerifyClientCert,  // required and verified against client_ca_file
};

enum class TlsVersion { kTls12, kTls13 };

struct TlsServerConfig {
  std::string cert_file;       // absolute
  std::string key_file;        // absolute
  std::string client_ca_file;  // absolute, "" = none
  ClientAuthType client_auth_type = ClientAuthType::kNoClientCert;
  TlsVersion min_version = TlsVersion::kTls12;
  std::optional<TlsVersion> max_version;
};

struct WebConfig {
  std::optional<TlsServerConfig> tls;                        // nullopt: plain HTTP
  std::map<std::string, std::string> basic_auth_users;       // user -> bcrypt hash; empty: no authentication
  std::vector<std::pair<std::string, std::string>> headers;  // http_server_config.headers
};

// Parses the YAML `text`. `source` names it in errors; relative file paths resolve against `base_dir`.
// Referenced files (cert, key, client CA) must be readable; their contents are checked when the server
// starts.
Result<WebConfig> ParseWebConfigYaml(const std::string& text, const std::string& source,
                                     const std::string& base_dir);
// Reads and parses the file at `path`.
Result<WebConfig> LoadWebConfigFile(const std::string& path);

std::string_view ClientAuthTypeName(ClientAuthType type);

}  // namespace zkx::exporter
