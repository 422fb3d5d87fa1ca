#include "proxy/openssl_allocator.h"

#include <openssl/crypto.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>

namespace holdfast {
namespace {

// Address space only: some 10 KB per TLS connection is pooled, so 16 GiB is room for over a
// million. Once it is full, objects go to malloc.
constexpr size_t kReserve = size_t{16} << 30;

// Made once and never destroyed: OpenSSL frees its last objects after main returns.
util::ExactPool* g_pool = nullptr;

}  // namespace

namespace openssl_memory {

void use_pool(util::ExactPool* pool) {
  g_pool = pool;
}

void* allocate(size_t size, const char*, int) {
  if (util::ExactPool::fits(size)) {
    if (void* p = g_pool->allocate(size)) return p;
  }
  return std::malloc(size);
}

void release(void* p, const char*, int) {
  if (g_pool->owns(p)) {
    g_pool->deallocate(p);
  } else {
    std::free(p);
  }
}

// A buffer that OpenSSL resizes is one that grows, a step at a time: it stays with malloc, or moves
// there from the pool, since in the pool each step would be a size of its own.
void* reallocate(void* p, size_t size, const char* file, int line) {
  if (p == nullptr) return allocate(size, file, line);
  if (size == 0) {
    release(p, file, line);
    return nullptr;
  }
  if (!g_pool->owns(p)) return std::realloc(p, size);
  const size_t had = g_pool->size_of(p);
  if (size <= had && size + util::ExactPool::kQuantum > had) return p;
  void* q = std::malloc(size);
  if (q == nullptr) return nullptr;
  std::memcpy(q, p, std::min(had, size));
  g_pool->deallocate(p);
  return q;
}

}  // namespace openssl_memory

void install_openssl_allocator() {
  if (g_pool != nullptr) return;
  auto* pool = new util::ExactPool(kReserve);
  g_pool = pool;
  if (pool->reserved() == 0 ||
      CRYPTO_set_mem_functions(openssl_memory::allocate, openssl_memory::reallocate,
                               openssl_memory::release) != 1) {
    g_pool = nullptr;
    delete pool;
  }
}

void release_openssl_pool() {
  if (g_pool != nullptr) g_pool->release_empty();
}

}  // namespace holdfast
