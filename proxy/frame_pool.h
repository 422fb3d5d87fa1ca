// Frames that one thread makes and frees, kept for reuse, so that what a worker sends its own
// connections (echoes, Redis replies, refusals) costs no allocation once the pool is warm.
//
// Only a frame whose references all stay on the pool's thread may come from it. A frame that
// crosses to other threads (a Kafka reply, read on the main loop and sent by a worker) is made
// with Frame::create instead.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "proxy/frame.h"

namespace holdfast {

class FramePool {
 public:
  // Payload capacity of each size class; larger frames are allocated alone.
  static constexpr std::array<size_t, 4> kCapacity = {64, 256, 1024, 4096};
  // Memory kept for reuse per class; a frame given back past it is freed.
  static constexpr size_t kKeepBytes = size_t{1} << 20;

  FramePool() = default;
  ~FramePool();
  FramePool(const FramePool&) = delete;
  FramePool& operator=(const FramePool&) = delete;

  // A frame holding `payload`, null when memory runs out.
  Frame* make(std::string_view payload, bool text);
  // Called when a frame of this pool loses its last reference; `mem` no longer holds a Frame.
  void give_back(void* mem, uint8_t cls);
  // Frames waiting for reuse, over every class.
  size_t kept() const;

 private:
  std::array<std::vector<void*>, kCapacity.size()> free_;
};

}  // namespace holdfast
