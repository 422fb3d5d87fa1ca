#include <catch2/catch.hpp>

#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <map>
#include <random>
#include <thread>
#include <vector>

#include "proxy/util/exact_pool.h"

using holdfast::util::ExactPool;

namespace {

constexpr size_t kMiB = size_t{1} << 20;

}  // namespace

TEST_CASE("exact pool: objects are rounded to 16 bytes, aligned, apart and kept intact") {
  ExactPool pool(64 * kMiB);
  REQUIRE(pool.reserved() == 64 * kMiB);
  CHECK_FALSE(ExactPool::fits(512));
  CHECK(ExactPool::fits(513));
  CHECK(ExactPool::fits(16384));
  CHECK_FALSE(ExactPool::fits(16385));

  struct Object {
    unsigned char* p;
    size_t size;
  };
  std::vector<Object> objects;
  for (size_t size : {513, 536, 928, 960, 7608, 16384}) {
    for (int i = 0; i < 300; ++i) {
      auto* p = static_cast<unsigned char*>(pool.allocate(size));
      REQUIRE(p != nullptr);
      REQUIRE(pool.owns(p));
      REQUIRE(reinterpret_cast<uintptr_t>(p) % 16 == 0);
      REQUIRE(pool.size_of(p) == (size + 15) / 16 * 16);
      std::memset(p, static_cast<int>(objects.size() & 0xff), size);
      objects.push_back({p, size});
    }
  }
  std::vector<Object> sorted = objects;
  std::sort(sorted.begin(), sorted.end(), [](auto& a, auto& b) { return a.p < b.p; });
  for (size_t i = 1; i < sorted.size(); ++i)
    REQUIRE(sorted[i].p - sorted[i - 1].p >= static_cast<ptrdiff_t>(sorted[i - 1].size));
  for (size_t i = 0; i < objects.size(); ++i) {
    const auto fill = static_cast<unsigned char>(i & 0xff);
    REQUIRE(std::count(objects[i].p, objects[i].p + objects[i].size, fill) ==
            static_cast<ptrdiff_t>(objects[i].size));
  }
  // One span for 300 objects of each of the four sizes under 1 KiB, three for 7,616 bytes (137
  // to a span), five for 16 KiB (64 to a span).
  CHECK(pool.spans_in_use() == 4 + 3 + 5);

  int x = 0;
  CHECK_FALSE(pool.owns(&x));
  CHECK_FALSE(pool.owns(objects.front().p - 2 * ExactPool::kSpan - 1));
  for (auto& o : objects)
    pool.deallocate(o.p);
  CHECK(pool.spans_in_use() == 6);  // one kept empty per size
  pool.release_empty();
  CHECK(pool.spans_in_use() == 0);
}

TEST_CASE("exact pool: spans go back as they empty, through random use") {
  ExactPool pool(256 * kMiB);
  std::mt19937 rng(7);
  const size_t sizes[] = {600, 1000, 7608};
  std::map<void*, size_t> live;
  for (int step = 0; step < 100000; ++step) {
    if (live.size() < 2000 && (live.empty() || rng() % 100 < 55)) {
      const size_t size = sizes[rng() % 3];
      void* p = pool.allocate(size);
      REQUIRE(p != nullptr);
      REQUIRE(live.emplace(p, size).second);  // never handed out twice
      std::memset(p, 0x5a, size);
    } else {
      auto it = live.begin();
      std::advance(it, static_cast<long>(rng() % live.size()));
      pool.deallocate(it->first);
      live.erase(it);
    }
  }
  size_t needed = 0;  // spans that the live objects need at the least, and one spare per size
  for (size_t size : sizes) {
    const size_t n = static_cast<size_t>(
        std::count_if(live.begin(), live.end(), [&](auto& e) { return e.second == size; }));
    const size_t per_span = kMiB / ((size + 15) / 16 * 16);
    needed += (n + per_span - 1) / per_span;
  }
  CHECK(pool.spans_in_use() >= needed);
  CHECK(pool.spans_in_use() <= needed + 2 * std::size(sizes) + live.size() / 50);
  for (auto& [p, size] : live)
    pool.deallocate(p);
  CHECK(pool.spans_in_use() <= std::size(sizes));
}

TEST_CASE("exact pool: the range is whole spans, however much is asked for") {
  CHECK(ExactPool(3 * kMiB + 100).reserved() == 3 * kMiB);
  CHECK(ExactPool(kMiB - 1).reserved() == 0);
  ExactPool none(0);
  CHECK(none.reserved() == 0);
  CHECK_FALSE(none.owns(&none));
}

#if !defined(__SANITIZE_ADDRESS__)  // the sanitizer's own reservations exceed any such limit
TEST_CASE("exact pool: under an address-space limit it reserves less, and works") {
  const pid_t child = fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    rlimit limit{size_t{8} << 30, size_t{8} << 30};  // 8 GiB: far less than asked for below
    if (setrlimit(RLIMIT_AS, &limit) != 0) _exit(2);
    ExactPool pool(size_t{64} << 30);
    const bool less = pool.reserved() >= kMiB && pool.reserved() < (size_t{8} << 30);
    void* p = pool.allocate(7608);
    const bool works = p != nullptr && pool.owns(p);
    _exit(less && works ? 0 : 1);
  }
  int status = 0;
  REQUIRE(waitpid(child, &status, 0) == child);
  REQUIRE(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
}
#endif

TEST_CASE("exact pool: a full range gives nullptr, and spans given back are used again") {
  ExactPool pool(2 * kMiB);
  REQUIRE(pool.reserved() == 2 * kMiB);
  std::vector<void*> a;
  while (void* p = pool.allocate(8192))
    a.push_back(p);
  CHECK(a.size() == 2 * kMiB / 8192);
  CHECK(pool.allocate(1024) == nullptr);
  for (void* p : a)
    pool.deallocate(p);
  pool.release_empty();
  void* p = pool.allocate(1024);
  REQUIRE(p != nullptr);
  CHECK(std::count(static_cast<char*>(p), static_cast<char*>(p) + 1024, 0) == 1024);
  pool.deallocate(p);
}

TEST_CASE("exact pool: two threads allocating and freeing at once") {
  ExactPool pool(256 * kMiB);
  auto work = [&pool](unsigned seed, unsigned char fill) {
    std::mt19937 rng(seed);
    std::vector<std::pair<unsigned char*, size_t>> mine;
    bool intact = true;
    for (int step = 0; step < 50000; ++step) {
      if (mine.size() < 500 && (mine.empty() || rng() % 2 == 0)) {
        const size_t size = 513 + rng() % 4000;
        auto* p = static_cast<unsigned char*>(pool.allocate(size));
        if (p == nullptr) return false;
        std::memset(p, fill, size);
        mine.emplace_back(p, size);
      } else {
        const size_t i = rng() % mine.size();
        auto [p, size] = mine[i];
        intact = intact && std::count(p, p + size, fill) == static_cast<ptrdiff_t>(size);
        pool.deallocate(p);
        mine[i] = mine.back();
        mine.pop_back();
      }
    }
    for (auto [p, size] : mine)
      pool.deallocate(p);
    return intact;
  };
  bool first = false;
  std::thread other([&] { first = work(1, 0x11); });
  const bool second = work(2, 0x22);
  other.join();
  CHECK(first);
  CHECK(second);
  pool.release_empty();
  CHECK(pool.spans_in_use() == 0);
}
