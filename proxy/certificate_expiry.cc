#include "proxy/certificate_expiry.h"

#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <ctime>
#include <memory>

#include "proxy/log.h"

namespace holdfast {
namespace {

struct BioDeleter {
  void operator()(BIO* b) const { BIO_free(b); }
};
struct X509Deleter {
  void operator()(X509* x) const { X509_free(x); }
};

std::string openssl_error() {
  const unsigned long e = ERR_get_error();
  ERR_clear_error();
  if (e == 0) return "no certificate found";
  char buf[256];
  ERR_error_string_n(e, buf, sizeof buf);
  return buf;
}

std::string address_text(const std::string& host, uint16_t port) {
  const bool v6 = host.find(':') != std::string::npos;
  return (v6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

}  // namespace

std::optional<int64_t> certificate_not_after(const std::string& path, std::string& error) {
  std::unique_ptr<BIO, BioDeleter> bio(BIO_new_file(path.c_str(), "r"));
  if (!bio) {
    error = openssl_error();
    return std::nullopt;
  }
  std::unique_ptr<X509, X509Deleter> cert(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
  if (!cert) {
    error = openssl_error();
    return std::nullopt;
  }
  std::tm tm{};
  if (ASN1_TIME_to_tm(X509_get0_notAfter(cert.get()), &tm) != 1) {
    error = "unreadable notAfter";
    return std::nullopt;
  }
  return static_cast<int64_t>(timegm(&tm));
}

std::vector<CertificateExpiry> read_certificate_expiry(
    const std::vector<ListenerRuntime>& listeners) {
  std::vector<CertificateExpiry> out;
  for (const auto& l : listeners) {
    if (l.config == nullptr || !l.config->tls) continue;
    // A configured port of 0 names no one listener; the bound one does.
    const std::string address =
        address_text(l.config->host, l.config->port != 0 ? l.config->port : l.port);
    std::string error;
    const auto not_after = certificate_not_after(l.config->tls->cert, error);
    if (!not_after) {
      log::warn("tls certificate expiry unreadable",
                {{"listener", address}, {"cert", l.config->tls->cert}, {"error", error}});
      continue;
    }
    out.push_back({address, *not_after});
  }
  return out;
}

}  // namespace holdfast
