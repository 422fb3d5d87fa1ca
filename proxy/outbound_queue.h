// Frames waiting to be written to one client, bounded in bytes by the caller. A ring that grows
// by doubling and keeps its capacity, so steady traffic allocates nothing.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <utility>

#include "proxy/frame.h"

namespace holdfast {

class OutboundQueue {
 public:
  // What one queued frame counts against the bound: its payload, plus its slot, the frame's
  // header and the room lws writes the WebSocket header into. So empty messages count too, and
  // the bound limits how many frames wait, not only their payload.
  static size_t cost(const Frame& f) {
    return f.size() + sizeof(FrameRef) + sizeof(Frame) + LWS_PRE;
  }

  bool empty() const { return count_ == 0; }
  size_t bytes() const { return bytes_; }  // the sum of cost() over the queued frames
  size_t size() const { return count_; }

  void push(const FrameRef& f) {
    if (count_ == cap_) grow();
    slots_[(head_ + count_) & (cap_ - 1)] = f;
    ++count_;
    bytes_ += static_cast<uint32_t>(cost(*f));
  }

  Frame* front() const { return slots_[head_].get(); }

  void pop() {
    bytes_ -= static_cast<uint32_t>(cost(*slots_[head_]));
    slots_[head_] = FrameRef();
    head_ = (head_ + 1) & (cap_ - 1);
    --count_;
  }

  void clear() {
    while (count_ > 0)
      pop();
  }

 private:
  void grow() {
    const uint32_t cap = cap_ == 0 ? 4 : cap_ * 2;
    auto slots = std::make_unique<FrameRef[]>(cap);
    for (uint32_t i = 0; i < count_; ++i)
      slots[i] = std::move(slots_[(head_ + i) & (cap_ - 1)]);
    slots_ = std::move(slots);
    cap_ = cap;
    head_ = 0;
  }

  std::unique_ptr<FrameRef[]> slots_;
  // 32-bit positions and byte count keep the queue, which every connection carries, at 24 bytes:
  // the caller's bound (max_outbound_bytes, at most 1 GiB) stops it long before 2^31 frames or
  // 2^32 bytes.
  uint32_t cap_ = 0;  // a power of two
  uint32_t head_ = 0;
  uint32_t count_ = 0;
  uint32_t bytes_ = 0;
};

}  // namespace holdfast
