// Hands back to the kernel the memory that a burst of connections opening or closing freed, once
// the burst is over.
//
// Every upgrade allocates and frees libwebsockets' 16 KiB header buffer, and over TLS OpenSSL's
// handshake buffers; every close frees a connection's structures. After a burst the freed pages
// stay resident: jemalloc returns them gradually, and only while the process keeps allocating,
// which a proxy holding idle connections does not. One worker's loop owns each MemoryRelease.
#pragma once

#include <uv.h>

#include <chrono>
#include <cstdint>

namespace holdfast {

class MemoryRelease {
 public:
  using Clock = std::chrono::steady_clock;
  // A burst is over once no connection opened or closed for kQuiet; fewer than kBurst in it are
  // left to the allocator's own pace.
  static constexpr std::chrono::milliseconds kQuiet{200};
  static constexpr uint32_t kBurst = 32;

  void init(uv_loop_t* loop);
  void close();  // before the loop ends

  // A connection opened or closed.
  void note(Clock::time_point now) {
    last_ = now;
    if (events_++ == 0) arm(kQuiet);
  }

  uint64_t releases() const { return releases_; }

 private:
  static void on_timer(uv_timer_t* timer);
  void arm(std::chrono::milliseconds after);

  uv_timer_t timer_{};
  Clock::time_point last_{};
  uint32_t events_ = 0;  // since the last release
  uint64_t releases_ = 0;
};

// Returns the allocators' freed pages to the kernel: the empty spans of OpenSSL's pool, then with
// jemalloc this thread's cache and every arena's dirty pages, with glibc's malloc malloc_trim.
void release_free_memory();

}  // namespace holdfast
