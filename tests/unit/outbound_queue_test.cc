// The outbound queue: frames leave in the order they came, across growth and wrap-around, and
// every frame, an empty one too, counts against the byte bound the session enforces.
#include "proxy/outbound_queue.h"

#include <catch2/catch.hpp>
#include <string>

namespace holdfast {
namespace {

FrameRef make(const std::string& payload) {
  return FrameRef(Frame::create(payload, true));
}

std::string_view view(const Frame& f) {
  return {reinterpret_cast<const char*>(const_cast<Frame&>(f).payload()), f.size()};
}

}  // namespace

TEST_CASE("outbound queue: first in, first out across growth and wrap-around") {
  OutboundQueue q;
  int next_in = 0, next_out = 0;
  // Pushes more than it pops on each round, so the ring both wraps and grows.
  for (int round = 0; round < 20; ++round) {
    for (int i = 0; i < 3; ++i)
      q.push(make(std::to_string(next_in++)));
    for (int i = 0; i < 2; ++i) {
      REQUIRE_FALSE(q.empty());
      CHECK(view(*q.front()) == std::to_string(next_out++));
      q.pop();
    }
  }
  CHECK(q.size() == 20);
  while (!q.empty()) {
    CHECK(view(*q.front()) == std::to_string(next_out++));
    q.pop();
  }
  CHECK(next_out == next_in);
  CHECK(q.bytes() == 0);
}

TEST_CASE("outbound queue: an empty frame still counts against the bound") {
  OutboundQueue q;
  const FrameRef empty = make("");
  const FrameRef five = make("hello");
  CHECK(OutboundQueue::cost(*empty) == 48);  // as docs/configuration.md says
  CHECK(OutboundQueue::cost(*five) == OutboundQueue::cost(*empty) + 5);

  // A bound of 4 KiB, applied as Session::send applies it, admits a bounded number of empty
  // frames rather than any number.
  const size_t bound = 4096;
  size_t admitted = 0;
  while (q.bytes() + OutboundQueue::cost(*empty) <= bound && admitted < 100000) {
    q.push(empty);
    ++admitted;
  }
  CHECK(admitted == bound / OutboundQueue::cost(*empty));
  q.push(five);
  CHECK(q.bytes() == admitted * OutboundQueue::cost(*empty) + OutboundQueue::cost(*five));
  q.clear();
  CHECK(q.empty());
  CHECK(q.bytes() == 0);
}

}  // namespace holdfast
