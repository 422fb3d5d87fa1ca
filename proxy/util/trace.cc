#include "proxy/util/trace.h"

#include <cstring>

#include "proxy/util/random.h"

namespace holdfast::util {
namespace {

constexpr size_t kVersion00Size = 55;  // 2 + 1 + 32 + 1 + 16 + 1 + 2
constexpr char kHex[] = "0123456789abcdef";

int lower_hex(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

// Decodes `2 * size` lowercase hex digits.
bool decode_hex(std::string_view text, uint8_t* out, size_t size) {
  for (size_t i = 0; i < size; ++i) {
    const int hi = lower_hex(text[2 * i]);
    const int lo = lower_hex(text[2 * i + 1]);
    if (hi < 0 || lo < 0) return false;
    out[i] = static_cast<uint8_t>(hi << 4 | lo);
  }
  return true;
}

bool all_zero(const uint8_t* p, size_t size) {
  for (size_t i = 0; i < size; ++i) {
    if (p[i] != 0) return false;
  }
  return true;
}

void append_hex(std::string& out, const uint8_t* p, size_t size) {
  for (size_t i = 0; i < size; ++i) {
    out += kHex[p[i] >> 4];
    out += kHex[p[i] & 0xF];
  }
}

void fill_random(uint8_t* p, size_t size) {
  do {
    for (size_t i = 0; i < size; i += 8) {
      const uint64_t v = fast_random();
      std::memcpy(p + i, &v, size - i < 8 ? size - i : 8);
    }
  } while (all_zero(p, size));
}

}  // namespace

void write_trace_id(const TraceContext& trace, char out[33]) {
  for (size_t i = 0; i < sizeof trace.trace_id; ++i) {
    out[2 * i] = kHex[trace.trace_id[i] >> 4];
    out[2 * i + 1] = kHex[trace.trace_id[i] & 0xF];
  }
  out[32] = '\0';
}

bool parse_traceparent(std::string_view text, TraceContext& out) {
  if (text.size() < kVersion00Size) return false;
  uint8_t version = 0;
  if (!decode_hex(text, &version, 1) || version == 0xFF) return false;
  if (version == 0 && text.size() != kVersion00Size) return false;
  if (text.size() > kVersion00Size && text[kVersion00Size] != '-') return false;
  if (text[2] != '-' || text[35] != '-' || text[52] != '-') return false;
  TraceContext parsed{};
  if (!decode_hex(text.substr(3), parsed.trace_id, 16) ||
      !decode_hex(text.substr(36), parsed.parent_id, 8) ||
      !decode_hex(text.substr(53), &parsed.flags, 1)) {
    return false;
  }
  if (all_zero(parsed.trace_id, 16) || all_zero(parsed.parent_id, 8)) return false;
  if (version != 0) parsed.flags &= 0x01;
  out = parsed;
  return true;
}

TraceContext new_trace() {
  TraceContext t;
  fill_random(t.trace_id, sizeof t.trace_id);
  fill_random(t.parent_id, sizeof t.parent_id);
  t.flags = 0x01;
  return t;
}

void append_traceparent(std::string& out, const TraceContext& trace, const uint8_t span_id[8]) {
  out += "00-";
  append_hex(out, trace.trace_id, sizeof trace.trace_id);
  out += '-';
  append_hex(out, span_id, 8);
  out += '-';
  append_hex(out, &trace.flags, 1);
}

void random_span_id(uint8_t out[8]) {
  fill_random(out, 8);
}

}  // namespace holdfast::util
