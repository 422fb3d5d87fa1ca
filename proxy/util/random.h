// Randomness for identifiers: a kernel CSPRNG for what must never repeat across processes, and a
// fast per-thread generator for trace and span ids.
#pragma once

#include <cstddef>
#include <cstdint>

namespace holdfast::util {

// Fills `out` from the kernel's CSPRNG (getrandom). Blocks only until the kernel's pool is
// first initialised, early in boot.
void secure_random(void* out, size_t size);

// xoshiro256**, one state per thread, seeded from secure_random on the thread's first call.
// Fast and well distributed; not for secrets.
uint64_t fast_random();

}  // namespace holdfast::util
