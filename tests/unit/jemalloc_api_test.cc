// holdfast declares jemalloc's flags itself, so that its binaries link with or without jemalloc;
// they must stay the values jemalloc.h gives them.
#include "proxy/jemalloc_api.h"

#include <jemalloc/jemalloc.h>

#include <catch2/catch.hpp>

namespace holdfast {

TEST_CASE("jemalloc flags: the same values as jemalloc.h") {
  CHECK(jemalloc::kTcacheNone == MALLOCX_TCACHE_NONE);
  CHECK(jemalloc::arena(0) == MALLOCX_ARENA(0));
  CHECK(jemalloc::arena(1) == MALLOCX_ARENA(1));
  CHECK(jemalloc::arena(4095) == MALLOCX_ARENA(4095));
}

TEST_CASE("jemalloc: not the malloc of a binary that does not link it") {
  const bool linked = mallocx != nullptr;  // outside CHECK, which would take it by reference
  CHECK_FALSE(linked);
  CHECK_FALSE(jemalloc::is_malloc());
}

}  // namespace holdfast
