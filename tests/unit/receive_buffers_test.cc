// Receive buffers of a page or more: each starts on a page, is taken back and handed out again,
// and goes back with its first page given back when a payload was written there.
#include "proxy/receive_buffers.h"

#include <libwebsockets.h>
#include <sys/mman.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdint>
#include <cstring>
#include <memory>

namespace holdfast {
namespace {

const size_t kPage = static_cast<size_t>(sysconf(_SC_PAGESIZE));

bool resident(const void* page) {
  unsigned char in = 0;
  REQUIRE(mincore(const_cast<void*>(page), kPage, &in) == 0);
  return (in & 1) != 0;
}

TEST_CASE("receive buffers start on a page, and a freed one is handed out again") {
  void* a = receive_buffers::allocate(16384);
  void* b = receive_buffers::allocate(16384);
  REQUIRE(a != nullptr);
  REQUIRE(b != nullptr);
  CHECK(reinterpret_cast<uintptr_t>(a) % kPage == 0);
  CHECK(reinterpret_cast<uintptr_t>(b) % kPage == 0);
  CHECK(a != b);
  CHECK(receive_buffers::owned_size(a) == 16384);
  // A size that is not a whole number of pages takes whole pages.
  CHECK(receive_buffers::slot_size(512) == kPage);
  void* odd = receive_buffers::allocate(kPage + 1);
  CHECK(receive_buffers::owned_size(odd) == 2 * kPage);
  CHECK(receive_buffers::release(odd));
  CHECK(receive_buffers::release(a));
  CHECK(receive_buffers::allocate(16384) == a);
  CHECK(receive_buffers::release(a));
  CHECK(receive_buffers::release(b));
}

TEST_CASE("a buffer from elsewhere is not taken") {
  auto other = std::make_unique<char[]>(64);
  CHECK_FALSE(receive_buffers::release(other.get()));
  CHECK(receive_buffers::owned_size(other.get()) == 0);
}

TEST_CASE("a freed buffer whose first page a payload was written to gives it back on trim") {
  auto* buffer = static_cast<std::byte*>(receive_buffers::allocate(16384));
  REQUIRE(buffer != nullptr);
  std::memcpy(buffer + LWS_PRE, "ping", 4);
  REQUIRE(resident(buffer));
  CHECK(receive_buffers::release(buffer));
  CHECK(resident(buffer));  // a close's payload is written there too: freeing leaves it
  receive_buffers::trim();
  CHECK_FALSE(resident(buffer));
}

}  // namespace
}  // namespace holdfast
