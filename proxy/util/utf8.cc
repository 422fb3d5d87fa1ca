#include "proxy/util/utf8.h"

#include <cstdint>
#include <cstring>

namespace holdfast::util {
namespace {

constexpr uint64_t kHighBits = 0x8080808080808080ull;

bool continuation(unsigned char c) {
  return (c & 0xC0) == 0x80;
}

// Table 3-7 of the Unicode standard: the second byte's range depends on the first byte, which is
// how overlongs, surrogates and values past U+10FFFF are excluded.
size_t sequence_length(const unsigned char* p, size_t n) {
  const unsigned char c = p[0];
  if (c < 0x80) return 1;
  if (c < 0xC2) return 0;  // a continuation byte, or an overlong two-byte lead (C0, C1)
  if (c < 0xE0) return n >= 2 && continuation(p[1]) ? 2 : 0;
  if (c < 0xF0) {
    if (n < 3) return 0;
    const unsigned char lo = c == 0xE0 ? 0xA0 : 0x80;
    const unsigned char hi = c == 0xED ? 0x9F : 0xBF;
    return p[1] >= lo && p[1] <= hi && continuation(p[2]) ? 3 : 0;
  }
  if (c > 0xF4 || n < 4) return 0;
  const unsigned char lo = c == 0xF0 ? 0x90 : 0x80;
  const unsigned char hi = c == 0xF4 ? 0x8F : 0xBF;
  return p[1] >= lo && p[1] <= hi && continuation(p[2]) && continuation(p[3]) ? 4 : 0;
}

}  // namespace

bool valid_utf8(std::string_view s) {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  const size_t n = s.size();
  size_t i = 0;
  while (i < n) {
    if (n - i >= 8) {
      uint64_t word;
      std::memcpy(&word, p + i, 8);
      if ((word & kHighBits) == 0) {
        i += 8;
        continue;
      }
    }
    const size_t len = sequence_length(p + i, n - i);
    if (len == 0) return false;
    i += len;
  }
  return true;
}

size_t utf8_sequence_length(std::string_view s, size_t i) {
  return sequence_length(reinterpret_cast<const unsigned char*>(s.data()) + i, s.size() - i);
}

std::string_view utf8_prefix(std::string_view s, size_t max_bytes) {
  if (s.size() <= max_bytes) return s;
  size_t cut = max_bytes;
  while (cut > 0 && continuation(static_cast<unsigned char>(s[cut])))
    --cut;
  return s.substr(0, cut);
}

}  // namespace holdfast::util
