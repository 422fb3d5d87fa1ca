#include "proxy/memory_release.h"

#include <malloc.h>

#include "proxy/jemalloc_api.h"
#include "proxy/openssl_allocator.h"
#include "proxy/receive_buffers.h"

namespace holdfast {

void MemoryRelease::init(uv_loop_t* loop) {
  uv_timer_init(loop, &timer_);
  timer_.data = this;
}

void MemoryRelease::close() {
  uv_timer_stop(&timer_);
  uv_close(reinterpret_cast<uv_handle_t*>(&timer_), nullptr);
}

void MemoryRelease::arm(std::chrono::milliseconds after) {
  uv_timer_start(&timer_, &MemoryRelease::on_timer, static_cast<uint64_t>(after.count()), 0);
}

void MemoryRelease::on_timer(uv_timer_t* timer) {
  auto& self = *static_cast<MemoryRelease*>(timer->data);
  const auto quiet = Clock::now() - self.last_;
  if (quiet < kQuiet) {
    self.arm(std::chrono::ceil<std::chrono::milliseconds>(kQuiet - quiet));
    return;
  }
  if (self.events_ >= kBurst) {
    release_free_memory();
    ++self.releases_;
  }
  self.events_ = 0;
}

void release_free_memory() {
  release_openssl_pool();
  receive_buffers::trim();
  if (mallctl == nullptr) {
    malloc_trim(0);
    return;
  }
  mallctl("thread.tcache.flush", nullptr, nullptr, nullptr, 0);
  mallctl("arena.4096.purge", nullptr, nullptr, nullptr, 0);  // 4096: MALLCTL_ARENAS_ALL
}

}  // namespace holdfast
