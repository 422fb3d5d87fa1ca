// Small RFC 6455 pieces shared by the load generator and the floor server.
#pragma once

#include <cstddef>
#include <cstdint>
#include <ctime>
#include <string>
#include <string_view>

namespace hfbench {

inline uint64_t NowNs() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1000000000ull + static_cast<uint64_t>(ts.tv_nsec);
}

enum Opcode : uint8_t {
  kCont = 0x0,
  kText = 0x1,
  kBinary = 0x2,
  kClose = 0x8,
  kPing = 0x9,
  kPong = 0xA
};

struct Frame {
  bool fin = false;
  uint8_t opcode = 0;
  bool masked = false;
  uint8_t mask[4] = {};
  size_t header_len = 0;
  uint64_t payload_len = 0;
};

// Parses a frame header at the front of buf. Returns false when more bytes are needed.
bool ParseFrameHeader(const uint8_t* buf, size_t len, Frame* f);

// Appends a frame header; when mask is non-null the frame is masked with it (client frames).
void AppendFrameHeader(std::string* out, uint8_t opcode, uint64_t len, const uint8_t* mask);

// XORs data with the 4-byte key starting at key offset `offset`.
void ApplyMask(uint8_t* data, size_t len, const uint8_t key[4], size_t offset = 0);

// The Sec-WebSocket-Accept value for a Sec-WebSocket-Key.
std::string AcceptKey(std::string_view key);

// A client's upgrade request for ws://host:port/path with the given Sec-WebSocket-Key; `extra`
// holds further header lines, each ending in CRLF.
std::string UpgradeRequest(std::string_view host, int port, std::string_view path,
                           std::string_view key, std::string_view extra = {});

// Case-insensitive header lookup in an HTTP head (up to the blank line). Empty when absent.
std::string_view HeaderValue(std::string_view head, std::string_view name);

}  // namespace hfbench
