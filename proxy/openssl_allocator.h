// Where OpenSSL's allocations go.
//
// A TLS connection holds about 13.7 KB of OpenSSL's after its handshake, in some forty objects.
// malloc's size classes round the largest up: the 7,608-byte SSL object to 8 KiB, the session and
// the record layer's two cipher contexts (928 and 960 bytes) to 1 KiB, a copy of the certificate
// settings (536 bytes) to 640. Objects of 513 bytes to 16 KiB go to a util::ExactPool instead,
// which rounds them to 16 bytes: about 0.9 KB less per TLS connection. The rest, and the 17 KB
// record buffers that OpenSSL allocates and frees around each read and write, stay with malloc.
#pragma once

namespace holdfast {

// Routes OpenSSL's allocations as above. Call first in main, before anything uses OpenSSL: once
// OpenSSL has allocated, it keeps its allocator, and this does nothing.
void install_openssl_allocator();

// Gives the kernel the pool's pages that hold no object (release_free_memory calls it).
void release_openssl_pool();

}  // namespace holdfast
