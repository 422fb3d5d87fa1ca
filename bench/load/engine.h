// The load generator's event loop: one process, many WebSocket connections on one epoll set.
#pragma once

#include <cstdint>
#include <string>

#include "../common/histogram.h"

namespace hfbench {

struct LoadOptions {
  std::string host = "127.0.0.1";
  int port = 8080;
  std::string path = "/echo";
  int connections = 100;  // in this process
  uint32_t first_id = 0;  // id of this process's first connection, unique across processes
  double duration_s = 10;
  double warmup_s = 2;
  double drain_s = 3;  // after the run, how long outstanding replies may take
  int size = 32;
  int inflight = 10;  // closed loop: messages in flight per connection
  double rate = 0;    // open loop: messages per second from this process; 0 = closed loop
  bool idle = false;  // connect, hold for duration_s, send nothing
  // Idle: each connection sends one ping with this many bytes (0 to 125) once open, and must get
  // the same bytes back in a pong; -1: no ping.
  int ping_payload = -1;
  std::string src_base = "127.0.0.2";
  int src_count = 8;
  int max_pending = 256;  // connections in their TCP or HTTP handshake at once
  double connect_timeout_s = 30;
  std::string ready_file;  // idle: created once every connection is open
  // Sent as a text frame once upgraded; the connection counts as open when the next message
  // arrives, which is not checked. For servers that expect a first command, as Centrifugo's
  // clients send `connect`.
  std::string hello;
};

// Plain data so that worker processes can hand it to the parent through a pipe.
struct LoadResult {
  uint64_t connected = 0;
  uint64_t connect_failed = 0;
  uint64_t closed_early = 0;
  uint64_t sent = 0;
  uint64_t received = 0;
  uint64_t measured = 0;  // replies received inside the measured window
  uint64_t window_ns = 0;
  uint64_t missing = 0;  // sent, never echoed
  uint64_t reordered = 0;
  uint64_t misrouted = 0;
  uint64_t duplicate = 0;
  uint64_t corrupt = 0;
  uint64_t pongs = 0;  // answers to --ping-payload's pings, as sent
  Histogram latency;   // nanoseconds
  char first_error[512] = {};

  uint64_t Failures() const {
    return connect_failed + closed_early + missing + reordered + misrouted + duplicate + corrupt;
  }
  void Merge(const LoadResult& o);
};

// Runs one process's share of the load. Never throws; everything is reported in *out.
void RunLoad(const LoadOptions& opt, LoadResult* out);

}  // namespace hfbench
