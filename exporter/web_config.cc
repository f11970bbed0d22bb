#include "exporter/web_config.h"

#include <cerrno>
#include <exception>
#include <filesystem>
#include <fstream>
#include <set>
#include <system_error>

#include <yaml-cpp/yaml.h>

#include "base/quote.h"
#include "base/read_file.h"
#include "exporter/basic_auth.h"

namespace zkx::exporter {
namespace {

constexpr std::size_t kMaxWebConfigBytes = std::size_t{1024} * 1024;

// exporter-toolkit's http_server_config.headers: only these names, as it allows them.
const std::set<std::string, std::less<>>& AllowedHeaders() {
  static const std::set<std::string, std::less<>> kAllowed = {
      "Content-Security-Policy", "Strict-Transport-Security", "X-Content-Type-Options", "X-Frame-Options",
      "X-XSS-Protection"};
  return kAllowed;
}

class WebConfigParser {
 public:
  WebConfigParser(const std::string& source, const std::string& base_dir)
      : source_(source), base_dir_(base_dir) {}

  Result<WebConfig> Parse(const YAML::Node& doc) {
    WebConfig config;
    if (!doc || doc.IsNull()) return config;
    if (!doc.IsMap()) return Error(doc.Mark(), "the top level must be a map");
    Status s = ForEachKey(doc, "the top level", [&](const std::string& key, const YAML::Node& value) {
      if (key == "tls_server_config") return ParseTls(value, &config);
      if (key == "basic_auth_users") return ParseUsers(value, &config);
      if (key == "http_server_config") return ParseHttpServer(value, &config);
      return UnknownKey(key, "the top level", "tls_server_config, basic_auth_users, http_server_config");
    });
    if (!s.ok()) return s;
    return config;
  }

 private:
  Status Error(const YAML::Mark& mark, std::string_view problem) const {
    std::string m = source_;
    if (!mark.is_null()) {
      m += ':';
      m += std::to_string(mark.line + 1);
    }
    m += ": ";
    m += problem;
    return Status::InvalidArgument(std::move(m));
  }

  Status UnknownKey(const std::string& key, std::string_view where, std::string_view allowed) const {
    return Error(key_mark_, "unknown key " + Quote(key) + " in " + std::string(where) + " (want " +
                                std::string(allowed) + ")");
  }

  Status Unsupported(const std::string& key, std::string_view where) const {
    return Error(key_mark_, std::string(where) + ": " + Quote(key) +
                                " (exporter-toolkit) is not supported by zookeeper_exporter");
  }

  template <typename Fn>
  Status ForEachKey(const YAML::Node& map, std::string_view where, Fn&& fn) {
    std::set<std::string> seen;
    for (const auto& entry : map) {
      const YAML::Node& key = entry.first;
      key_mark_ = key.Mark();
      if (!key.IsScalar()) {
        return Error(key.Mark(), "keys in " + std::string(where) + " must be plain strings");
      }
      const std::string& name = key.Scalar();
      if (!seen.insert(name).second) {
        return Error(key.Mark(), "duplicate key " + Quote(name) + " in " + std::string(where));
      }
      if (Status s = fn(name, entry.second); !s.ok()) return s;
    }
    return Status::Ok();
  }

  Result<std::string> Scalar(std::string_view key, const YAML::Node& value) const {
    if (!value.IsScalar()) {
      return Error(value.IsNull() ? key_mark_ : value.Mark(), std::string(key) + ": want a string");
    }
    return value.Scalar();
  }

  // Optional map: null is an empty map.
  Status MapOrNull(std::string_view key, const YAML::Node& value) const {
    if (value.IsNull() || value.IsMap()) return Status::Ok();
    return Error(value.Mark(), std::string(key) + ": want a map");
  }

  // A readable file; relative paths resolve against the config file's directory.
  Result<std::string> File(std::string_view key, const YAML::Node& value) const {
    Result<std::string> text = Scalar(key, value);
    if (!text.ok()) return text.status();
    if (text->empty()) return std::string();
    std::filesystem::path path(*text);
    if (path.is_relative()) path = std::filesystem::path(base_dir_) / path;
    path = path.lexically_normal();
    std::error_code ec;
    if (std::filesystem::is_directory(path, ec)) {
      return Error(value.Mark(), std::string(key) + ": " + Quote(path.string()) + " is a directory");
    }
    std::ifstream in(path);
    if (!in) {
      const int err = errno;
      return Error(value.Mark(), std::string(key) + ": cannot read " + Quote(path.string()) + ": " +
                                     std::error_code(err, std::generic_category()).message());
    }
    return path.string();
  }

  Result<TlsVersion> Version(std::string_view key, const YAML::Node& value) const {
    Result<std::string> text = Scalar(key, value);
    if (!text.ok()) return text.status();
    if (*text == "TLS12") return TlsVersion::kTls12;
    if (*text == "TLS13") return TlsVersion::kTls13;
    if (*text == "TLS10" || *text == "TLS11") {
      return Error(value.Mark(), std::string(key) + ": " + *text + " is not supported (want TLS12 or TLS13)");
    }
    return Error(value.Mark(),
                 std::string(key) + ": unknown TLS version " + Quote(*text) + " (want TLS12 or TLS13)");
  }

  Status ParseTls(const YAML::Node& node, WebConfig* config) {
    if (Status s = MapOrNull("tls_server_config", node); !s.ok()) return s;
    if (node.IsNull()) return Status::Ok();
    TlsServerConfig tls;
    std::string auth_type;
    YAML::Mark auth_mark;
    Status s = ForEachKey(node, "tls_server_config", [&](const std::string& key, const YAML::Node& value) {
      if (key == "cert_file" || key == "key_file" || key == "client_ca_file") {
        Result<std::string> path = File(key, value);
        if (!path.ok()) return path.status();
        (key == "cert_file" ? tls.cert_file : key == "key_file" ? tls.key_file : tls.client_ca_file) = *path;
        return Status::Ok();
      }
      if (key == "client_auth_type") {
        Result<std::string> text = Scalar(key, value);
        if (!text.ok()) return text.status();
        auth_type = *text;
        auth_mark = value.Mark();
        return Status::Ok();
      }
      if (key == "min_version" || key == "max_version") {
        Result<TlsVersion> v = Version(key, value);
        if (!v.ok()) return v.status();
        if (key == "min_version") {
          tls.min_version = *v;
        } else {
          tls.max_version = *v;
        }
        return Status::Ok();
      }
      if (key == "cert" || key == "key" || key == "client_ca" || key == "cipher_suites" ||
          key == "curve_preferences" || key == "prefer_server_cipher_suites" ||
          key == "client_allowed_sans") {
        return Unsupported(key, "tls_server_config");
      }
      return UnknownKey(key, "tls_server_config",
                        "cert_file, key_file, client_auth_type, client_ca_file, min_version, max_version");
    });
    if (!s.ok()) return s;
    // exporter-toolkit: nothing set means no TLS.
    if (tls.cert_file.empty() && tls.key_file.empty() && tls.client_ca_file.empty() && auth_type.empty()) {
      return Status::Ok();
    }
    if (tls.cert_file.empty()) return Error(node.Mark(), "tls_server_config: cert_file is missing");
    if (tls.key_file.empty()) return Error(node.Mark(), "tls_server_config: key_file is missing");
    if (auth_type.empty()) {
      tls.client_auth_type = tls.client_ca_file.empty() ? ClientAuthType::kNoClientCert
                                                        : ClientAuthType::kRequireAndVerifyClientCert;
    } else if (auth_type == "NoClientCert") {
      tls.client_auth_type = ClientAuthType::kNoClientCert;
    } else if (auth_type == "RequestClientCert") {
      tls.client_auth_type = ClientAuthType::kRequestClientCert;
    } else if (auth_type == "RequireAnyClientCert" || auth_type == "RequireClientCert") {
      tls.client_auth_type = ClientAuthType::kRequireAnyClientCert;
    } else if (auth_type == "VerifyClientCertIfGiven") {
      tls.client_auth_type = ClientAuthType::kVerifyClientCertIfGiven;
    } else if (auth_type == "RequireAndVerifyClientCert") {
      tls.client_auth_type = ClientAuthType::kRequireAndVerifyClientCert;
    } else {
      return Error(auth_mark, "tls_server_config: client_auth_type: unknown value " + Quote(auth_type) +
                                  " (want NoClientCert, RequestClientCert, RequireAnyClientCert, "
                                  "VerifyClientCertIfGiven or RequireAndVerifyClientCert)");
    }
    const bool verifies = tls.client_auth_type == ClientAuthType::kVerifyClientCertIfGiven ||
                          tls.client_auth_type == ClientAuthType::kRequireAndVerifyClientCert;
    if (verifies && tls.client_ca_file.empty()) {
      return Error(auth_mark, "tls_server_config: client_auth_type " + auth_type + " needs client_ca_file");
    }
    if (!verifies && !tls.client_ca_file.empty()) {
      return Error(node.Mark(), "tls_server_config: client_ca_file is set but client_auth_type " +
                                    std::string(ClientAuthTypeName(tls.client_auth_type)) +
                                    " does not verify client certificates");
    }
    if (tls.max_version && *tls.max_version < tls.min_version) {
      return Error(node.Mark(), "tls_server_config: max_version is below min_version");
    }
    config->tls = std::move(tls);
    return Status::Ok();
  }

  Status ParseUsers(const YAML::Node& node, WebConfig* config) {
    if (Status s = MapOrNull("basic_auth_users", node); !s.ok()) return s;
    if (node.IsNull()) return Status::Ok();
    return ForEachKey(node, "basic_auth_users", [&](const std::string& user, const YAML::Node& value) {
      if (user.empty()) return Error(key_mark_, "basic_auth_users: empty user name");
      if (user.find(':') != std::string::npos) {
        return Error(key_mark_, "basic_auth_users: user name " + Quote(user) + " contains ':'");
      }
      for (char c : user) {
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
          return Error(key_mark_, "basic_auth_users: a user name contains a control character");
        }
      }
      // Never quote the value: it should be a hash, but a mistaken plaintext password must not reach a log.
      if (!value.IsScalar() || !IsBcryptHash(value.Scalar())) {
        return Error(value.IsNull() ? key_mark_ : value.Mark(),
                     "basic_auth_users: the password of user " + Quote(user) +
                         " is not a bcrypt hash ($2a$, $2b$ or $2y$, e.g. from `htpasswd -nBC 10 " + user +
                         "`)");
      }
      config->basic_auth_users.emplace(user, value.Scalar());
      return Status::Ok();
    });
  }

  Status ParseHttpServer(const YAML::Node& node, WebConfig* config) {
    if (Status s = MapOrNull("http_server_config", node); !s.ok()) return s;
    if (node.IsNull()) return Status::Ok();
    return ForEachKey(node, "http_server_config", [&](const std::string& key, const YAML::Node& value) {
      if (key == "http2") {
        if (!value.IsScalar() || (value.Scalar() != "true" && value.Scalar() != "false")) {
          return Error(value.IsNull() ? key_mark_ : value.Mark(),
                       "http_server_config: http2: want true or false");
        }
        return Status::Ok();  // accepted and ignored: CivetWeb serves HTTP/1.1
      }
      if (key == "headers") return ParseHeaders(value, config);
      return UnknownKey(key, "http_server_config", "http2, headers");
    });
  }

  Status ParseHeaders(const YAML::Node& node, WebConfig* config) {
    if (Status s = MapOrNull("http_server_config: headers", node); !s.ok()) return s;
    if (node.IsNull()) return Status::Ok();
    return ForEachKey(
        node, "http_server_config: headers", [&](const std::string& name, const YAML::Node& value) {
          if (AllowedHeaders().count(name) == 0) {
            return Error(key_mark_,
                         "http_server_config: headers: " + Quote(name) +
                             " is not allowed (want Content-Security-Policy, Strict-Transport-Security, "
                             "X-Content-Type-Options, X-Frame-Options or X-XSS-Protection)");
          }
          Result<std::string> text = Scalar(name, value);
          if (!text.ok()) return text.status();
          for (char c : *text) {
            if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
              return Error(value.Mark(),
                           "http_server_config: headers: " + name + ": control character in value");
            }
          }
          if (name == "X-Content-Type-Options" && *text != "nosniff") {
            return Error(value.Mark(), "http_server_config: headers: X-Content-Type-Options: want nosniff");
          }
          if (name == "X-Frame-Options" && *text != "deny" && *text != "sameorigin") {
            return Error(value.Mark(),
                         "http_server_config: headers: X-Frame-Options: want deny or sameorigin");
          }
          config->headers.emplace_back(name, *text);
          return Status::Ok();
        });
  }

  const std::string source_;
  const std::string base_dir_;
  YAML::Mark key_mark_ = YAML::Mark::null_mark();
};

}  // namespace

std::string_view ClientAuthTypeName(ClientAuthType type) {
  switch (type) {
    case ClientAuthType::kNoClientCert: return "NoClientCert";
    case ClientAuthType::kRequestClientCert: return "RequestClientCert";
    case ClientAuthType::kRequireAnyClientCert: return "RequireAnyClientCert";
    case ClientAuthType::kVerifyClientCertIfGiven: return "VerifyClientCertIfGiven";
    case ClientAuthType::kRequireAndVerifyClientCert: return "RequireAndVerifyClientCert";
  }
  return "?";
}

Result<WebConfig> ParseWebConfigYaml(const std::string& text, const std::string& source,
                                     const std::string& base_dir) {
  YAML::Node doc;
  try {
    doc = YAML::Load(text);
  } catch (const YAML::Exception& e) {
    std::string m = source;
    if (!e.mark.is_null()) m += ":" + std::to_string(e.mark.line + 1);
    return Status::InvalidArgument(m + ": YAML syntax error: " + e.msg);
  }
  try {
    return WebConfigParser(source, base_dir).Parse(doc);
  } catch (const YAML::Exception& e) {
    return Status::InvalidArgument(source + ": " + e.msg);
  }
}

Result<WebConfig> LoadWebConfigFile(const std::string& path) {
  Result<std::string> text = ReadBoundedFile(path, "web config file", kMaxWebConfigBytes);
  if (!text.ok()) return text.status();
  std::error_code ec;
  std::filesystem::path base = std::filesystem::absolute(path, ec).parent_path();
  return ParseWebConfigYaml(*text, path, base.string());
}

}  // namespace zkx::exporter
