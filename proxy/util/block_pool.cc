#include "proxy/util/block_pool.h"

#include <algorithm>
#include <cstdlib>
#include <new>

#include "proxy/util/slab_parts.h"

namespace holdfast::util {

// At the start of each chunk, which is aligned to its size, so that a block finds its chunk by
// masking its address.
struct BlockPool::Chunk {
  Chunk* prev = nullptr;
  Chunk* next = nullptr;
  void* free = nullptr;  // blocks given back, each holding the next one's address
  uint32_t live = 0;     // blocks handed out and not given back
  uint32_t carved = 0;   // blocks handed out at least once: the rest were never touched
};

namespace {

constexpr size_t kHeader = 64;  // the Chunk, rounded up to keep blocks aligned

size_t round_up(size_t n, size_t to) {
  return (n + to - 1) / to * to;
}

}  // namespace

BlockPool::BlockPool(size_t block_size, size_t alignment)
    : block_(round_up(std::max(block_size, sizeof(void*)), std::max(alignment, alignof(void*)))),
      per_chunk_((kChunkSize - kHeader) / block_) {
  static_assert(sizeof(Chunk) <= kHeader);
  if (alignment > kHeader || kHeader % alignment != 0 || per_chunk_ == 0) throw std::bad_alloc();
}

BlockPool::~BlockPool() {
  for (Chunk** list : {&partial_, &full_}) {
    while (Chunk* c = *list) {
      *list = c->next;
      std::free(c);
    }
  }
  std::free(spare_);
}

BlockPool::Chunk* BlockPool::new_chunk() {
  if (Chunk* c = spare_) {
    spare_ = nullptr;
    return c;
  }
  void* mem = std::aligned_alloc(kChunkSize, kChunkSize);
  if (mem == nullptr) throw std::bad_alloc();
  ++chunks_;
  return new (mem) Chunk;
}

void BlockPool::free_chunk(Chunk* c) {
  if (spare_ == nullptr) {
    *c = Chunk{};
    spare_ = c;
    return;
  }
  std::free(c);
  --chunks_;
}

void* BlockPool::allocate() {
  if (partial_ == nullptr) list_push(partial_, new_chunk());
  Chunk* c = partial_;
  void* block = take_slot(*c, reinterpret_cast<std::byte*>(c) + kHeader, block_);
  if (++c->live == per_chunk_) {
    list_remove(partial_, c);
    list_push(full_, c);
  }
  return block;
}

void BlockPool::deallocate(void* block) {
  auto* c = reinterpret_cast<Chunk*>(reinterpret_cast<uintptr_t>(block) & ~(kChunkSize - 1));
  give_slot(*c, block);
  if (c->live-- == per_chunk_) {
    list_remove(full_, c);
    list_push(partial_, c);
  }
  if (c->live == 0) {
    list_remove(partial_, c);
    free_chunk(c);
  }
}

}  // namespace holdfast::util
