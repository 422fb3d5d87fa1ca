#include "proxy/lws_allocator.h"

#include <libwebsockets.h>

#include <cstdlib>
#include <cstring>
#include <mutex>

#include "proxy/jemalloc_api.h"

namespace holdfast {
namespace {

// The arena of every receive buffer, made once, before the first connection.
unsigned g_rx_arena = 0;

// Receive buffers bypass the thread's cache both ways, so that none is handed out for another
// object of its size, which would write its page. Every free bypasses it, since a free does not
// say what it frees; libwebsockets frees a few objects per connection, none per message.
void* allocate(void* ptr, size_t size, const char* reason) {
  if (size == 0) {
    if (ptr != nullptr) dallocx(ptr, jemalloc::kTcacheNone);
    return nullptr;
  }
  if (ptr == nullptr && reason != nullptr && std::strcmp(reason, "rx_ubuf") == 0)
    return mallocx(size, jemalloc::arena(g_rx_arena) | jemalloc::kTcacheNone);
  return std::realloc(ptr, size);
}

}  // namespace

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
