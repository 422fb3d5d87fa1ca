#include "proxy/util/base64.h"

#include <cstdint>

namespace holdfast::util {

void append_base64(std::string& out, std::string_view bytes) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  const auto* p = reinterpret_cast<const unsigned char*>(bytes.data());
  const size_t n = bytes.size();
  const size_t start = out.size();
  out.resize(start + (n + 2) / 3 * 4);
  char* w = out.data() + start;
  size_t i = 0;
  for (; n - i >= 3; i += 3) {
    const uint32_t v = uint32_t{p[i]} << 16 | uint32_t{p[i + 1]} << 8 | p[i + 2];
    *w++ = kAlphabet[v >> 18];
    *w++ = kAlphabet[(v >> 12) & 0x3F];
    *w++ = kAlphabet[(v >> 6) & 0x3F];
    *w++ = kAlphabet[v & 0x3F];
  }
  if (i < n) {
    const bool two = n - i == 2;
    const uint32_t v = uint32_t{p[i]} << 16 | (two ? uint32_t{p[i + 1]} << 8 : 0);
    *w++ = kAlphabet[v >> 18];
    *w++ = kAlphabet[(v >> 12) & 0x3F];
    *w++ = two ? kAlphabet[(v >> 6) & 0x3F] : '=';
    *w++ = '=';
  }
}

}  // namespace holdfast::util
