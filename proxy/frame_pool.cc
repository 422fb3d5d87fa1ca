#include "proxy/frame_pool.h"

#include <cstdlib>
#include <new>

namespace holdfast {

void return_to_pool(FramePool* pool, void* mem, uint8_t cls) {
  pool->give_back(mem, cls);
}

FramePool::~FramePool() {
  take_returns();
  for (auto& list : free_)
    for (void* mem : list)
      std::free(mem);
}

Frame* FramePool::make(std::string_view payload, bool text) {
  if (owner_ == std::thread::id()) owner_ = std::this_thread::get_id();
  for (uint8_t c = 0; c < kCapacity.size(); ++c) {
    if (payload.size() > kCapacity[c]) continue;
    if (free_[c].empty()) take_returns();
    void* mem = nullptr;
    if (!free_[c].empty()) {
      mem = free_[c].back();
      free_[c].pop_back();
    } else {
      mem = std::malloc(Frame::bytes_for(kCapacity[c]));
      if (mem == nullptr) return nullptr;
    }
    return Frame::place(mem, payload, text, this, c);
  }
  return Frame::create(payload, text);
}

void FramePool::give_back(void* mem, uint8_t cls) {
  if (std::this_thread::get_id() == owner_) {
    keep(mem, cls);
    return;
  }
  auto* r = new (mem) Returned;
  r->cls = cls;
  returned_.push(r);
}

void FramePool::keep(void* mem, uint8_t cls) {
  auto& list = free_[cls];
  if ((list.size() + 1) * Frame::bytes_for(kCapacity[cls]) > kKeepBytes) {
    std::free(mem);
    return;
  }
  list.push_back(mem);
}

void FramePool::take_returns() {
  while (MpscNode* n = returned_.pop()) {
    auto* r = static_cast<Returned*>(n);
    const uint8_t cls = r->cls;
    r->~Returned();
    keep(r, cls);
  }
}

size_t FramePool::kept() const {
  size_t n = 0;
  for (const auto& list : free_)
    n += list.size();
  return n;
}

}  // namespace holdfast
