// An outbound WebSocket message, shared by every connection it is delivered to. The payload is
// preceded by LWS_PRE bytes that libwebsockets writes its frame header into, so sending it
// needs no copy. The reference count is atomic because one frame may reach several workers.
// A frame made by a FramePool goes back to it when its last reference is dropped; see
// frame_pool.h for which frames may come from one.
#pragma once

#include <libwebsockets.h>

#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <new>
#include <string_view>
#include <utility>

namespace holdfast {

class FramePool;
// Where a pooled frame's memory goes when its last reference is dropped (frame_pool.cc).
void return_to_pool(FramePool* pool, void* mem, uint8_t cls);

class Frame {
 public:
  // A frame of its own allocation, freed when its last reference goes: one that may end on
  // another thread than the one that made it.
  static Frame* create(std::string_view payload, bool text) {
    void* mem = std::malloc(bytes_for(payload.size()));
    if (mem == nullptr) return nullptr;
    return place(mem, payload, text, nullptr, 0);
  }
  static size_t bytes_for(size_t payload) { return sizeof(Frame) + LWS_PRE + payload; }
  // Builds a frame in `mem` (at least bytes_for(payload.size()) bytes); with a pool, the frame
  // goes back to it, in size class `cls`, instead of being freed.
  static Frame* place(void* mem, std::string_view payload, bool text, FramePool* pool,
                      uint8_t cls) {
    Frame* f = new (mem) Frame(static_cast<uint32_t>(payload.size()), text, pool, cls);
    if (!payload.empty()) std::memcpy(f->payload(), payload.data(), payload.size());
    return f;
  }

  void ref() { refs_.fetch_add(1, std::memory_order_relaxed); }
  inline void unref();

  unsigned char* payload() { return reinterpret_cast<unsigned char*>(this + 1) + LWS_PRE; }
  uint32_t size() const { return size_; }
  bool text() const { return text_; }

 private:
  Frame(uint32_t size, bool text, FramePool* pool, uint8_t cls)
      : size_(size), text_(text), cls_(cls), pool_(pool) {}
  std::atomic<uint32_t> refs_{1};
  uint32_t size_;
  bool text_;
  uint8_t cls_;  // the pool's size class
  FramePool* pool_;
};

inline void Frame::unref() {
  if (refs_.fetch_sub(1, std::memory_order_acq_rel) != 1) return;
  FramePool* pool = pool_;
  const uint8_t cls = cls_;
  this->~Frame();
  if (pool != nullptr) {
    return_to_pool(pool, this, cls);
  } else {
    std::free(this);
  }
}

// Owning handle to a Frame.
class FrameRef {
 public:
  FrameRef() = default;
  explicit FrameRef(Frame* adopt) : f_(adopt) {}
  FrameRef(const FrameRef& o) : f_(o.f_) {
    if (f_) f_->ref();
  }
  FrameRef(FrameRef&& o) noexcept : f_(std::exchange(o.f_, nullptr)) {}
  FrameRef& operator=(FrameRef o) noexcept {
    std::swap(f_, o.f_);
    return *this;
  }
  ~FrameRef() {
    if (f_) f_->unref();
  }
  Frame* get() const { return f_; }
  Frame& operator*() const { return *f_; }
  Frame* operator->() const { return f_; }
  explicit operator bool() const { return f_ != nullptr; }

 private:
  Frame* f_ = nullptr;
};

}  // namespace holdfast
