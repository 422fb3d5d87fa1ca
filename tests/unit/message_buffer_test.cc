// The inbound message buffer: fragments join in order across growth, its room is kept between
// ordinary messages and handed back after one larger than kKeptBytes.
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

TEST_CASE("message buffer: keeps ordinary room between messages, not a large message's") {
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
  b.clear();
  CHECK(b.capacity() == 0);
  b.append("x", 1);
  CHECK(b.view() == "x");
}

}  // namespace holdfast
