#pragma once
// TLS for the HTTP server: OpenSSL 3 under Debian's CivetWeb 1.15.
//
// CivetWeb 1.15 loads OpenSSL at run time (dlopen("libssl.so"), dlopen("libcrypto.so"), dlsym by name). It
// was built against the OpenSSL 1.1 API and looks up SSL_get_peer_certificate, which OpenSSL 3's libssl.so.3
// no longer exports (only SSL_get1_peer_certificate; the old name is a macro). CivetWeb keeps the NULL
// pointer, completes the handshake, then calls it for every new TLS connection: SIGSEGV on the first HTTPS
// request (confirmed here: nm shows every other name CivetWeb looks up is exported by libssl.so.3 /
// libcrypto.so.3; in gdb, a civetweb-worker jumps to address 0 through the function-table slot whose name is
// "SSL_get_peer_certificate", right after the handshake).
// The unversioned names also exist only when libssl-dev is installed.
// Fix: two shim libraries built with the exporter (exporter/civetweb_{ssl,crypto}_shim.c) whose sonames are
// "libssl.so" and "libcrypto.so", which depend on libssl.so.3 / libcrypto.so.3 and add the missing function.
// LoadCivetWebOpenSslShims() dlopen()s them by absolute path with RTLD_GLOBAL before the server starts; the
// dynamic loader then answers CivetWeb's dlopen("libssl.so") with the loaded shim (soname match).
//
// We configure the SSL_CTX ourselves in CivetWeb's init_ssl callback (ConfigureSslContext): certificate
// chain, key, client CAs, verify mode per client_auth_type, protocol versions; CivetWeb's ssl_* options are
// unused. Thread-safety: every function may be called from any thread.

#include <string>

#include "base/status.h"
#include "exporter/web_config.h"

namespace zkx::exporter {

// Loads the shims once per process (later calls return the first outcome). Looks next to the executable, in
// <exe>/../<libdir>/zookeeper_exporter, in the configured install directory, then in the build directory.
Status LoadCivetWebOpenSslShims();

// Applies `config` to `ssl_ctx` (an SSL_CTX*). Errors name the file and OpenSSL's reason, never key material.
Status ConfigureSslContext(void* ssl_ctx, const TlsServerConfig& config);

// Loads `config` into a scratch SSL_CTX: reports bad certificates, keys and CA files before the server
// starts.
Status CheckTlsServerConfig(const TlsServerConfig& config);

}  // namespace zkx::exporter
