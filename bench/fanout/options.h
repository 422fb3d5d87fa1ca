// What hf-fanout's parent, its publisher and its subscriber processes share: the options and the
// shape of a record.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace hfbench::fanout {

struct Options {
  std::string host = "127.0.0.1";
  int port = 8080;
  std::string path = "/fanout";
  int subscribers = 1000;
  int procs = 1;
  double rate = 10;
  double duration_s = 10, warmup_s = 2;
  double drain_s = 3;  // after the last record, for it to reach everyone
  std::string redis = "127.0.0.1:6379";
  std::string http;  // HOST:PORT/PATH: publish with HTTP POST (nchan) instead of Redis
  // HOST:PORT of Centrifugo's HTTP API: subscribers speak its JSON protocol (connect, then
  // subscribe to `channel`) and records are published through POST /api/publish.
  std::string centrifugo;
  std::string channel = "holdfast:channel:bench";
  std::string src_base = "127.0.0.2";
  int src_count = 8;
  size_t size = 64;
  // PATH: PATH.start is made just before the first record is published and PATH.end once the
  // drain is over, before the subscribers close, so a caller can take the server's CPU over the
  // deliveries alone, without connecting and closing.
  std::string window_file;
};

struct Payload {
  uint64_t seq;
  uint64_t due_ns;
};

// Every record is its Payload followed by this byte up to --size.
constexpr char kFill = 'f';

}  // namespace hfbench::fanout
