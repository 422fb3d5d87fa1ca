// hf-vus's virtual users: each opens a WebSocket, sends messages one at a time, checks that every
// reply is the message it sent, closes with 1000 and connects again, a fixed number of times.
#pragma once

#include <cstdint>
#include <string>

#include "../common/histogram.h"

namespace hfbench {

struct VuOptions {
  std::string host = "127.0.0.1";
  int port = 8080;
  std::string path = "/echo";
  int vus = 100;     // users in the whole run, over all processes
  int first_vu = 0;  // this process runs users [first_vu, first_vu + vus_here)
  int vus_here = 100;
  int connections = 3;     // per user, one after the other
  int messages = 5;        // per connection
  int interval_ms = 2000;  // from a reply to the next message, and from the last reply to the close
  int size = 64;           // bytes per message, at least 32
  int reply_timeout_ms = 30000;
  double ramp_s = 1;  // the users' first connections are spread evenly over this many seconds
  double max_duration_s = 120;  // no connection starts after this
  double grace_s = 10;          // connections still open this long after max_duration are cut off
  std::string src_base = "127.0.0.2";
  int src_count = 8;
  int max_warnings = 20;  // problem lines printed to stderr by this process
};

// Plain data, so that worker processes can hand it to the parent through a pipe.
struct VuResult {
  uint64_t sent = 0;            // messages sent
  uint64_t received = 0;        // replies that were the message sent
  uint64_t lost = 0;            // messages never answered before the deadline or the close
  uint64_t wrong = 0;           // replies that differ, have the other type, or are one too many
  uint64_t ws_errors = 0;       // failed connects, refused upgrades, dropped sockets
  uint64_t connections_ok = 0;  // connections that passed every check
  uint64_t connections = 0;     // connections finished, ok or not
  uint64_t cut_off = 0;         // connections still open at max_duration + grace
  uint64_t checks_passed = 0;
  uint64_t checks_failed = 0;
  Histogram connect_ns;  // TCP connect to the 101 response
  Histogram reply_ns;    // message sent to reply received
  Histogram session_ns;  // TCP connect to the close completing
  char first_problem[256] = {};

  void Merge(const VuResult& o);
};

// Runs this process's users to the end. Never throws; everything is reported in *out.
void RunUsers(const VuOptions& opt, VuResult* out);

}  // namespace hfbench
