#include <catch2/catch.hpp>

#include <algorithm>
#include <cstring>

#include "proxy/openssl_allocator.h"

namespace m = holdfast::openssl_memory;
using holdfast::util::ExactPool;

namespace {

bool filled(const void* p, size_t n, unsigned char c) {
  const auto* b = static_cast<const unsigned char*>(p);
  return std::all_of(b, b + n, [c](unsigned char x) { return x == c; });
}

}  // namespace

TEST_CASE("openssl allocator: sizes of 513 B to 16 KiB go to the pool, the rest to malloc") {
  ExactPool pool(8 << 20);
  m::use_pool(&pool);
  void* small = m::allocate(512, __FILE__, __LINE__);
  void* mid = m::allocate(7608, __FILE__, __LINE__);
  void* large = m::allocate(17 * 1024, __FILE__, __LINE__);
  CHECK_FALSE(pool.owns(small));
  CHECK(pool.owns(mid));
  CHECK(pool.size_of(mid) == 7616);
  CHECK_FALSE(pool.owns(large));
  for (void* p : {small, mid, large})
    m::release(p, __FILE__, __LINE__);
  m::release(nullptr, __FILE__, __LINE__);
  pool.release_empty();
  CHECK(pool.spans_in_use() == 0);
  m::use_pool(nullptr);
}

TEST_CASE("openssl allocator: a resized object keeps its bytes and leaves the pool") {
  ExactPool pool(8 << 20);
  m::use_pool(&pool);
  void* p = m::reallocate(nullptr, 600, __FILE__, __LINE__);  // 608 in the pool
  REQUIRE(pool.owns(p));
  std::memset(p, 0x3c, 600);
  CHECK(m::reallocate(p, 605, __FILE__, __LINE__) == p);  // the same 608-byte slot

  void* grown = m::reallocate(p, 2000, __FILE__, __LINE__);
  CHECK_FALSE(pool.owns(grown));
  CHECK(filled(grown, 600, 0x3c));
  void* again = m::reallocate(grown, 1000, __FILE__, __LINE__);  // malloc's stays malloc's
  CHECK_FALSE(pool.owns(again));
  CHECK(filled(again, 600, 0x3c));

  void* shrunk = m::allocate(4000, __FILE__, __LINE__);
  std::memset(shrunk, 0x7e, 4000);
  void* moved = m::reallocate(shrunk, 100, __FILE__, __LINE__);
  CHECK_FALSE(pool.owns(moved));
  CHECK(filled(moved, 100, 0x7e));

  CHECK(m::reallocate(again, 0, __FILE__, __LINE__) == nullptr);  // freed
  m::release(moved, __FILE__, __LINE__);
  pool.release_empty();
  CHECK(pool.spans_in_use() == 0);  // every pooled object was given back
  m::use_pool(nullptr);
}
