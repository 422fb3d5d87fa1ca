// One inbound message while its fragments are put together. 16 bytes in every session, where a
// std::string takes 32, and nothing allocated until the connection sends its first message.
// It keeps its room between messages, so steady traffic allocates nothing, large messages
// included; the session hands back room beyond kKeptBytes once the connection has gone quiet
// (release_large()), rather than leave it with a connection that may sit idle for hours.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string_view>

namespace holdfast {

class MessageBuffer {
 public:
  static constexpr size_t kKeptBytes = 64 * 1024;

  bool empty() const { return size_ == 0; }
  size_t size() const { return size_; }
  size_t capacity() const { return capacity_; }
  std::string_view view() const { return {data_.get(), size_}; }
  operator std::string_view() const { return view(); }

  // The caller has checked size() + n against the route's limit (max_message_size, at most
  // 64 MiB), so sizes and room fit 32 bits.
  void append(const void* bytes, size_t n) {
    if (n == 0) return;
    if (size_ + n > capacity_) grow(size_ + n);
    std::memcpy(data_.get() + size_, bytes, n);
    size_ += static_cast<uint32_t>(n);
  }

  void clear() { size_ = 0; }

  // Between messages: frees the room if it is more than kKeptBytes.
  void release_large() {
    if (size_ == 0 && capacity_ > kKeptBytes) {
      data_.reset();
      capacity_ = 0;
    }
  }

 private:
  void grow(size_t needed) {
    const size_t capacity = std::max({needed, size_t{capacity_} * 2, size_t{64}});
    std::unique_ptr<char[]> data(new char[capacity]);
    if (size_ > 0) std::memcpy(data.get(), data_.get(), size_);
    data_ = std::move(data);
    capacity_ = static_cast<uint32_t>(capacity);
  }

  std::unique_ptr<char[]> data_;
  uint32_t size_ = 0;
  uint32_t capacity_ = 0;
};

}  // namespace holdfast
