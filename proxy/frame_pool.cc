#include "proxy/frame_pool.h"

#include <cstdlib>

namespace holdfast {

void return_to_pool(FramePool* pool, void* mem, uint8_t cls) {
  pool->give_back(mem, cls);
}

FramePool::~FramePool() {
  for (auto& list : free_)
    for (void* mem : list)
      std::free(mem);
}

Frame* FramePool::make(std::string_view payload, bool text) {
  for (uint8_t c = 0; c < kCapacity.size(); ++c) {
    if (payload.size() > kCapacity[c]) continue;
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
  auto& list = free_[cls];
  if ((list.size() + 1) * Frame::bytes_for(kCapacity[cls]) > kKeepBytes) {
    std::free(mem);
    return;
  }
  list.push_back(mem);
}

size_t FramePool::kept() const {
  size_t n = 0;
  for (const auto& list : free_)
    n += list.size();
  return n;
}

}  // namespace holdfast
