#include "proxy/receive_buffers.h"

#include <sys/mman.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <cstring>
#include <mutex>
#include <vector>

#include "proxy/receive_page.h"

namespace holdfast::receive_buffers {
namespace {

// Address space is reserved this much at a time: 4,096 buffers of 16 KiB. Reserved, not used:
// nothing is resident until written, and MAP_NORESERVE keeps it out of the commit charge.
constexpr size_t kChunkBytes = size_t{64} << 20;

struct Chunk {
  std::byte* base;
  size_t bytes;       // reserved
  size_t slot_bytes;  // the buffer size it is carved in, a whole number of pages
  size_t carved;      // bytes handed out so far, from the start
};

struct SizeClass {
  size_t slot_bytes;
  std::vector<std::byte*> free;
  Chunk* carving = nullptr;  // the chunk new buffers come from
};

// Buffers are taken and given back once per connection, never per message, so one lock serves.
struct Reserve {
  // Where the chunks lie, lowest start to highest end, so that a free of anything else (most of
  // what libwebsockets frees) is told apart without the lock.
  std::atomic<uintptr_t> lowest{UINTPTR_MAX};
  std::atomic<uintptr_t> highest{0};
  std::mutex mu;
  std::vector<Chunk*> chunks;  // never unmapped; few (one per 64 MiB)
  std::vector<SizeClass> classes;
};

Reserve& reserve() {
  static Reserve* r = new Reserve;  // outlives every worker, the last frees included
  return *r;
}

SizeClass& class_for(Reserve& r, size_t slot_bytes) {
  for (auto& c : r.classes)
    if (c.slot_bytes == slot_bytes) return c;
  r.classes.push_back(SizeClass{slot_bytes, {}, nullptr});
  return r.classes.back();
}

Chunk* new_chunk(Reserve& r, size_t slot_bytes) {
  const size_t bytes = std::max(kChunkBytes, slot_bytes);
  void* base = mmap(nullptr, bytes, PROT_READ | PROT_WRITE,
                    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (base == MAP_FAILED) return nullptr;
  auto* chunk = new Chunk{static_cast<std::byte*>(base), bytes, slot_bytes, 0};
  r.chunks.push_back(chunk);
  const auto start = reinterpret_cast<uintptr_t>(base);
  if (start < r.lowest.load(std::memory_order_relaxed)) r.lowest.store(start);
  if (start + bytes > r.highest.load(std::memory_order_relaxed)) r.highest.store(start + bytes);
  return chunk;
}

bool may_own(const Reserve& r, const void* p) {
  const auto at = reinterpret_cast<uintptr_t>(p);
  return at >= r.lowest.load(std::memory_order_relaxed) &&
         at < r.highest.load(std::memory_order_relaxed);
}

// The chunk a buffer came from; the lock is held.
const Chunk* owner(const Reserve& r, const std::byte* p) {
  for (const Chunk* chunk : r.chunks)
    if (p >= chunk->base && p < chunk->base + chunk->carved) return chunk;
  return nullptr;
}

}  // namespace

size_t slot_size(size_t size) {
  const size_t page = page_size();
  return (size + page - 1) / page * page;
}

void* allocate(size_t size) {
  const size_t slot_bytes = slot_size(size);
  Reserve& r = reserve();
  std::lock_guard<std::mutex> lock(r.mu);
  SizeClass& c = class_for(r, slot_bytes);
  if (!c.free.empty()) {
    std::byte* buffer = c.free.back();
    c.free.pop_back();
    return buffer;
  }
  if (c.carving == nullptr || c.carving->carved + slot_bytes > c.carving->bytes) {
    c.carving = new_chunk(r, slot_bytes);
    if (c.carving == nullptr) return nullptr;
  }
  std::byte* buffer = c.carving->base + c.carving->carved;
  c.carving->carved += slot_bytes;
  return buffer;
}

bool release(void* buffer) {
  Reserve& r = reserve();
  if (!may_own(r, buffer)) return false;
  auto* p = static_cast<std::byte*>(buffer);
  std::lock_guard<std::mutex> lock(r.mu);
  const Chunk* chunk = owner(r, p);
  if (chunk == nullptr) return false;
  class_for(r, chunk->slot_bytes).free.push_back(p);
  return true;
}

void trim() {
  Reserve& r = reserve();
  std::lock_guard<std::mutex> lock(r.mu);
  for (const SizeClass& c : r.classes) {
    for (std::byte* buffer : c.free)
      ReceivePage::of(buffer, c.slot_bytes).release_if_written();
  }
}

size_t owned_size(const void* buffer) {
  Reserve& r = reserve();
  if (!may_own(r, buffer)) return 0;
  std::lock_guard<std::mutex> lock(r.mu);
  const Chunk* chunk = owner(r, static_cast<const std::byte*>(buffer));
  return chunk == nullptr ? 0 : chunk->slot_bytes;
}

}  // namespace holdfast::receive_buffers
