// Receive buffers, each in whole pages, carved from address space reserved for them.
//
// libwebsockets gives each connection a receive buffer of the listener's `receive_buffer` and
// writes to it only a control frame's payload (lws_allocator.h), so a buffer's pages are not
// resident unless a ping or a close made its first one so; the worker gives that page back
// (receive_page.h). From jemalloc, a buffer of 16 KiB is a large allocation with about 170 bytes
// of bookkeeping of its own, which is most of what a large buffer costs an idle connection. Here
// every buffer starts on a page and costs 8 bytes once freed (its place in a free list). Unlike
// util::ExactPool, which packs OpenSSL's objects and links freed ones through their first bytes,
// nothing here writes to a buffer: a freed one stays as unresident as it was.
#pragma once

#include <cstddef>

namespace holdfast::receive_buffers {

// A buffer of `size` bytes in slot_size(size) bytes of its own, which starts on a page, or null
// when no more address space could be reserved. Any thread.
void* allocate(size_t size);
// Takes a buffer back if it came from allocate(); false when it did not come from here. Its first
// page stays as it is: a connection's closing handshake writes there, and giving the page back
// at each close, only for the next connection to fault it in again, cost churn about 15% of its
// CPU. trim() gives back what the freed buffers hold.
bool release(void* buffer);
// Gives back the first page of every freed buffer that a payload was written to; for the end of
// a burst of connections closing (memory_release.h).
void trim();
// The slot a buffer of `size` bytes takes: whole pages.
size_t slot_size(size_t size);
// The size of the buffer's slot if it came from allocate(), else 0.
size_t owned_size(const void* buffer);

}  // namespace holdfast::receive_buffers
