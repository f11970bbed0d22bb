/* libzkx_civetweb_crypto_shim.so, soname "libcrypto.so": CivetWeb 1.15 also calls dlopen("libcrypto.so"), an
 * unversioned name that only the libssl-dev package provides. This library carries that soname and depends on
 * libcrypto.so.3, so dlsym() on its handle finds every libcrypto function CivetWeb asks for (all of them are
 * still exported by OpenSSL 3). See civetweb_ssl_shim.c and exporter/tls_server.cc. */
#include <openssl/crypto.h>

const char* zkx_civetweb_crypto_shim_openssl_version(void);
const char* zkx_civetweb_crypto_shim_openssl_version(void) {
  return OpenSSL_version(OPENSSL_VERSION);
}
