// The frame pool: frames come back when their last reference goes and are made again from the
// same memory, also when another thread drops them; sizes past the largest class are allocated
// alone; what is kept is bounded.
#include "proxy/frame_pool.h"

#include <catch2/catch.hpp>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace holdfast {
namespace {

std::string_view view(Frame& f) {
  return {reinterpret_cast<const char*>(f.payload()), f.size()};
}

}  // namespace

TEST_CASE("frame pool: a frame returns on its last unref and its memory is reused") {
  FramePool pool;
  Frame* first = pool.make("hello", true);
  REQUIRE(first != nullptr);
  CHECK(view(*first) == "hello");
  CHECK(first->text());
  {
    FrameRef a(first);
    FrameRef b = a;  // a second reference
    a = FrameRef();
    CHECK(pool.kept() == 0);  // b still holds it
  }
  CHECK(pool.kept() == 1);

  Frame* again = pool.make(std::string(64, 'x'), false);  // still the smallest class
  CHECK(again == first);
  CHECK(pool.kept() == 0);
  CHECK(view(*again) == std::string(64, 'x'));
  CHECK_FALSE(again->text());
  again->unref();
  CHECK(pool.kept() == 1);
}

TEST_CASE("frame pool: each size class is reused for its own sizes only") {
  FramePool pool;
  Frame* small = pool.make(std::string(10, 's'), true);
  Frame* mid = pool.make(std::string(1000, 'm'), true);
  small->unref();
  mid->unref();
  CHECK(pool.kept() == 2);
  Frame* mid_again = pool.make(std::string(1024, 'n'), true);  // the 1024 class
  CHECK(mid_again == mid);
  CHECK(view(*mid_again) == std::string(1024, 'n'));
  Frame* other = pool.make(std::string(257, 'o'), true);  // the 1024 class, now empty
  CHECK(other != small);
  CHECK(other != mid);
  mid_again->unref();
  other->unref();
  CHECK(pool.kept() == 3);
}

TEST_CASE("frame pool: frames past the largest class are not kept") {
  FramePool pool;
  const std::string big(FramePool::kCapacity.back() + 1, 'b');
  Frame* f = pool.make(big, false);
  REQUIRE(f != nullptr);
  CHECK(view(*f) == big);
  f->unref();
  CHECK(pool.kept() == 0);
  Frame* empty = pool.make("", true);
  CHECK(empty->size() == 0);
  empty->unref();
  CHECK(pool.kept() == 1);
}

TEST_CASE("frame pool: what it keeps is bounded") {
  FramePool pool;
  const std::string payload(FramePool::kCapacity.back(), 'k');
  const size_t most = FramePool::kKeepBytes / Frame::bytes_for(FramePool::kCapacity.back());
  std::vector<Frame*> frames;
  for (size_t i = 0; i < most + 10; ++i)
    frames.push_back(pool.make(payload, true));
  for (Frame* f : frames)
    f->unref();
  CHECK(pool.kept() == most);
}

TEST_CASE("frame pool: frames dropped on another thread come back through its queue") {
  FramePool pool;
  std::vector<Frame*> frames;
  std::set<Frame*> made;
  for (int i = 0; i < 100; ++i) {
    frames.push_back(pool.make("reply " + std::to_string(i), true));
    made.insert(frames.back());
  }
  // Two threads drop them at once, as two workers would.
  std::thread a([&] {
    for (size_t i = 0; i < frames.size(); i += 2)
      frames[i]->unref();
  });
  std::thread b([&] {
    for (size_t i = 1; i < frames.size(); i += 2)
      frames[i]->unref();
  });
  a.join();
  b.join();
  CHECK(pool.kept() == 0);  // queued, not yet taken back

  // The next make takes them back; all 100 are reused before anything new is allocated.
  std::vector<Frame*> again;
  for (int i = 0; i < 100; ++i) {
    again.push_back(pool.make("again", false));
    CHECK(made.count(again.back()) == 1);
    CHECK(view(*again.back()) == "again");
  }
  for (Frame* f : again)
    f->unref();
  CHECK(pool.kept() == 100);
}

}  // namespace holdfast
