// Fairness between the connections of one worker. In a loop turn each connection hands the worker
// at most kFramesPerTurn frames (or pieces of frames); the one that uses them up is not read again
// until the turn's end, and libwebsockets keeps the rest of what it had read for the next turn.
//
// Without it, fairness came from the receive buffer's size alone: a client writing small frames
// as fast as it could had all those in one read parsed before any other connection was served,
// about 430 frames of 32 bytes with a 16 KiB buffer. With it, a flood gets no more of a turn from
// a large buffer than from a small one, and large messages are still read in few calls.
#pragma once

#include <cstdint>
#include <vector>

namespace holdfast {

class ReadBudget {
 public:
  // Each share that runs out costs about 9 µs of stopping and resuming the connection's reading
  // (four epoll_ctl calls and a spurious writable callback in libwebsockets 4.1). At 16 frames a
  // single client pipelining small messages needed 0.92 µs of CPU per echo, at 32 0.58 µs, as with
  // no share at all with a 512-byte buffer; the flood scenario's ratio was 1.05 and 1.04, and 1.14
  // at 64 (bench/README.md).
  static constexpr unsigned kFramesPerTurn = 32;

  // One frame, or piece of one, from the connection `handle`; true when it is the turn's last
  // for that connection, which must then stop reading until end_turn().
  bool spend(uint64_t handle) {
    if (handle != reader_) {
      reader_ = handle;
      used_ = 0;
    }
    if (++used_ != kFramesPerTurn) return false;
    spent_.push_back(handle);
    return true;
  }

  // The turn's end: calls resume(handle) for each connection whose budget ran out this turn.
  template <typename Resume>
  void end_turn(Resume&& resume) {
    reader_ = 0;
    for (const uint64_t handle : spent_)
      resume(handle);
    spent_.clear();  // keeps its capacity: no allocation once the busiest turn has been seen
  }

 private:
  uint64_t reader_ = 0;  // the connection being read; 0 is no connection's handle
  unsigned used_ = 0;
  std::vector<uint64_t> spent_;
};

}  // namespace holdfast
