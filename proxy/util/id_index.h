// Objects by their id, for one thread: an open-addressed table of 8-byte entries, each holding
// the id's hash and the object's slot in a table its owner keeps. Against
// std::unordered_map<std::string_view, T*>, whose every entry is a 48-byte node plus a bucket,
// this costs 11 to 21 bytes per object (a load between 3/8 and 3/4), and a lookup reads the
// object only when the hashes match.
#pragma once

#include <cstdint>
#include <functional>
#include <string_view>
#include <vector>

namespace holdfast::util {

// T has `std::string_view id() const`. Slot 0 is never an object's: it marks an empty entry.
template <typename T>
class IdIndex {
 public:
  // `slots` maps a slot to its object. The index keeps a reference: it must outlive the index.
  explicit IdIndex(const std::vector<T*>& slots) : slots_(slots) {}

  size_t size() const { return size_; }
  size_t capacity() const { return table_.size(); }

  // Adds the object in `slot` under `id`, which the index must not hold yet.
  void insert(std::string_view id, uint32_t slot) {
    if ((size_ + 1) * 4 > table_.size() * 3)
      resize(table_.empty() ? kMinCapacity : 2 * table_.size());
    place({hash(id), slot});
    ++size_;
  }

  T* find(std::string_view id) const {
    const size_t i = position(id);
    return i == kNone ? nullptr : slots_[table_[i].slot];
  }

  // Removes `id`; false when the index does not hold it.
  bool erase(std::string_view id) {
    size_t hole = position(id);
    if (hole == kNone) return false;
    // Backward shift: entries after the hole that may sit in it move up, so that no probe
    // sequence is cut and no tombstones build up.
    const size_t mask = table_.size() - 1;
    for (size_t j = (hole + 1) & mask; table_[j].slot != 0; j = (j + 1) & mask) {
      const size_t home = table_[j].hash & mask;
      const bool movable = hole <= j ? (home <= hole || home > j) : (home <= hole && home > j);
      if (movable) {
        table_[hole] = table_[j];
        hole = j;
      }
    }
    table_[hole] = Entry{};
    --size_;
    if (table_.size() > kMinCapacity && size_ * 8 < table_.size()) resize(table_.size() / 2);
    return true;
  }

  // Calls f(T&) for every object. f must not insert or erase.
  template <typename F>
  void for_each(F&& f) const {
    for (const Entry& e : table_) {
      if (e.slot != 0) f(*slots_[e.slot]);
    }
  }

 private:
  struct Entry {
    uint32_t hash = 0;
    uint32_t slot = 0;  // 0: empty
  };
  static constexpr size_t kMinCapacity = 16;
  static constexpr size_t kNone = ~size_t{0};

  static uint32_t hash(std::string_view id) {
    return static_cast<uint32_t>(std::hash<std::string_view>{}(id));
  }

  size_t position(std::string_view id) const {
    if (table_.empty()) return kNone;
    const uint32_t h = hash(id);
    const size_t mask = table_.size() - 1;
    for (size_t i = h & mask; table_[i].slot != 0; i = (i + 1) & mask) {
      if (table_[i].hash == h && slots_[table_[i].slot]->id() == id) return i;
    }
    return kNone;
  }

  void place(Entry e) {
    const size_t mask = table_.size() - 1;
    size_t i = e.hash & mask;
    while (table_[i].slot != 0)
      i = (i + 1) & mask;
    table_[i] = e;
  }

  void resize(size_t capacity) {
    std::vector<Entry> old(capacity);
    old.swap(table_);
    for (const Entry& e : old) {
      if (e.slot != 0) place(e);
    }
  }

  const std::vector<T*>& slots_;
  std::vector<Entry> table_;  // a power of two in size, or empty
  size_t size_ = 0;
};

}  // namespace holdfast::util
