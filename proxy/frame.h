// An outbound WebSocket message, shared by every connection it is delivered to. The payload is
// preceded by LWS_PRE bytes that libwebsockets writes its frame header into, so sending it
// needs no copy. The reference count is atomic because one frame may reach several workers.
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

class Frame {
 public:
  static Frame* create(std::string_view payload, bool text) {
    void* mem = std::malloc(sizeof(Frame) + LWS_PRE + payload.size());
    if (mem == nullptr) return nullptr;
    Frame* f = new (mem) Frame(static_cast<uint32_t>(payload.size()), text);
    if (!payload.empty()) std::memcpy(f->payload(), payload.data(), payload.size());
    return f;
  }

  void ref() { refs_.fetch_add(1, std::memory_order_relaxed); }
  void unref() {
    if (refs_.fetch_sub(1, std::memory_order_acq_rel) == 1) {
      this->~Frame();
      std::free(this);
    }
  }

  unsigned char* payload() { return reinterpret_cast<unsigned char*>(this + 1) + LWS_PRE; }
  uint32_t size() const { return size_; }
  bool text() const { return text_; }

 private:
  Frame(uint32_t size, bool text) : size_(size), text_(text) {}
  std::atomic<uint32_t> refs_{1};
  uint32_t size_;
  bool text_;
};

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
  Frame* operator->() const { return f_; }
  explicit operator bool() const { return f_ != nullptr; }

 private:
  Frame* f_ = nullptr;
};

}  // namespace holdfast
