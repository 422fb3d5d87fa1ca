// Fixed-size blocks for one thread, carved from 64 KiB chunks: for objects that every connection
// has one of. Each block is exactly the object's size, where malloc would round it up to its
// size class, and the blocks share pages with nothing else. That matters for idle memory: a page
// of blocks that are in use is resident anyway, while buffers that an idle connection never
// touches (its receive buffer, in lws's malloc class) stay off the resident set only when no live
// object shares their pages.
//
// A chunk goes back to malloc when its last block is freed, but for one kept spare, so that a
// connection opening and closing at a chunk's edge does not map and unmap it each time.
#pragma once

#include <cstddef>
#include <cstdint>

namespace holdfast::util {

class BlockPool {
 public:
  static constexpr size_t kChunkSize = 64 * 1024;

  // Blocks of `block_size` bytes, aligned to `alignment` (a power of two up to 64).
  BlockPool(size_t block_size, size_t alignment);
  ~BlockPool();  // frees every chunk: the caller has destroyed what it made in them
  BlockPool(const BlockPool&) = delete;
  BlockPool& operator=(const BlockPool&) = delete;

  void* allocate();  // throws std::bad_alloc when malloc fails
  void deallocate(void* block);

  size_t blocks_per_chunk() const { return per_chunk_; }
  size_t chunks() const { return chunks_; }  // in use or spare

 private:
  struct Chunk;
  Chunk* new_chunk();
  void free_chunk(Chunk* c);

  size_t block_;
  size_t per_chunk_;
  Chunk* partial_ = nullptr;  // chunks with a free block; allocation takes the first
  Chunk* full_ = nullptr;     // chunks with none, kept only to be freed at the end
  Chunk* spare_ = nullptr;
  size_t chunks_ = 0;
};

}  // namespace holdfast::util
