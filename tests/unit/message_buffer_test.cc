// The inbound message buffer: fragments join in order across growth, its room is kept between
// messages, and room beyond kKeptBytes can be handed back between them.
#include "proxy/message_buffer.h"

#include <catch2/catch.hpp>
#include <string>

namespace holdfast {

TEST_CASE("message buffer: fragments join in order across growth") {
  MessageBuffer b;
  CHECK(b.empty());
  CHECK(b.capacity() == 0);  // nothing allocated before the first message
  std::string expect;
  for (int i = 0; i < 500; ++i) {
    const std::string part = std::to_string(i) + ",";
    b.append(part.data(), part.size());
    expect += part;
  }
  CHECK(b.view() == expect);
  CHECK(b.size() == expect.size());
  b.append("", 0);
  CHECK(b.view() == expect);
}

TEST_CASE(
    "message buffer: keeps its room between messages, and hands back a large one on request") {
  MessageBuffer b;
  const std::string small(1000, 'a');
  b.append(small.data(), small.size());
  const size_t kept = b.capacity();
  b.clear();
  CHECK(b.empty());
  CHECK(b.capacity() == kept);
  b.append(small.data(), small.size());
  CHECK(b.capacity() == kept);  // no new allocation for the next message
  CHECK(b.view() == small);

  const std::string large(MessageBuffer::kKeptBytes + 1, 'b');
  b.append(large.data(), large.size());
  CHECK(b.size() == small.size() + large.size());
  CHECK(b.view().substr(small.size()) == large);
  b.release_large();
  CHECK(b.capacity() > MessageBuffer::kKeptBytes);  // not while a message is in it
  const size_t large_room = b.capacity();
  b.clear();
  CHECK(b.capacity() == large_room);  // a stream of large messages does not reallocate
  b.release_large();
  CHECK(b.capacity() == 0);
  b.append("x", 1);
  CHECK(b.view() == "x");
  const size_t small_room = b.capacity();
  b.clear();
  b.release_large();
  CHECK(b.capacity() == small_room);  // ordinary room stays
}

}  // namespace holdfast
