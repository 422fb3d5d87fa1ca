// Built as the holdfast binary is, linked with jemalloc, which is then the process's malloc; but
// for a build with AddressSanitizer, whose malloc comes first.
#include <catch2/catch.hpp>

#include <cstdlib>

#include "proxy/jemalloc_api.h"

namespace holdfast {

#if defined(__SANITIZE_ADDRESS__)
TEST_CASE("jemalloc: linked behind a sanitizer's malloc, it is not the process's malloc") {
  const bool linked = mallocx != nullptr;  // outside REQUIRE, which would take it by reference
  REQUIRE(linked);
  CHECK_FALSE(jemalloc::is_malloc());
}
#else
TEST_CASE("jemalloc: linked, it is the process's malloc") {
  const bool linked = mallocx != nullptr;  // outside REQUIRE, which would take it by reference
  REQUIRE(linked);
  CHECK(jemalloc::is_malloc());
  // What malloc gives, dallocx takes back: the same allocator.
  void* p = std::malloc(100);
  REQUIRE(p != nullptr);
  dallocx(p, jemalloc::kTcacheNone);
}
#endif

}  // namespace holdfast
