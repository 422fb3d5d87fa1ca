// What the bus side hands to a worker: a frame or a command for one target. Travels through
// the worker's MpscQueue, so it crosses threads without locks.
#pragma once

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
  std::string channel;   // Kind::Subscribe / Unsubscribe
  bool counted = false;  // whether the sender expects an undeliverable count for a connection
  std::shared_ptr<const RouteTable> table;  // Kind::Reload: the routes for new connections
};

}  // namespace holdfast
