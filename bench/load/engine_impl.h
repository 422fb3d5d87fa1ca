// Internals of the load generator's event loop, shared by engine.cc and engine_io.cc.
#pragma once

#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include "engine.h"

namespace hfbench::detail {

constexpr uint32_t kMagic = 0x31424648;  // "HFB1"
constexpr size_t kHeaderBytes = 24;      // magic, connection id, sequence, timestamp
constexpr size_t kMaxGaps = 4096;

// kHello: upgraded, the --hello text sent, its reply not yet read.
enum class State { kConnecting, kHandshake, kHello, kOpen, kDead };

struct Conn {
  int fd = -1;
  uint32_t id = 0;
  State state = State::kConnecting;
  bool want_out = false;
  bool dirty = false;
  std::string out;
  size_t out_off = 0;
  std::string in;
  uint64_t next_tx = 0;
  uint64_t next_rx = 0;
  std::set<uint64_t> gaps;  // sequence numbers skipped over, still expected late
  uint64_t gap_overflow = 0;
  uint8_t mask[4] = {};
  bool pong_due = false;  // its ping (--ping-payload) is not answered yet
};

class Engine {
 public:
  Engine(const LoadOptions& opt, LoadResult* r) : opt_(opt), r_(r) {}
  void Run();

 private:
  void Fail(const char* fmt, ...) __attribute__((format(printf, 2, 3)));
  bool StartConnect(Conn& c);
  void Watch(Conn& c);
  void Kill(Conn& c, const char* why);
  void Flush(Conn& c);
  void Send(Conn& c, uint64_t ts);
  void OnReadable(Conn& c, uint64_t now);
  bool OnHandshake(Conn& c);
  void Opened(Conn& c);
  // Queues one masked frame to flush at the end of this poll.
  void Queue(Conn& c, uint8_t opcode, const void* data, size_t len);
  void OnMessage(Conn& c, const uint8_t* p, size_t len, uint64_t now);
  void OnPong(Conn& c, const uint8_t* p, size_t len);
  void Poll(int timeout_ms) { PollNs(static_cast<uint64_t>(timeout_ms) * 1000000u); }
  // Waits at most timeout_ns (to the microsecond), so an open-loop send is not late by a timer
  // tick.
  void PollNs(uint64_t timeout_ns);

  const LoadOptions& opt_;
  LoadResult* r_;
  int ep_ = -1;
  std::vector<Conn> conns_;
  std::vector<Conn*> dirty_;
  int pending_ = 0;
  int open_ = 0;
  bool sending_ = false;
  uint64_t measure_start_ = 0;
  uint64_t measure_end_ = 0;
  std::string payload_;
};

}  // namespace hfbench::detail
