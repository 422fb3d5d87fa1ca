#pragma once

#include "../common/histogram.h"
#include "options.h"

namespace hfbench::fanout {

// What one process saw; sent to the parent through a pipe as raw bytes.
struct Result {
  uint64_t connected = 0, connect_failed = 0, closed_early = 0;
  uint64_t received = 0, measured = 0, missing = 0, reordered = 0, duplicate = 0, corrupt = 0;
  hfbench::Histogram latency;
  char first_error[256] = {};
};

// One process's subscribers. Tells the parent on `ready` once all are open; then reads from
// `stop` the measuring window (two u64), and later how many records were published (one u64),
// which ends the run; then writes its Result to `out`.
void RunSubscribers(const Options& o, int first, int count, int ready, int stop, int out);

}  // namespace hfbench::fanout
