#include "proxy/util/exact_pool.h"

#include <sys/mman.h>

#include "proxy/util/slab_parts.h"

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/lsan_interface.h>
#endif

namespace holdfast::util {

namespace {

void* map(size_t bytes, int protection) {
  void* p = mmap(nullptr, bytes, protection, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  return p == MAP_FAILED ? nullptr : p;
}

}  // namespace

ExactPool::ExactPool(size_t reserve) {
  // The range is reserved inaccessible, which costs no memory and no commit charge; a span becomes
  // writable when first used. One span more than asked keeps the first one aligned to its size.
  for (size_t want = reserve / kSpan * kSpan; want >= kSpan; want = want / 2 / kSpan * kSpan) {
    void* range = map(want + kSpan, PROT_NONE);
    if (range == nullptr) continue;
    void* table = map(want / kSpan * sizeof(Span), PROT_READ | PROT_WRITE);
    if (table == nullptr) {
      munmap(range, want + kSpan);
      continue;
    }
    const auto start = (reinterpret_cast<uintptr_t>(range) + kSpan - 1) & ~(kSpan - 1);
    const auto head = start - reinterpret_cast<uintptr_t>(range);
    if (head != 0) munmap(range, head);
    munmap(reinterpret_cast<std::byte*>(start) + want, kSpan - head);
    base_ = reinterpret_cast<std::byte*>(start);
    reserved_ = want;
    spans_ = static_cast<Span*>(table);  // zero-filled: every Span{} unused
#if defined(__SANITIZE_ADDRESS__)
    // The leak checker looks for pointers in the heap it made, not in this range: objects that
    // only the pool's objects point to would look leaked.
    __lsan_register_root_region(base_, reserved_);
#endif
    return;
  }
}

ExactPool::~ExactPool() {
  if (base_ == nullptr) return;
#if defined(__SANITIZE_ADDRESS__)
  __lsan_unregister_root_region(base_, reserved_);
#endif
  munmap(base_, reserved_);
  munmap(spans_, reserved_ / kSpan * sizeof(Span));
}

std::byte* ExactPool::start_of(const Span* s) const {
  return base_ + static_cast<size_t>(s - spans_) * kSpan;
}

ExactPool::Span* ExactPool::span_of(const void* object) const {
  return &spans_[static_cast<size_t>(static_cast<const std::byte*>(object) - base_) / kSpan];
}

ExactPool::Span* ExactPool::take_span(uint32_t slot) {
  Span* s = unused_;
  if (s != nullptr) {
    unused_ = s->next;
  } else {
    if (fresh_ == reserved_ / kSpan) return nullptr;
    s = &spans_[fresh_];
    if (mprotect(start_of(s), kSpan, PROT_READ | PROT_WRITE) != 0) return nullptr;
    ++fresh_;
  }
  *s = Span{};
  s->slot = slot;
  s->capacity = static_cast<uint32_t>(kSpan / slot);
  ++in_use_;
  return s;
}

void ExactPool::give_back(Span* s) {
  list_remove(partial_[s->slot / kQuantum], s);
  madvise(start_of(s), kSpan, MADV_DONTNEED);
  *s = Span{};
  s->next = unused_;
  unused_ = s;
  --in_use_;
}

void* ExactPool::allocate(size_t size) {
  const size_t index = (size + kQuantum - 1) / kQuantum;
  std::lock_guard lock(mu_);
  Span*& list = partial_[index];
  if (list == nullptr) {
    Span* s = take_span(static_cast<uint32_t>(index * kQuantum));
    if (s == nullptr) return nullptr;
    list_push(list, s);
  }
  Span* s = list;
  void* object = take_slot(*s, start_of(s), s->slot);
  if (++s->live == s->capacity) list_remove(list, s);  // full: back in a list when one is freed
  return object;
}

void ExactPool::deallocate(void* object) {
  std::lock_guard lock(mu_);
  Span* s = span_of(object);
  Span*& list = partial_[s->slot / kQuantum];
  give_slot(*s, object);
  if (s->live-- == s->capacity) list_push(list, s);
  if (s->live == 0 && !(list == s && s->next == nullptr)) give_back(s);
}

// Without the lock: a span's slot size does not change while it holds an object.
size_t ExactPool::size_of(const void* object) const {
  return span_of(object)->slot;
}

void ExactPool::release_empty() {
  std::lock_guard lock(mu_);
  for (Span*& list : partial_) {
    for (Span* s = list; s != nullptr;) {
      Span* next = s->next;
      if (s->live == 0) give_back(s);
      s = next;
    }
  }
}

size_t ExactPool::spans_in_use() const {
  std::lock_guard lock(mu_);
  return in_use_;
}

}  // namespace holdfast::util
