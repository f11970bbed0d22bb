/* libzkx_civetweb_ssl_shim.so, soname "libssl.so": what CivetWeb 1.15 expects to find under that name.
 *
 * Root cause (confirmed with nm and gdb against Debian 12's libcivetweb.so.1.15.0 and libssl.so.3): CivetWeb
 * is built against the OpenSSL 1.1 API and loads OpenSSL at run time with dlopen("libssl.so") +
 * dlsym(name). Every name it asks for is exported by libssl.so.3 / libcrypto.so.3 except
 * SSL_get_peer_certificate: OpenSSL 3 turned it into a macro for SSL_get1_peer_certificate and exports only
 * the new name. CivetWeb treats the function as optional, keeps a NULL pointer, completes the TLS handshake
 * and then calls it for every new TLS connection (to read the client certificate): SIGSEGV on the first
 * request; gdb shows the worker jumping to 0 through the table slot named "SSL_get_peer_certificate".
 *
 * This library links libssl.so.3 and libcrypto.so.3 (so dlsym() on its handle finds every real function in
 * its dependencies) and adds the missing one with the old name. SSL_get_peer_certificate had get1
 * semantics in OpenSSL 1.1 (the caller frees the certificate), exactly what SSL_get1_peer_certificate does,
 * and CivetWeb calls X509_free on the result. exporter/tls_server.cc loads it by absolute path before the
 * CivetServer starts, so CivetWeb's dlopen("libssl.so") matches the soname of the loaded object. */
#include <openssl/ssl.h>

#undef SSL_get_peer_certificate
X509* SSL_get_peer_certificate(const SSL* ssl);
X509* SSL_get_peer_certificate(const SSL* ssl) {
  return SSL_get1_peer_certificate(ssl);
}
