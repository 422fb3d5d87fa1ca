#include "proxy/lws_allocator.h"

#include <libwebsockets.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <utility>

#include "proxy/jemalloc_api.h"
#include "proxy/receive_buffers.h"
#include "proxy/receive_page.h"

namespace holdfast {
namespace {

// The arena of every receive buffer, made once, before the first connection.
unsigned g_rx_arena = 0;

// The receive buffer allocated last on this thread, until a session takes it.
thread_local NewReceiveBuffer t_new_buffer;

// Receive buffers come from address space of their own (receive_buffers.h), each in whole pages.
// When that cannot grow, from jemalloc, bypassing the thread's cache both ways, so that none is
// handed out for another object of its size, which would write its page. Every other free
// bypasses it too, since a free does not say what it frees; libwebsockets frees a few objects
// per connection, none per message.
void* allocate(void* ptr, size_t size, const char* reason) {
  if (size == 0) {
    if (ptr != nullptr && !receive_buffers::release(ptr)) dallocx(ptr, jemalloc::kTcacheNone);
    return nullptr;
  }
  if (ptr == nullptr && reason != nullptr && std::strcmp(reason, "rx_ubuf") == 0) {
    if (void* buffer = receive_buffers::allocate(size)) {
      t_new_buffer = {buffer, receive_buffers::slot_size(size)};
      return buffer;
    }
    void* buffer = mallocx(size, jemalloc::arena(g_rx_arena) | jemalloc::kTcacheNone);
    t_new_buffer = {buffer, size};
    return buffer;
  }
  if (ptr != nullptr) {
    if (const size_t had = receive_buffers::owned_size(ptr)) {  // not done by lws 4.1; kept safe
      void* moved = std::malloc(size);
      if (moved == nullptr) return nullptr;
      std::memcpy(moved, ptr, std::min(had, size));
      receive_buffers::release(ptr);
      return moved;
    }
  }
  return std::realloc(ptr, size);
}

}  // namespace

NewReceiveBuffer take_new_receive_buffer() {
  return std::exchange(t_new_buffer, NewReceiveBuffer{});
}

void install_lws_allocator() {
  if (mallctl == nullptr || dallocx == nullptr || !jemalloc::is_malloc()) return;
  static std::once_flag once;
  std::call_once(once, [] {
    // One arena for every worker: a buffer is taken and given back once per connection, and an
    // arena's own structures cost about 0.2 MB of resident memory.
    unsigned arena = 0;
    size_t len = sizeof arena;
    if (mallctl("arenas.create", &arena, &len, nullptr, 0) != 0) return;
    g_rx_arena = arena;
    lws_set_allocator(allocate);
  });
}

}  // namespace holdfast
