// Frames kept for reuse, so that the frames a loop makes cost no allocation once the pool is
// warm: each worker's pool serves its echoes, Redis replies and notices, and the main loop's
// serves Kafka replies.
//
// A pool belongs to the thread that first makes a frame from it. A frame may be dropped on any
// thread: on the owner's it is kept at once; from another (a Kafka reply read on the main loop
// and sent by a worker) it goes through a lock-free queue that the owner empties when it next
// needs memory.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <thread>
#include <vector>

#include "proxy/frame.h"
#include "proxy/mpsc_queue.h"

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

  // A frame holding `payload`, null when memory runs out. The owner's thread only.
  Frame* make(std::string_view payload, bool text);
  // Called, on any thread, when a frame of this pool loses its last reference; `mem` no longer
  // holds a Frame.
  void give_back(void* mem, uint8_t cls);
  // Frames waiting for reuse on the owner's side, over every class. The owner's thread only.
  size_t kept() const;

 private:
  // What a frame's memory holds while it waits in the queue from another thread.
  struct Returned : MpscNode {
    uint8_t cls;
  };
  static_assert(sizeof(Returned) <= sizeof(Frame) + LWS_PRE);

  void keep(void* mem, uint8_t cls);
  void take_returns();

  std::array<std::vector<void*>, kCapacity.size()> free_;
  std::thread::id owner_;  // set by the first make()
  MpscQueue returned_;
};

}  // namespace holdfast
