// Where OpenSSL's allocations go.
//
// A TLS connection holds about 13.7 KB of OpenSSL's after its handshake, in some forty objects.
// malloc's size classes round the largest up: the 7,608-byte SSL object to 8 KiB, the session and
// the record layer's two cipher contexts (928 and 960 bytes) to 1 KiB, a copy of the certificate
// settings (536 bytes) to 640. Objects of 513 bytes to 16 KiB go to a util::ExactPool instead,
// which rounds them to 16 bytes: about 0.9 KB less per TLS connection. The rest, and the 17 KB
// record buffers that OpenSSL allocates and frees around each read and write, stay with malloc.
#pragma once

#include <cstddef>

#include "proxy/util/exact_pool.h"

namespace holdfast {

// Routes OpenSSL's allocations as above. Call first in main, before anything uses OpenSSL: once
// OpenSSL has allocated, it keeps its allocator, and this does nothing.
void install_openssl_allocator();

// Gives the kernel the pool's pages that hold no object (release_free_memory calls it).
void release_openssl_pool();

// The functions given to CRYPTO_set_mem_functions, here for the tests, which call them on a pool
// of their own (use_pool) since their OpenSSL has allocated before they run.
namespace openssl_memory {
void use_pool(util::ExactPool* pool);
void* allocate(size_t size, const char* file, int line);
void* reallocate(void* p, size_t size, const char* file, int line);
void release(void* p, const char* file, int line);
}  // namespace openssl_memory

}  // namespace holdfast
