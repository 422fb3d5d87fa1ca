// Several outbound messages framed into one buffer, so that a connection given many messages in
// one loop turn (replies to pipelined requests, a burst on a channel) costs one write and one
// TCP segment instead of one of each per message. Server frames are unmasked: a 2 or 4 byte
// header, then the payload. The RSV bits stay 0, which is right while holdfast negotiates no
// extension (and stays valid, as an uncompressed message, under permessage-deflate).
#pragma once

#include <libwebsockets.h>

#include <cstddef>
#include <cstring>
#include <vector>

#include "proxy/frame.h"

namespace holdfast {

class WriteBatch {
 public:
  static constexpr size_t kCapacity = 32 * 1024;
  // Larger messages are written on their own, from the frame itself, without a copy.
  static constexpr size_t kMaxMessage = 4096;
  static_assert(kMaxMessage < 65536, "the header below has a 16-bit length at most");

  WriteBatch() : buf_(LWS_PRE + kCapacity) {}

  static bool batchable(const Frame& f) { return f.size() <= kMaxMessage; }
  bool empty() const { return len_ == 0; }
  bool fits(const Frame& f) const { return len_ + kMaxHeader + f.size() <= kCapacity; }

  void append(Frame& f) {
    unsigned char* out = data() + len_;
    out[0] = static_cast<unsigned char>(0x80 | (f.text() ? 0x1 : 0x2));  // FIN and the opcode
    size_t header = 2;
    if (f.size() < 126) {
      out[1] = static_cast<unsigned char>(f.size());
    } else {
      out[1] = 126;
      out[2] = static_cast<unsigned char>(f.size() >> 8);
      out[3] = static_cast<unsigned char>(f.size() & 0xff);
      header = 4;
    }
    if (f.size() > 0) std::memcpy(out + header, f.payload(), f.size());
    len_ += header + f.size();
  }

  unsigned char* data() { return buf_.data() + LWS_PRE; }
  size_t size() const { return len_; }
  void clear() { len_ = 0; }

 private:
  static constexpr size_t kMaxHeader = 4;
  std::vector<unsigned char> buf_;  // LWS_PRE bytes of room, then the frames
  size_t len_ = 0;
};

}  // namespace holdfast
