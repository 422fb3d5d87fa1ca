#include "ws.h"

#include <openssl/sha.h>

#include <cctype>
#include <cstring>
#include <string>

namespace hfbench {

bool ParseFrameHeader(const uint8_t* buf, size_t len, Frame* f) {
  if (len < 2) return false;
  f->fin = (buf[0] & 0x80) != 0;
  f->opcode = buf[0] & 0x0F;
  f->masked = (buf[1] & 0x80) != 0;
  uint64_t plen = buf[1] & 0x7F;
  size_t pos = 2;
  if (plen == 126) {
    if (len < 4) return false;
    plen = (uint64_t{buf[2]} << 8) | buf[3];
    pos = 4;
  } else if (plen == 127) {
    if (len < 10) return false;
    plen = 0;
    for (int i = 0; i < 8; ++i)
      plen = (plen << 8) | buf[2 + i];
    pos = 10;
  }
  if (f->masked) {
    if (len < pos + 4) return false;
    std::memcpy(f->mask, buf + pos, 4);
    pos += 4;
  }
  f->header_len = pos;
  f->payload_len = plen;
  return true;
}

void AppendFrameHeader(std::string* out, uint8_t opcode, uint64_t len, const uint8_t* mask) {
  char h[14];
  size_t n = 0;
  h[n++] = static_cast<char>(0x80 | opcode);
  uint8_t mbit = mask != nullptr ? 0x80 : 0;
  if (len < 126) {
    h[n++] = static_cast<char>(mbit | len);
  } else if (len <= 0xFFFF) {
    h[n++] = static_cast<char>(mbit | 126);
    h[n++] = static_cast<char>(len >> 8);
    h[n++] = static_cast<char>(len & 0xFF);
  } else {
    h[n++] = static_cast<char>(mbit | 127);
    for (int i = 7; i >= 0; --i)
      h[n++] = static_cast<char>((len >> (8 * i)) & 0xFF);
  }
  if (mask != nullptr) {
    std::memcpy(h + n, mask, 4);
    n += 4;
  }
  out->append(h, n);
}

void ApplyMask(uint8_t* data, size_t len, const uint8_t key[4], size_t offset) {
  for (size_t i = 0; i < len; ++i)
    data[i] ^= key[(i + offset) & 3];
}

std::string AcceptKey(std::string_view key) {
  std::string in(key);
  in += "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
  unsigned char md[SHA_DIGEST_LENGTH];
  SHA1(reinterpret_cast<const unsigned char*>(in.data()), in.size(), md);
  static const char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  for (size_t i = 0; i < sizeof(md); i += 3) {
    uint32_t v = uint32_t{md[i]} << 16;
    if (i + 1 < sizeof(md)) v |= uint32_t{md[i + 1]} << 8;
    if (i + 2 < sizeof(md)) v |= md[i + 2];
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += i + 1 < sizeof(md) ? kAlphabet[(v >> 6) & 63] : '=';
    out += i + 2 < sizeof(md) ? kAlphabet[v & 63] : '=';
  }
  return out;
}

std::string UpgradeRequest(std::string_view host, int port, std::string_view path,
                           std::string_view key, std::string_view extra) {
  std::string r;
  r.reserve(192);
  r.append("GET ").append(path).append(" HTTP/1.1\r\nHost: ").append(host).append(":");
  r.append(std::to_string(port));
  r.append("\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ");
  r.append(key).append("\r\nSec-WebSocket-Version: 13\r\n").append(extra).append("\r\n");
  return r;
}

std::string_view HeaderValue(std::string_view head, std::string_view name) {
  size_t pos = head.find("\r\n");
  while (pos != std::string_view::npos && pos + 2 < head.size()) {
    size_t start = pos + 2;
    size_t end = head.find("\r\n", start);
    if (end == std::string_view::npos) end = head.size();
    std::string_view line = head.substr(start, end - start);
    size_t colon = line.find(':');
    if (colon == name.size()) {
      bool same = true;
      for (size_t i = 0; i < colon && same; ++i) {
        same = std::tolower(static_cast<unsigned char>(line[i])) ==
               std::tolower(static_cast<unsigned char>(name[i]));
      }
      if (same) {
        std::string_view v = line.substr(colon + 1);
        while (!v.empty() && (v.front() == ' ' || v.front() == '\t'))
          v.remove_prefix(1);
        while (!v.empty() && (v.back() == ' ' || v.back() == '\t'))
          v.remove_suffix(1);
        return v;
      }
    }
    pos = end;
  }
  return {};
}

}  // namespace hfbench
