// W3C Trace Context (https://www.w3.org/TR/trace-context/): reading a client's `traceparent`
// and writing the one each event carries.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace holdfast::util {

struct TraceContext {
  uint8_t trace_id[16];
  uint8_t parent_id[8];
  uint8_t flags;
};

// Parses `00-<32 hex>-<16 hex>-<2 hex>`. Rejects uppercase hex, wrong lengths, all-zero ids and
// version ff. A later version is read by the spec's rules for one: at least 55 characters, the
// four known fields in place, and a `-` after them if anything follows; only its sampled flag is
// kept. On failure `out` is unchanged.
bool parse_traceparent(std::string_view text, TraceContext& out);

// The trace id as 32 lowercase hex digits and a terminating NUL, for log lines.
void write_trace_id(const TraceContext& trace, char out[33]);

// A new trace: random non-zero ids, flags 01 (sampled).
TraceContext new_trace();

// Appends `00-<trace id>-<span id>-<flags>`: the trace continued with `span_id` as its parent.
void append_traceparent(std::string& out, const TraceContext& trace, const uint8_t span_id[8]);

// A random non-zero span id from the per-thread generator (no system call).
void random_span_id(uint8_t out[8]);

}  // namespace holdfast::util
