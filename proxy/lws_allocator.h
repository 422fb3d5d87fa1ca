// Where libwebsockets' allocations go.
//
// Each connection's receive buffer (a listener's `receive_buffer`, 512 bytes by default) is written
// only for a control frame's payload: libwebsockets unmasks data frames where it read them, in the
// worker's read buffer. Allocated among other objects, a receive buffer shares their pages, which
// are resident whatever it holds. In an arena of their own, the receive buffers fill pages that
// nothing writes, which the kernel never backs: they cost address space, not memory.
#pragma once

namespace holdfast {

// Makes libwebsockets allocate through holdfast; before the first context. Without jemalloc, or
// when something else provides malloc, libwebsockets keeps its own allocator (malloc).
void install_lws_allocator();

}  // namespace holdfast
