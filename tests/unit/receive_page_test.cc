// A connection's receive buffer gives back the page a control frame's payload was written to,
// and only a page wholly inside the buffer.
#include "proxy/receive_page.h"

#include <libwebsockets.h>
#include <sys/mman.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstring>

namespace holdfast {
namespace {

const size_t kPage = static_cast<size_t>(sysconf(_SC_PAGESIZE));

// Four pages of anonymous memory, none resident until written.
struct Region {
  Region() {
    base = static_cast<std::byte*>(
        mmap(nullptr, 4 * kPage, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
    REQUIRE(base != MAP_FAILED);
  }
  ~Region() { munmap(base, 4 * kPage); }
  bool resident(size_t page) const {
    unsigned char in = 0;
    REQUIRE(mincore(base + page * kPage, kPage, &in) == 0);
    return (in & 1) != 0;
  }
  std::byte* base;
};

void write_payload(std::byte* buffer, const char* text) {
  std::memcpy(buffer + LWS_PRE, text, std::strlen(text));
}

TEST_CASE("a page-aligned buffer gives back its first page once a payload was written") {
  Region r;
  ReceivePage page = ReceivePage::of(r.base, 4 * kPage);
  REQUIRE_FALSE(page.empty());
  CHECK_FALSE(page.written());
  write_payload(r.base, "ping");
  REQUIRE(r.resident(0));
  CHECK(page.written());
  CHECK(page.release_if_written());
  CHECK_FALSE(r.resident(0));
  CHECK(std::memcmp(r.base + LWS_PRE, "\0\0\0\0", 4) == 0);
  // Nothing written since: nothing to give back.
  CHECK_FALSE(page.written());
  CHECK_FALSE(page.release_if_written());
  write_payload(r.base, "again");
  CHECK(page.release_if_written());
}

TEST_CASE("the page given back is the payload's, and the page before it keeps its bytes") {
  Region r;
  // The buffer starts a few bytes before a page, so its payload starts on the next page.
  std::byte* buffer = r.base + kPage - 8;
  ReceivePage page = ReceivePage::of(buffer, 2 * kPage);
  REQUIRE_FALSE(page.empty());
  std::memcpy(r.base, "neighbour", 9);
  write_payload(buffer, "ping");
  REQUIRE(r.resident(1));
  CHECK(page.release_if_written());
  CHECK_FALSE(r.resident(1));
  CHECK(r.resident(0));
  CHECK(std::memcmp(r.base, "neighbour", 9) == 0);
}

TEST_CASE("a buffer that shares the payload's page with other memory gives nothing back") {
  Region r;
  CHECK(ReceivePage::of(r.base, 512).empty());              // the default receive_buffer
  CHECK(ReceivePage::of(r.base + 100, 2 * kPage).empty());  // the page begins before it
  CHECK(ReceivePage::of(r.base, kPage - 1).empty());        // the page ends after it
  CHECK(ReceivePage::of(nullptr, 4 * kPage).empty());       // libwebsockets' own allocator
  ReceivePage none;
  CHECK_FALSE(none.written());
  CHECK_FALSE(none.release_if_written());
}

TEST_CASE("a payload of zero bytes goes unseen and keeps its page") {
  Region r;
  ReceivePage page = ReceivePage::of(r.base, kPage);
  REQUIRE_FALSE(page.empty());
  std::memset(r.base + LWS_PRE, 0, 8);  // written, but to zeros
  REQUIRE(r.resident(0));
  CHECK_FALSE(page.release_if_written());
  CHECK(r.resident(0));
}

}  // namespace
}  // namespace holdfast
