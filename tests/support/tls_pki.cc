#include "tests/support/tls_pki.h"

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <regex>

#include "tests/support/http_get.h"

namespace zkx::test {
namespace {

constexpr const char* kStorePassword = "changeit";  // a test keystore's password, not a secret

// Runs `command` in `dir` (sh -c); its output goes to <dir>/pki.log. Error: the command and the log's tail.
Status Run(const std::string& dir, const std::string& command) {
  const std::string full = "cd '" + dir + "' && (" + command + ") >>pki.log 2>&1";
  if (std::system(full.c_str()) == 0) return Status::Ok();
  std::ifstream log(dir + "/pki.log");
  std::string text((std::istreambuf_iterator<char>(log)), std::istreambuf_iterator<char>());
  if (text.size() > 2000) text = text.substr(text.size() - 2000);
  return Status::Internal("pki command failed: " + command + "\n" + text);
}

Status Write(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::trunc);
  out << text;
  return out ? Status::Ok() : Status::Internal("write " + path);
}

// A CA-signed leaf `name` with `san` (and both TLS key usages), valid 30 days from now.
Status Leaf(const std::string& dir, const std::string& name, const std::string& ca, const std::string& san) {
  if (Status s = Write(dir + "/" + name + ".ext",
                       "subjectAltName=" + san + "\nextendedKeyUsage=serverAuth,clientAuth\n");
      !s.ok()) {
    return s;
  }
  if (Status s = Run(dir, "openssl req -newkey rsa:2048 -nodes -keyout " + name + ".key -out " + name +
                              ".csr -subj /CN=" + name);
      !s.ok()) {
    return s;
  }
  return Run(dir, "openssl x509 -req -in " + name + ".csr -CA " + ca + ".pem -CAkey " + ca +
                      ".key -CAcreateserial -days 30 -sha256 -out " + name + ".pem -extfile " + name +
                      ".ext");
}

Status KeyStore(const std::string& dir, const std::string& name) {
  return Run(dir, "openssl pkcs12 -export -in " + name + ".pem -inkey " + name +
                      ".key -certfile ca.pem -name " + name + " -out " + name +
                      ".p12 -passout pass:" + kStorePassword);
}

}  // namespace

Result<TlsPki> MakeTlsPki(const std::string& dir) {
  TlsPki pki{dir};
  for (const char* ca : {"ca", "other_ca"}) {
    if (Status s =
            Run(dir, std::string("openssl req -x509 -newkey rsa:2048 -nodes -days 30 -sha256 -keyout ") + ca +
                         ".key -out " + ca + ".pem -subj /CN=zkx-test-" + ca);
        !s.ok()) {
      return s;
    }
  }
  const std::string loopback = "IP:127.0.0.1,DNS:localhost";
  if (Status s = Leaf(dir, "server", "ca", loopback); !s.ok()) return s;
  if (Status s = Leaf(dir, "client", "ca", loopback); !s.ok()) return s;
  if (Status s = Leaf(dir, "other_client", "other_ca", loopback); !s.ok()) return s;
  if (Status s = Leaf(dir, "wrong_name", "ca", "DNS:zk.other.example"); !s.ok()) return s;
  // An expired certificate: `openssl ca` is the one OpenSSL 3.0 tool that takes explicit dates.
  if (Status s = Write(dir + "/ca.cnf",
                       "[ca]\ndefault_ca=d\n[d]\ndatabase=index.txt\nnew_certs_dir=.\nserial=ca.serial\n"
                       "default_md=sha256\npolicy=p\nunique_subject=no\n[p]\ncommonName=supplied\n");
      !s.ok()) {
    return s;
  }
  if (Status s = Write(dir + "/expired.ext", "subjectAltName=" + loopback + "\n"); !s.ok()) return s;
  if (Status s =
          Run(dir,
              "touch index.txt && echo 1000 > ca.serial && "
              "openssl req -newkey rsa:2048 -nodes -keyout expired.key -out expired.csr -subj /CN=expired && "
              "openssl ca -batch -notext -config ca.cnf -cert ca.pem -keyfile ca.key -in expired.csr "
              "-out expired.pem -startdate 20200101000000Z -enddate 20200102000000Z -extfile expired.ext");
      !s.ok()) {
    return s;
  }
  for (const char* name : {"server", "expired", "wrong_name"}) {
    if (Status s = KeyStore(dir, name); !s.ok()) return s;
  }
  if (Status s =
          Run(dir, std::string("keytool -importcert -noprompt -alias ca -file ca.pem -keystore trust.p12 "
                               "-storetype PKCS12 -storepass ") +
                       kStorePassword);
      !s.ok()) {
    return s;
  }
  return pki;
}

std::vector<std::string> TlsServerConfig(const TlsPki& pki, const std::string& keystore_name) {
  return {"ssl.keyStore.location=" + pki.KeyStore(keystore_name),
          std::string("ssl.keyStore.password=") + kStorePassword,
          "ssl.keyStore.type=PKCS12",
          "ssl.trustStore.location=" + pki.TrustStore(),
          std::string("ssl.trustStore.password=") + kStorePassword,
          "ssl.trustStore.type=PKCS12",
          "ssl.clientAuth=need"};
}

Result<std::string> AdminServerMode(uint16_t admin_port) {
  if (admin_port == 0) return Status::FailedPrecondition("no AdminServer port");
  Result<HttpResponse> r =
      HttpGet("127.0.0.1", admin_port, "/commands/srvr", {}, std::chrono::milliseconds(5000));
  if (!r.ok()) return r.status();
  if (r->status != 200) return Status::Unavailable("AdminServer srvr: HTTP " + std::to_string(r->status));
  static const std::regex kState("\"server_state\"\\s*:\\s*\"([a-z]+)\"");
  std::smatch m;
  if (!std::regex_search(r->body, m, kState)) return Status::Unavailable("AdminServer srvr: no server_state");
  return m[1].str();
}

}  // namespace zkx::test
