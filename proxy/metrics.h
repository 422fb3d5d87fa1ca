// Prometheus text exposition of every thread's Stats, summed at scrape time.
#pragma once

#include <string>
#include <vector>

#include "proxy/runtime.h"
#include "proxy/stats.h"

namespace holdfast {

struct ProcessState {
  bool ready = false;
  bool draining = false;
};

std::string render_metrics(const Runtime& rt, const std::vector<const Stats*>& stats,
                           const ProcessState& state);

}  // namespace holdfast
