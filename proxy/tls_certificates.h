// Loading a listener's certificate chain and key again, on reload.
//
// libwebsockets reads them once, when it makes the listener's vhost. A reload checks the files
// in a scratch OpenSSL context first, on the main thread, so a half-written renewal is refused
// before anything changes; then each worker loads them into its own vhost's context, on its own
// thread. New handshakes use the new certificate; open connections keep theirs.
#pragma once

#include <openssl/ssl.h>

#include <string>

namespace holdfast {

// Whether `cert` (a PEM chain) and `key` load and belong together. Sets `error` when not.
bool check_certificate_pair(const std::string& cert, const std::string& key, std::string& error);

// Loads them into `ctx`. Sets `error` and returns false on failure.
bool load_certificate_pair(SSL_CTX* ctx, const std::string& cert, const std::string& key,
                           std::string& error);

}  // namespace holdfast
