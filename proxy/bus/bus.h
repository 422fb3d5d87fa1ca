// What a worker's bus producers share: where a message goes, how it went, and who hears back.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "proxy/contract.h"

namespace holdfast {

enum class BusStatus { Accepted, Busy, Failed };

enum class BusResult {
  Ok,
  Timeout,   // the bus could not be reached in time
  Rejected,  // the bus refused the message for good (too large, not authorised, wrong type)
};

struct BusTarget {
  enum class Kind { Kafka, RedisStream, RedisChannel };
  Kind kind = Kind::Kafka;
  std::string_view name;  // topic, stream or channel
  std::string_view key;   // Kafka key
  bool has_key = false;
  uint64_t maxlen = 0;  // Redis stream MAXLEN ~
};

// Receives acknowledgements for messages produced with a non-zero handle.
class BusAckSink {
 public:
  virtual ~BusAckSink() = default;
  virtual void on_ack(uint64_t handle, size_t bytes, BusResult result) = 0;
  // The time to stamp a message's write and its acknowledgement with. A worker gives the time it
  // read once for its loop turn, which spares a clock read per message at either end.
  virtual std::chrono::steady_clock::time_point now() { return std::chrono::steady_clock::now(); }
};

// Reused per-thread buffers for building one event, so the hot path does not allocate.
struct EventScratch {
  std::string id;
  std::string time;
  std::string trace;
  std::string attrs;
  std::string body;
};

}  // namespace holdfast
