// Objects of 513 bytes to 16 KiB, each rounded up to 16 bytes and no further, for a library that
// keeps a few such objects per connection (OpenSSL: its 7,608-byte SSL object, which malloc's size
// classes put in 8 KiB, and three more of 536 to 960 bytes).
//
// The objects live in one range of address space reserved at construction, so that a pointer
// says by its address whether it is the pool's. The range is cut into 1 MiB spans, and each span
// in use holds objects of one size, packed end to end. A span's pages are backed only once written,
// and when its last object is freed they go back to the kernel, but for one empty span kept per
// size, so that a connection opening and closing at a span's edge does not cost a system call.
//
// Thread-safe: one mutex guards it. It is taken when an object is made or freed, which OpenSSL does
// when a connection's TLS session begins and ends, not per message.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <mutex>

namespace holdfast::util {

class ExactPool {
 public:
  static constexpr size_t kSpan = size_t{1} << 20;
  static constexpr size_t kQuantum = 16;
  static constexpr size_t kMinSize = 513;  // smaller objects waste at most 16 bytes in malloc
  static constexpr size_t kMaxSize = 16 * 1024;

  // Reserves `reserve` bytes of address space (rounded down to whole spans), or as much as half of
  // it, a quarter, ... down to one span; reserved() is 0 when even that failed.
  explicit ExactPool(size_t reserve);
  ~ExactPool();  // unmaps everything: no object may outlive the pool
  ExactPool(const ExactPool&) = delete;
  ExactPool& operator=(const ExactPool&) = delete;

  static bool fits(size_t size) { return size >= kMinSize && size <= kMaxSize; }

  // An object of `size` bytes (fits(size)), 16-byte aligned; nullptr when the range is full.
  void* allocate(size_t size);
  void deallocate(void* object);  // owns(object)

  bool owns(const void* p) const {
    const auto a = reinterpret_cast<uintptr_t>(p);
    return a >= reinterpret_cast<uintptr_t>(base_) &&
           a < reinterpret_cast<uintptr_t>(base_) + reserved_;
  }
  size_t size_of(const void* object) const;  // the size it was rounded to

  // Gives the kernel the pages of every span that holds no object.
  void release_empty();

  size_t reserved() const { return reserved_; }
  size_t spans_in_use() const;  // spans that hold objects or are kept empty

 private:
  struct Span {
    Span* prev = nullptr;
    Span* next = nullptr;
    void* free = nullptr;  // slots given back, each holding the next one's address
    uint32_t slot = 0;     // bytes per object; 0 while the span is unused
    uint32_t capacity = 0;
    uint32_t live = 0;    // objects handed out and not given back
    uint32_t carved = 0;  // slots handed out at least once: the rest were never written
  };
  static constexpr size_t kClasses = kMaxSize / kQuantum + 1;

  Span* take_span(uint32_t slot);  // nullptr when the range is full
  void give_back(Span* s);
  std::byte* start_of(const Span* s) const;
  Span* span_of(const void* object) const;  // owns(object)

  mutable std::mutex mu_;
  std::byte* base_ = nullptr;
  size_t reserved_ = 0;
  Span* spans_ = nullptr;  // one per span of the range
  size_t fresh_ = 0;       // spans_[fresh_...] were never used
  Span* unused_ = nullptr;
  size_t in_use_ = 0;
  std::array<Span*, kClasses> partial_{};  // per size, the spans with a free slot
};

}  // namespace holdfast::util
