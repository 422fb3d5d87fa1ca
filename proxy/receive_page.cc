#include "proxy/receive_page.h"

#include <libwebsockets.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>
#include <cstring>

namespace holdfast {
namespace {

// Where libwebsockets puts a control frame's payload in the buffer.
constexpr size_t kPayloadAt = LWS_PRE;
// Enough of the payload to see that it was written: one load.
constexpr size_t kLooked = sizeof(uint64_t);

}  // namespace

size_t page_size() {
  static const size_t size = static_cast<size_t>(sysconf(_SC_PAGESIZE));
  return size;
}

ReceivePage ReceivePage::of(void* buffer, size_t size) {
  if (buffer == nullptr) return {};
  const auto start = reinterpret_cast<uintptr_t>(buffer);
  const uintptr_t page = (start + kPayloadAt) & ~(uintptr_t{page_size()} - 1);
  if (page < start || page + page_size() > start + size) return {};
  return ReceivePage(reinterpret_cast<std::byte*>(start + kPayloadAt));
}

bool ReceivePage::written() const {
  if (payload_ == nullptr) return false;
  uint64_t seen = 0;
  std::memcpy(&seen, payload_, kLooked);
  return seen != 0;
}

bool ReceivePage::release_if_written() {
  if (!written()) return false;
  const uintptr_t page = reinterpret_cast<uintptr_t>(payload_) & ~(uintptr_t{page_size()} - 1);
  return madvise(reinterpret_cast<void*>(page), page_size(), MADV_DONTNEED) == 0;
}

}  // namespace holdfast
