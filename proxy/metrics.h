// Prometheus text exposition of every thread's Stats, summed at scrape time into prometheus-cpp
// metric families and written by its text serializer.
#pragma once

#include <string>
#include <vector>

#include "proxy/certificate_expiry.h"
#include "proxy/runtime.h"
#include "proxy/stats.h"

namespace holdfast {

struct ProcessState {
  bool ready = false;
  bool draining = false;
  std::vector<CertificateExpiry> certificates;  // TLS listeners, read at start
};

std::string render_metrics(const Runtime& rt, const std::vector<const Stats*>& stats,
                           const ProcessState& state);

}  // namespace holdfast
