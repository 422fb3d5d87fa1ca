#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <random>
#include <set>
#include <vector>

#include "proxy/util/block_pool.h"

using holdfast::util::BlockPool;

TEST_CASE("block pool: blocks are aligned, distinct and keep what is written to them") {
  BlockPool pool(488, 8);
  const size_t n = pool.blocks_per_chunk() * 3 + 5;
  CHECK(pool.blocks_per_chunk() == (BlockPool::kChunkSize - 64) / 488);
  std::vector<unsigned char*> blocks;
  for (size_t i = 0; i < n; ++i) {
    auto* b = static_cast<unsigned char*>(pool.allocate());
    REQUIRE(reinterpret_cast<uintptr_t>(b) % 8 == 0);
    std::memset(b, static_cast<int>(i & 0xff), 488);
    blocks.push_back(b);
  }
  CHECK(pool.chunks() == 4);
  std::vector<unsigned char*> sorted = blocks;
  std::sort(sorted.begin(), sorted.end());
  for (size_t i = 1; i < sorted.size(); ++i)
    REQUIRE(sorted[i] - sorted[i - 1] >= 488);  // none overlaps the next
  for (size_t i = 0; i < n; ++i)
    REQUIRE(std::count(blocks[i], blocks[i] + 488, static_cast<unsigned char>(i & 0xff)) == 488);
  for (auto* b : blocks)
    pool.deallocate(b);
  CHECK(pool.chunks() == 1);  // the spare
}

TEST_CASE("block pool: chunks go back as they empty, through random use") {
  BlockPool pool(100, 16);
  std::mt19937 rng(11);
  std::vector<void*> live;
  std::set<void*> seen_live;
  for (int step = 0; step < 200000; ++step) {
    const bool grow = live.size() < 3000 && (live.empty() || rng() % 100 < 55);
    if (grow) {
      void* b = pool.allocate();
      REQUIRE(reinterpret_cast<uintptr_t>(b) % 16 == 0);
      REQUIRE(seen_live.insert(b).second);  // never handed out twice
      live.push_back(b);
    } else {
      const size_t i = rng() % live.size();
      seen_live.erase(live[i]);
      pool.deallocate(live[i]);
      live[i] = live.back();
      live.pop_back();
    }
    const size_t needed = (live.size() + pool.blocks_per_chunk() - 1) / pool.blocks_per_chunk();
    REQUIRE(pool.chunks() >= needed);
  }
  for (void* b : live)
    pool.deallocate(b);
  CHECK(pool.chunks() == 1);
}
