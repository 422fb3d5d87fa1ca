// What the bus side hands to a worker: a frame or a command for one target. Travels through
// the worker's MpscQueue, so it crosses threads without locks.
#pragma once

#include <array>
#include <memory>
#include <string>

#include "proxy/contract.h"
#include "proxy/frame.h"
#include "proxy/mpsc_queue.h"
#include "proxy/runtime.h"

namespace holdfast {

struct Delivery : MpscNode {
  enum class Kind { Frame, Close, Subscribe, Unsubscribe, Reload };
  Kind kind = Kind::Frame;
  contract::Target::Kind target = contract::Target::Kind::Invalid;
  std::string name;  // connection id, user id or channel name
  FrameRef frame;    // Kind::Frame
  int close_code = 1000;
  std::string close_reason;
  std::string channel;  // Kind::Subscribe / Unsubscribe
  // The trace id (32 hex digits) of the reply's own `traceparent`, for its log lines; empty when
  // it carried none. A fixed array, so a traced reply costs no allocation.
  std::array<char, 33> trace_id{};
  std::shared_ptr<const RouteTable> table;  // Kind::Reload: the routes for new connections

  // Back to a default-constructed state, keeping the strings' capacity, so that one Delivery can
  // be read into again and again without allocating.
  void clear() {
    kind = Kind::Frame;
    target = contract::Target::Kind::Invalid;
    name.clear();
    frame = FrameRef();
    close_code = 1000;
    close_reason.clear();
    channel.clear();
    trace_id[0] = '\0';
    table.reset();
  }
};

}  // namespace holdfast
