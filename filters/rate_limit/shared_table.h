// GCRA state for keys shared by every worker of the process (a client IP, a user): a fixed-size
// open-addressing table that threads update with compare-and-swap only. No lock, and nothing is
// allocated after construction.
//
// Each entry is {key, tat}: the key's 64-bit keyed hash (0 marks an empty entry) and its GCRA
// theoretical arrival time. A key lives in the first entry of its probe window (kProbe entries
// from hash % capacity) that held it, was empty, or was stale when it arrived. An entry is stale
// when its TAT has passed: its key is then idle and a fresh key behaves the same, so another
// key may take the entry over. Taking over is itself a CAS: tat goes from the stale value to a
// sentinel (kClaimed), the key is written, then tat is reset; an update that meets the
// sentinel, or finds its key changed under it, starts over.
//
// When a key finds no entry in its window (every one holds a live key), the request is allowed
// and counted in full_count(); a table big enough for the keys active within one window never
// fills. Memory is 16 bytes an entry: 1 MiB for the default 65536.
//
// Two threads that see the same new key at the instant an entry in its window turns stale may
// store it twice; each copy then counts on its own, and the older copy soon goes stale.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string_view>

#include "filters/rate_limit/gcra.h"

namespace holdfast::filters::rate_limit {

class SharedTable {
 public:
  static constexpr size_t kProbe = 16;
  static constexpr size_t kDefaultCapacity = 65536;

  enum class Status { Allowed, Limited, Full };
  struct Result {
    Status status = Status::Allowed;
    Answer answer;
  };

  // `capacity` is rounded up to a power of two, at least kProbe.
  explicit SharedTable(size_t capacity, uint64_t seed);
  SharedTable(const SharedTable&) = delete;
  SharedTable& operator=(const SharedTable&) = delete;

  // A keyed hash of `tag` and `id` (never 0). The seed is per table, so a client cannot pick
  // ids that collide.
  uint64_t hash(std::string_view tag, std::string_view id) const;

  // One GCRA decision for `key` (from hash()), stored when allowed.
  Result update(uint64_t key, int64_t now, const Limit& limit, uint64_t cost);

  size_t capacity() const { return mask_ + 1; }
  uint64_t full_count() const { return full_.load(std::memory_order_relaxed); }

 private:
  static constexpr int64_t kClaimed = INT64_MIN;
  struct Entry {
    std::atomic<uint64_t> key{0};
    std::atomic<int64_t> tat{0};
  };
  // The entry for `key` within its window, taking over an empty or stale one; null when full.
  // `busy` is set when an entry was being taken over and the caller should look again.
  Entry* find(uint64_t key, int64_t now, bool& busy);

  std::unique_ptr<Entry[]> entries_;
  size_t mask_;
  uint64_t k0_, k1_;
  std::atomic<uint64_t> full_{0};
};

}  // namespace holdfast::filters::rate_limit
