// Built as the holdfast binary is, linked with jemalloc, which is then the process's malloc.
#include <catch2/catch.hpp>

#include <cstdlib>

#include "proxy/jemalloc_api.h"

namespace holdfast {

TEST_CASE("jemalloc: linked, it is the process's malloc") {
  const bool linked = mallocx != nullptr;  // outside REQUIRE, which would take it by reference
  REQUIRE(linked);
  CHECK(jemalloc::is_malloc());
  // What malloc gives, dallocx takes back: the same allocator.
  void* p = std::malloc(100);
  REQUIRE(p != nullptr);
  dallocx(p, jemalloc::kTcacheNone);
}

}  // namespace holdfast
