#include "proxy/util/base64.h"

#include <array>
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

namespace {

// The value of each base64url character, or -1.
constexpr std::array<int8_t, 256> kBase64urlValues = [] {
  std::array<int8_t, 256> t{};
  t.fill(-1);
  constexpr std::string_view kAlphabet =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  for (size_t i = 0; i < kAlphabet.size(); ++i)
    t[static_cast<unsigned char>(kAlphabet[i])] = static_cast<int8_t>(i);
  return t;
}();

}  // namespace

bool decode_base64url(std::string_view in, std::string& out) {
  out.clear();
  const size_t n = in.size();
  if (n % 4 == 1) return false;
  out.reserve(n / 4 * 3 + 2);
  uint32_t acc = 0;  // the bits not yet written, `bits` of them, in the low end
  int bits = 0;
  for (const char c : in) {
    const int v = kBase64urlValues[static_cast<unsigned char>(c)];
    if (v < 0) return false;
    acc = (acc << 6 | static_cast<uint32_t>(v)) & 0xFFFF;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((acc >> bits) & 0xFF);
    }
  }
  // Two or four bits are left over after a partial group; they must be zero.
  return (acc & ((1u << bits) - 1)) == 0;
}

}  // namespace holdfast::util
