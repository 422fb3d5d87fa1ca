// When each TLS listener's certificate expires, for
// holdfast_tls_certificate_expiry_timestamp_seconds. Read at start and again on each reload,
// which loads a renewed certificate into the listeners.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "proxy/runtime.h"

namespace holdfast {

struct CertificateExpiry {
  std::string listener;   // the listener's address as configured; a port of 0 as bound
  int64_t not_after = 0;  // seconds since the epoch
};

// The notAfter of the first certificate (the server's own) in the PEM file at `path`; nullopt
// with `error` set when the file holds none.
std::optional<int64_t> certificate_not_after(const std::string& path, std::string& error);

// One entry per TLS listener whose certificate could be read; the others are logged.
std::vector<CertificateExpiry> read_certificate_expiry(
    const std::vector<ListenerRuntime>& listeners);

}  // namespace holdfast
