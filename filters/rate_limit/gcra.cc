#include "filters/rate_limit/gcra.h"

#include <algorithm>
#include <chrono>
#include <limits>

namespace holdfast::filters::rate_limit {
namespace {

__extension__ using Wide = unsigned __int128;

int64_t saturated_add(int64_t a, int64_t b) {
  return a > kMaxNanos - b ? kMaxNanos : a + b;
}

uint32_t rounded_up(int64_t value, int64_t unit) {
  const int64_t n = value <= 0 ? 1 : std::max<int64_t>(1, (value + unit - 1) / unit);
  return static_cast<uint32_t>(std::min<int64_t>(n, std::numeric_limits<uint32_t>::max()));
}

}  // namespace

int64_t Limit::interval(uint64_t cost) const {
  if (count <= 0) return kMaxNanos;
  const Wide product = Wide{cost} * static_cast<uint64_t>(period_ns);
  const Wide t = product / static_cast<uint64_t>(count);
  return t >= static_cast<Wide>(kMaxNanos) ? kMaxNanos : static_cast<int64_t>(t);
}

Answer decide(int64_t tat, int64_t now, const Limit& limit, uint64_t cost) {
  Answer a;
  a.tat = tat;
  const int64_t window = limit.window();
  const int64_t base = std::max(tat, now);
  if (cost > static_cast<uint64_t>(limit.burst)) {
    // Report the time until the key is idle, so a client that waits gets a full burst.
    a.never = true;
    a.wait_ns = std::max<int64_t>(base - now, 1);
    return a;
  }
  const int64_t next = saturated_add(base, limit.interval(cost));
  const int64_t wait = next - window - now;
  if (wait > 0) {
    a.wait_ns = wait;
    return a;
  }
  a.allowed = true;
  a.tat = next;
  return a;
}

int64_t monotonic_ns() {
  const auto t = std::chrono::steady_clock::now().time_since_epoch();
  return std::max<int64_t>(1, std::chrono::duration_cast<std::chrono::nanoseconds>(t).count());
}

uint32_t retry_after_seconds(int64_t wait_ns) {
  return rounded_up(wait_ns, 1'000'000'000);
}

uint32_t retry_after_millis(int64_t wait_ns) {
  return rounded_up(wait_ns, 1'000'000);
}

}  // namespace holdfast::filters::rate_limit
