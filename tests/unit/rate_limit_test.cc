// The rate_limit filter's arithmetic: GCRA decisions and waits, the lock-free shared table under
// two threads and when full, and the rate format. Settings and decisions have files of their own.
#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "filters/rate_limit/gcra.h"
#include "filters/rate_limit/settings.h"
#include "filters/rate_limit/shared_table.h"

namespace holdfast::filters::rate_limit {
namespace {

constexpr int64_t kSecond = 1'000'000'000;
constexpr int64_t kMs = 1'000'000;
constexpr int64_t kStart = 1'000 * kSecond;  // an arbitrary "now" for pure arithmetic

Limit per_second(int64_t n, int64_t burst) {
  return Limit{n, kSecond, burst};
}

}  // namespace

TEST_CASE("rate_limit: GCRA lets the burst through, then the steady rate") {
  const Limit limit = per_second(10, 5);  // T = 100 ms
  int64_t tat = 0;
  for (int i = 0; i < 5; ++i) {
    const Answer a = decide(tat, kStart, limit, 1);
    INFO("request " << i);
    REQUIRE(a.allowed);
    tat = a.tat;
  }
  CHECK(tat == kStart + 500 * kMs);

  const Answer sixth = decide(tat, kStart, limit, 1);
  CHECK_FALSE(sixth.allowed);
  CHECK_FALSE(sixth.never);
  CHECK(sixth.tat == tat);  // a refusal stores nothing
  CHECK(sixth.wait_ns == 100 * kMs);

  // One more every 100 ms, and not a nanosecond earlier.
  int64_t now = kStart;
  for (int i = 0; i < 20; ++i) {
    now += 100 * kMs;
    CHECK_FALSE(decide(tat, now - 1, limit, 1).allowed);
    const Answer a = decide(tat, now, limit, 1);
    REQUIRE(a.allowed);
    tat = a.tat;
    CHECK_FALSE(decide(tat, now, limit, 1).allowed);
  }

  // Idle for a while: the whole burst is back, and no more.
  now += 10 * kSecond;
  int allowed = 0;
  for (int i = 0; i < 10; ++i) {
    const Answer a = decide(tat, now, limit, 1);
    if (a.allowed) {
      ++allowed;
      tat = a.tat;
    }
  }
  CHECK(allowed == 5);
}

TEST_CASE("rate_limit: GCRA wait times and Retry-After values") {
  const Limit limit{1, 60 * kSecond, 1};  // 1/m
  const Answer first = decide(0, kStart, limit, 1);
  REQUIRE(first.allowed);
  const Answer second = decide(first.tat, kStart + 15 * kSecond, limit, 1);
  REQUIRE_FALSE(second.allowed);
  CHECK(second.wait_ns == 45 * kSecond);
  CHECK(retry_after_seconds(second.wait_ns) == 45);
  CHECK(retry_after_millis(second.wait_ns) == 45'000);

  CHECK(retry_after_seconds(1) == 1);  // rounded up, at least 1
  CHECK(retry_after_millis(1) == 1);
  CHECK(retry_after_seconds(0) == 1);
  CHECK(retry_after_seconds(1'500 * kMs) == 2);
  CHECK(retry_after_millis(1'500 * kMs) == 1'500);
  CHECK(retry_after_millis(1'500 * kMs + 1) == 1'501);
  CHECK(retry_after_seconds(kSecond) == 1);
  CHECK(retry_after_seconds(kSecond + 1) == 2);
}

TEST_CASE("rate_limit: GCRA with a cost: bytes, and a cost above the burst never passes") {
  const Limit bytes{1024, kSecond, 4096};  // 1KiB/s, burst 4KiB
  Answer a = decide(0, kStart, bytes, 4096);
  REQUIRE(a.allowed);
  CHECK(a.tat == kStart + 4 * kSecond);
  Answer b = decide(a.tat, kStart, bytes, 1);
  CHECK_FALSE(b.allowed);
  CHECK(b.wait_ns == kSecond / 1024);  // one byte's worth
  b = decide(a.tat, kStart + kSecond, bytes, 1024);
  CHECK(b.allowed);

  const Answer huge = decide(0, kStart, bytes, 4097);
  CHECK_FALSE(huge.allowed);
  CHECK(huge.never);
  CHECK(huge.wait_ns >= 1);
  CHECK(retry_after_seconds(huge.wait_ns) == 1);
  const Answer later = decide(a.tat, kStart, bytes, 10'000);
  CHECK(later.never);
  CHECK(later.wait_ns == 4 * kSecond);  // until the key is idle
}

TEST_CASE("rate_limit: GCRA keeps the burst when T is not a whole number of nanoseconds") {
  const Limit third = per_second(3, 3);  // T = 333333333.3 ns
  int64_t tat = 0;
  for (int i = 0; i < 3; ++i) {
    const Answer a = decide(tat, kStart, third, 1);
    REQUIRE(a.allowed);
    tat = a.tat;
  }
  CHECK_FALSE(decide(tat, kStart, third, 1).allowed);

  const Limit fast{64 * 1024, kSecond, 64 * 1024};  // 64KiB/s: T = 15258.8 ns a byte
  int64_t t = 0;
  for (int i = 0; i < 64; ++i) {
    const Answer a = decide(t, kStart, fast, 1024);
    REQUIRE(a.allowed);
    t = a.tat;
  }
  CHECK_FALSE(decide(t, kStart, fast, 1024).allowed);

  // Values far past any real use saturate instead of overflowing.
  const Limit slow{1, 3'600 * kSecond, 1'000'000'000};
  CHECK(slow.window() == kMaxNanos);
  CHECK(decide(0, kStart, slow, 1).allowed);
}

TEST_CASE("rate_limit: the shared table keys are keyed hashes") {
  SharedTable a(1024, 1);
  SharedTable b(1024, 2);
  CHECK(a.hash("ip", "10.0.0.1") == a.hash("ip", "10.0.0.1"));
  CHECK(a.hash("ip", "10.0.0.1") != b.hash("ip", "10.0.0.1"));
  CHECK(a.hash("ip", "10.0.0.1") != a.hash("user", "10.0.0.1"));
  CHECK(a.hash("ab", "c") != a.hash("a", "bc"));
  CHECK(a.hash("", "") != 0);
  CHECK(a.capacity() == 1024);
  CHECK(SharedTable(1000, 1).capacity() == 1024);
  CHECK(SharedTable(1, 1).capacity() == SharedTable::kProbe);
}

TEST_CASE("rate_limit: two threads on one key never get more than the limit allows") {
  SharedTable table(1024, 7);
  const Limit limit = per_second(2000, 50);  // T = 0.5 ms
  const uint64_t key = table.hash("ip", "192.0.2.1");
  std::atomic<bool> go{false};
  std::atomic<int64_t> allowed{0};
  std::atomic<int64_t> refused{0};
  std::atomic<int64_t> full{0};
  auto hammer = [&] {
    while (!go.load()) {
    }
    const auto end = std::chrono::steady_clock::now() + std::chrono::milliseconds(200);
    int64_t mine = 0;
    int64_t no = 0;
    while (std::chrono::steady_clock::now() < end) {
      const auto r = table.update(key, monotonic_ns(), limit, 1);
      if (r.status == SharedTable::Status::Allowed) {
        ++mine;
      } else if (r.status == SharedTable::Status::Limited) {
        ++no;
      } else {
        ++full;
      }
    }
    allowed += mine;
    refused += no;
  };
  const int64_t t0 = monotonic_ns();
  std::thread a(hammer), b(hammer);
  go = true;
  a.join();
  b.join();
  const int64_t t1 = monotonic_ns();
  const int64_t most = limit.burst + (t1 - t0) / limit.interval(1);
  INFO("allowed " << allowed.load() << ", refused " << refused.load() << ", at most " << most);
  CHECK(allowed.load() <= most);
  CHECK(allowed.load() >= limit.burst);  // the limit is reached, not stuck at zero
  CHECK(refused.load() > 0);
  CHECK(full.load() == 0);
  CHECK(table.full_count() == 0);
}

TEST_CASE("rate_limit: two threads on overlapping keys keep each key within its limit") {
  // A small table, so that probe windows overlap and keys share entries' neighbourhoods.
  SharedTable table(64, 11);
  const Limit limit = per_second(1000, 20);
  constexpr int kKeys = 24;
  std::vector<uint64_t> keys;
  for (int i = 0; i < kKeys; ++i)
    keys.push_back(table.hash("user", "u" + std::to_string(i)));
  std::atomic<bool> go{false};
  std::vector<std::atomic<int64_t>> allowed(kKeys);
  auto hammer = [&](int first) {
    while (!go.load()) {
    }
    const auto end = std::chrono::steady_clock::now() + std::chrono::milliseconds(200);
    std::vector<int64_t> mine(kKeys, 0);
    for (int i = 0; std::chrono::steady_clock::now() < end; ++i) {
      const int k = (first + i) % 16 + (first == 0 ? 0 : 8);  // keys 0-15 and 8-23
      if (table.update(keys[k], monotonic_ns(), limit, 1).status != SharedTable::Status::Limited)
        ++mine[k];
    }
    for (int k = 0; k < kKeys; ++k)
      allowed[k] += mine[k];
  };
  const int64_t t0 = monotonic_ns();
  std::thread a(hammer, 0), b(hammer, 8);
  go = true;
  a.join();
  b.join();
  const int64_t t1 = monotonic_ns();
  const int64_t most = limit.burst + (t1 - t0) / limit.interval(1);
  for (int k = 0; k < kKeys; ++k) {
    INFO("key " << k << " allowed " << allowed[k].load() << ", at most " << most);
    CHECK(allowed[k].load() <= most);
    CHECK(allowed[k].load() >= limit.burst);
  }
  CHECK(table.full_count() == 0);
}

TEST_CASE("rate_limit: a full table allows and counts, and stale entries are taken over") {
  SharedTable table(16, 3);  // one probe window: exactly 16 keys fit
  const Limit hourly{1, 3'600 * kSecond, 1};
  for (int i = 0; i < 16; ++i) {
    const auto r = table.update(table.hash("ip", std::to_string(i)), kStart, hourly, 1);
    REQUIRE(r.status == SharedTable::Status::Allowed);
  }
  // Every entry holds a live key: the 17th is let through and counted.
  const uint64_t extra = table.hash("ip", "extra");
  CHECK(table.update(extra, kStart, hourly, 1).status == SharedTable::Status::Full);
  CHECK(table.update(extra, kStart, hourly, 1).status == SharedTable::Status::Full);
  CHECK(table.full_count() == 2);
  // The keys that are in still count.
  CHECK(table.update(table.hash("ip", "3"), kStart, hourly, 1).status ==
        SharedTable::Status::Limited);

  // An hour later every key is idle: the newcomer takes an entry over and is limited from then.
  const int64_t later = kStart + 3'601 * kSecond;
  CHECK(table.update(extra, later, hourly, 1).status == SharedTable::Status::Allowed);
  CHECK(table.update(extra, later, hourly, 1).status == SharedTable::Status::Limited);
  CHECK(table.full_count() == 2);
  // An old key that lost its entry starts fresh, as it would have anyway.
  CHECK(table.update(table.hash("ip", "0"), later, hourly, 1).status ==
        SharedTable::Status::Allowed);
}

TEST_CASE("rate_limit: rates are a count or a size per s, m or h") {
  auto rate = parse_rate("20/s", false);
  REQUIRE(rate);
  CHECK(rate->count == 20);
  CHECK(rate->period_ns == kSecond);
  rate = parse_rate("100/m", false);
  REQUIRE(rate);
  CHECK(rate->period_ns == 60 * kSecond);
  rate = parse_rate("64KiB/h", true);
  REQUIRE(rate);
  CHECK(rate->count == 65536);
  CHECK(rate->period_ns == 3'600 * kSecond);
  CHECK_FALSE(parse_rate("20", false));
  CHECK_FALSE(parse_rate("20/d", false));
  CHECK_FALSE(parse_rate("/s", false));
  CHECK_FALSE(parse_rate("64KiB/s", false));
  CHECK_FALSE(parse_rate("20/ s", false));
  CHECK_FALSE(parse_rate("", true));
}

}  // namespace holdfast::filters::rate_limit
