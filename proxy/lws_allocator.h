// Where libwebsockets' allocations go.
//
// Each connection's receive buffer (a listener's `receive_buffer`, 512 bytes by default) is written
// only for a control frame's payload: libwebsockets unmasks data frames where it read them, in the
// worker's read buffer. Allocated among other objects, a receive buffer shares their pages, which
// are resident whatever it holds. Kept apart, the receive buffers fill pages that nothing writes,
// which the kernel never backs: they cost address space, not memory. They come from
// receive_buffers.h, each in whole pages of its own, so that the page a ping's payload made
// resident can be given back (receive_page.h); from a jemalloc arena of their own when that
// reserve cannot grow.
#pragma once

#include <cstddef>

namespace holdfast {

// Makes libwebsockets allocate through holdfast; before the first context. Without jemalloc, or
// when something else provides malloc, libwebsockets keeps its own allocator (malloc).
void install_lws_allocator();

struct NewReceiveBuffer {
  void* data = nullptr;
  size_t size = 0;
};
// The receive buffer libwebsockets allocated last on this thread, which it then forgets; nothing
// when libwebsockets keeps its own allocator. libwebsockets allocates a connection's buffer just
// before it reports the connection established, so the session takes its own there.
NewReceiveBuffer take_new_receive_buffer();

}  // namespace holdfast
