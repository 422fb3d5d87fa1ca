// Memory is handed back once a burst of connections opening or closing is over, and not for a
// trickle of them.
#include "proxy/memory_release.h"

#include <algorithm>
#include <catch2/catch.hpp>
#include <memory>
#include <vector>

namespace holdfast {
namespace {

// Runs the loop until the release timer has fired and gone quiet.
void run_until_idle(uv_loop_t& loop) {
  while (uv_run(&loop, UV_RUN_ONCE) != 0) {
  }
}

}  // namespace

TEST_CASE("memory release: once after a burst, not for a trickle") {
  uv_loop_t loop;
  REQUIRE(uv_loop_init(&loop) == 0);
  MemoryRelease release;
  release.init(&loop);
  using Clock = MemoryRelease::Clock;

  for (uint32_t i = 0; i < MemoryRelease::kBurst - 1; ++i)
    release.note(Clock::now());
  run_until_idle(loop);
  CHECK(release.releases() == 0);  // fewer than a burst: left to the allocator

  const auto start = Clock::now();
  for (uint32_t i = 0; i < MemoryRelease::kBurst; ++i)
    release.note(Clock::now());
  run_until_idle(loop);
  CHECK(release.releases() == 1);
  CHECK(Clock::now() - start >= MemoryRelease::kQuiet);

  // A burst that goes on past kQuiet is one burst: nothing is released while it lasts.
  struct Feeder {
    MemoryRelease* release;
    int notes_left = 8;  // every 50 ms: 400 ms in all
    uint64_t releases_while_going = 0;
  } feeder{&release};
  uv_timer_t feed;
  uv_timer_init(&loop, &feed);
  feed.data = &feeder;
  for (uint32_t i = 0; i < MemoryRelease::kBurst; ++i)
    release.note(Clock::now());
  uv_timer_start(
      &feed,
      [](uv_timer_t* t) {
        auto& f = *static_cast<Feeder*>(t->data);
        f.releases_while_going = std::max(f.releases_while_going, f.release->releases());
        f.release->note(Clock::now());
        if (--f.notes_left == 0) uv_timer_stop(t);
      },
      50, 50);
  run_until_idle(loop);
  CHECK(feeder.releases_while_going == 1);  // only the first burst's
  CHECK(release.releases() == 2);
  uv_close(reinterpret_cast<uv_handle_t*>(&feed), nullptr);

  release.close();
  uv_run(&loop, UV_RUN_DEFAULT);
  CHECK(uv_loop_close(&loop) == 0);
}

TEST_CASE("memory release: handing back freed memory leaves live memory intact") {
  std::vector<std::unique_ptr<char[]>> kept, freed;
  for (int i = 0; i < 64; ++i) {
    kept.emplace_back(new char[16384]);
    freed.emplace_back(new char[16384]);
    kept.back()[0] = static_cast<char>(i);
  }
  freed.clear();
  release_free_memory();
  for (int i = 0; i < 64; ++i)
    CHECK(kept[static_cast<size_t>(i)][0] == static_cast<char>(i));
}

}  // namespace holdfast
