#include "proxy/tls_certificates.h"

#include <openssl/err.h>

namespace holdfast {
namespace {

std::string openssl_error(const char* what) {
  const unsigned long code = ERR_get_error();
  ERR_clear_error();
  char buf[256];
  ERR_error_string_n(code, buf, sizeof buf);
  return std::string(what) + ": " + (code != 0 ? buf : "unknown error");
}

}  // namespace

bool load_certificate_pair(SSL_CTX* ctx, const std::string& cert, const std::string& key,
                           std::string& error) {
  ERR_clear_error();
  if (SSL_CTX_use_certificate_chain_file(ctx, cert.c_str()) != 1) {
    error = openssl_error(("cannot load certificate '" + cert + "'").c_str());
    return false;
  }
  if (SSL_CTX_use_PrivateKey_file(ctx, key.c_str(), SSL_FILETYPE_PEM) != 1) {
    error = openssl_error(("cannot load key '" + key + "'").c_str());
    return false;
  }
  if (SSL_CTX_check_private_key(ctx) != 1) {
    error = openssl_error(("key '" + key + "' does not match certificate '" + cert + "'").c_str());
    return false;
  }
  return true;
}

bool check_certificate_pair(const std::string& cert, const std::string& key, std::string& error) {
  SSL_CTX* scratch = SSL_CTX_new(TLS_server_method());
  if (scratch == nullptr) {
    error = openssl_error("cannot make an OpenSSL context");
    return false;
  }
  const bool ok = load_certificate_pair(scratch, cert, key, error);
  SSL_CTX_free(scratch);
  return ok;
}

}  // namespace holdfast
