// The first page of a connection's receive buffer, handed back to the kernel once a control
// frame's payload has been written to it.
//
// libwebsockets writes into a connection's receive buffer only a control frame's payload (a
// client's ping, or a pong to a ping that carried one), at LWS_PRE bytes in; data frames are
// unmasked where they were read. The buffers come from address space of their own, in whole
// pages (lws_allocator.h), so a buffer is never resident on a connection that sends only messages.
// One ping with a payload, which some client libraries send on their own every few seconds, makes
// its first page resident for good: 4 KB on a connection that otherwise costs about 2. The worker
// looks at the payload's first bytes on each tick, and when something was written there and no
// frame is part read, gives the page back (MADV_DONTNEED), so the next read of it is a zero page
// again. A payload of only zero bytes goes unseen and keeps its page, which costs memory only.
#pragma once

#include <cstddef>

namespace holdfast {

size_t page_size();  // the kernel's, read once

class ReceivePage {
 public:
  ReceivePage() = default;
  // For a buffer of `size` bytes as libwebsockets allocated it (the whole slot, for one from
  // receive_buffers.h). Empty unless the page where control payloads start lies wholly inside
  // it; a buffer that shares its page with other memory gives nothing back.
  static ReceivePage of(void* buffer, size_t size);

  bool empty() const { return payload_ == nullptr; }
  // Whether a payload was written to the page since it was last given back: one load, and no
  // look at the connection, which the tick asks of every connection only when this says yes.
  bool written() const;
  // Gives the page back if a payload was written to it. The caller has checked that no frame is
  // part read (the bytes would be live). True when the page went back.
  bool release_if_written();

 private:
  explicit ReceivePage(std::byte* payload) : payload_(payload) {}
  std::byte* payload_ = nullptr;  // where a control payload starts; its page is inside the buffer
};

}  // namespace holdfast
