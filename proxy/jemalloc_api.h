// jemalloc's extended interface, present when the binary links jemalloc (the holdfast binary does;
// the test binaries use glibc's malloc). Declared weak so that both link: callers check for null
// and fall back to plain malloc.
#pragma once

#include <cstddef>

extern "C" {
int mallctl(const char* name, void* oldp, size_t* oldlenp, void* newp, size_t newlen)
    __attribute__((weak));
void* mallocx(size_t size, int flags) __attribute__((weak));
void dallocx(void* ptr, int flags) __attribute__((weak));
}

namespace holdfast::jemalloc {

// Flags of mallocx and dallocx, as jemalloc.h defines them.
constexpr int kTcacheNone = 1 << 8;  // MALLOCX_TCACHE_NONE: bypass the thread's cache
// MALLOCX_ARENA: allocate from arena `index`.
constexpr int arena(unsigned index) {
  return static_cast<int>((index + 1) << 20);
}

// Whether jemalloc is linked and is also the process's malloc. Not so when something in front of
// it provides malloc (a sanitizer, an allocator in LD_PRELOAD): then memory from malloc must not
// be given to dallocx, nor memory from mallocx to free.
bool is_malloc();

}  // namespace holdfast::jemalloc
