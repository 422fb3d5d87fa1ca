// The order check of one numbered stream of messages (a subscriber's records, a connection's
// replies): numbers first, first + step, first + 2·step, … must each arrive once, in order. A
// number skipped is kept as a gap until it arrives (late: reordered) or the run ends (missing).
#pragma once

#include <algorithm>
#include <cstdint>
#include <vector>

namespace hfbench {

class Sequence {
 public:
  // Gaps kept per stream; past this many, a skipped number counts as missing at once.
  static constexpr size_t kMaxGaps = 1024;

  enum class Verdict {
    kInOrder,  // the next number, or one past a gap (skipped() says how many it passed)
    kLate,     // a number skipped earlier: out of order
    kRepeat,   // a number that already arrived
  };

  explicit Sequence(uint64_t first = 0, uint64_t step = 1) : next_(first), step_(step) {}

  Verdict Take(uint64_t n) {
    skipped_ = 0;
    if (n < next_) {
      const auto gap = std::find(gaps_.begin(), gaps_.end(), n);
      if (gap == gaps_.end()) return Verdict::kRepeat;
      *gap = gaps_.back();
      gaps_.pop_back();
      return Verdict::kLate;
    }
    skipped_ = (n - next_) / step_;
    const uint64_t kept = std::min<uint64_t>(skipped_, kMaxGaps - std::min(kMaxGaps, gaps_.size()));
    for (uint64_t i = 0; i < kept; ++i)
      gaps_.push_back(next_ + i * step_);
    lost_ += skipped_ - kept;
    next_ = n + step_;
    return Verdict::kInOrder;
  }

  // How many numbers the last Take skipped.
  uint64_t skipped() const { return skipped_; }
  // The number expected next.
  uint64_t next() const { return next_; }
  // Numbers skipped and never arrived, so far: at the end of a run, the stream's missing ones
  // before next().
  uint64_t missing() const { return gaps_.size() + lost_; }

 private:
  uint64_t next_, step_;
  uint64_t skipped_ = 0;
  uint64_t lost_ = 0;  // skipped past kMaxGaps
  std::vector<uint64_t> gaps_;
};

}  // namespace hfbench
