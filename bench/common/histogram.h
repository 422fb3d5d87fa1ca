// Log-linear latency histogram: exact below 64 ns, then 32 sub-buckets per power of two, so every
// recorded value is kept within about 3% of its true size. Plain array, mergeable across processes.
#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>

namespace hfbench {

class Histogram {
 public:
  static constexpr int kLinear = 64;
  static constexpr int kSub = 32;
  static constexpr int kMaxMagnitude = 42;  // about 73 minutes in nanoseconds
  static constexpr int kBuckets = kLinear + (kMaxMagnitude - 5) * kSub;

  void Record(uint64_t v) {
    counts_[Index(v)]++;
    total_++;
    if (v > max_) max_ = v;
  }

  void Merge(const Histogram& o) {
    for (int i = 0; i < kBuckets; ++i)
      counts_[i] += o.counts_[i];
    total_ += o.total_;
    if (o.max_ > max_) max_ = o.max_;
  }

  uint64_t total() const { return total_; }
  uint64_t max() const { return max_; }

  // The upper edge of the bucket holding the q-th quantile (0 < q <= 1), never above the maximum.
  uint64_t Quantile(double q) const {
    if (total_ == 0) return 0;
    uint64_t rank = static_cast<uint64_t>(q * static_cast<double>(total_) + 0.5);
    if (rank < 1) rank = 1;
    if (rank > total_) rank = total_;
    uint64_t seen = 0;
    for (int i = 0; i < kBuckets; ++i) {
      seen += counts_[i];
      if (seen >= rank) {
        uint64_t up = UpperEdge(i);
        return up < max_ ? up : max_;
      }
    }
    return max_;
  }

  static int Index(uint64_t v) {
    if (v < kLinear) return static_cast<int>(v);
    int m = 63 - std::countl_zero(v);
    if (m > kMaxMagnitude) return kBuckets - 1;
    int shift = m - 5;
    return kLinear + (m - 6) * kSub + static_cast<int>((v >> shift) - kSub);
  }

  static uint64_t UpperEdge(int i) {
    if (i < kLinear) return static_cast<uint64_t>(i);
    int m = 6 + (i - kLinear) / kSub;
    uint64_t sub = static_cast<uint64_t>((i - kLinear) % kSub + kSub);
    int shift = m - 5;
    return (sub << shift) + ((uint64_t{1} << shift) - 1);
  }

 private:
  uint64_t counts_[kBuckets] = {};
  uint64_t total_ = 0;
  uint64_t max_ = 0;
};

}  // namespace hfbench
