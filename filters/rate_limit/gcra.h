// The generic cell rate algorithm (GCRA) in integer nanoseconds. A limit of N per period with a
// burst B has the emission interval T = period / N and admits B back-to-back requests from an
// idle start, then one every T. The state of a key is one number, its theoretical arrival time
// (TAT): the moment the key would be idle again.
//
// The test, for a request of cost c at `now` (c = 1 for a message or a connection, c = the
// message's bytes for a byte limit), in the usual form with the tolerance tau = T * (B - 1):
//
//   allowed  <=>  max(TAT, now) + T*c - now  <=  tau + T   (= T*B, called the window here)
//
// When allowed, TAT becomes max(TAT, now) + T*c; a refusal leaves it as it was, and the caller
// may retry after max(TAT, now) + T*c - T*B - now. A cost above B can never pass.
//
// T*c is computed exactly as floor(c * period / N) in 128 bits, so rates whose interval is not
// a whole number of nanoseconds (3/s, 64KiB/s) keep their burst: B requests of T*1 each never
// sum to more than floor(B * period / N).
#pragma once

#include <cstdint>

namespace holdfast::filters::rate_limit {

// Every time here is in nanoseconds on one clock; TAT values saturate far below INT64_MAX.
inline constexpr int64_t kMaxNanos = int64_t{1} << 62;

struct Limit {
  int64_t count = 1;  // N
  int64_t period_ns = 1'000'000'000;
  int64_t burst = 1;  // B, in the same unit as the cost

  // T * cost, saturated at kMaxNanos.
  int64_t interval(uint64_t cost) const;
  // T * B, the most a key may run ahead of now.
  int64_t window() const { return interval(static_cast<uint64_t>(burst)); }
};

struct Answer {
  bool allowed = false;
  bool never = false;   // the cost exceeds the burst: no wait makes it pass
  int64_t tat = 0;      // the new TAT when allowed, else the one given
  int64_t wait_ns = 0;  // when refused: how long until the same request would pass
};

// The decision for a request of `cost` against a key whose TAT is `tat` (0 for a key never
// seen). Pure: the caller stores answer.tat when it is allowed.
Answer decide(int64_t tat, int64_t now, const Limit& limit, uint64_t cost);

// Nanoseconds on the monotonic clock, always greater than 0.
int64_t monotonic_ns();

// Seconds for a Retry-After header: rounded up, at least 1.
uint32_t retry_after_seconds(int64_t wait_ns);
// Milliseconds for retry_after_ms: rounded up, at least 1.
uint32_t retry_after_millis(int64_t wait_ns);

}  // namespace holdfast::filters::rate_limit
