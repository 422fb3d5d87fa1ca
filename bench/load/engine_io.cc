#include "engine_impl.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "../common/net.h"
#include "../common/ws.h"

namespace hfbench::detail {

void Engine::Fail(const char* fmt, ...) {
  if (r_->first_error[0] != 0) return;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(r_->first_error, sizeof(r_->first_error), fmt, ap);
  va_end(ap);
}

bool Engine::StartConnect(Conn& c) {
  c.fd = ConnectFrom(opt_.src_base, opt_.src_count, c.id, opt_.host, opt_.port);
  if (c.fd < 0) return false;
  epoll_event ev{};
  ev.events = EPOLLOUT;
  ev.data.ptr = &c;
  epoll_ctl(ep_, EPOLL_CTL_ADD, c.fd, &ev);
  c.want_out = true;
  c.state = State::kConnecting;
  for (int i = 0; i < 4; ++i)
    c.mask[i] = static_cast<uint8_t>((c.id * 2654435761u) >> (8 * i));
  ++pending_;
  return true;
}

void Engine::Watch(Conn& c) {
  bool want = c.state == State::kConnecting || c.out_off < c.out.size();
  if (want == c.want_out) return;
  c.want_out = want;
  epoll_event ev{};
  ev.events = EPOLLIN | (want ? static_cast<uint32_t>(EPOLLOUT) : 0u);
  ev.data.ptr = &c;
  epoll_ctl(ep_, EPOLL_CTL_MOD, c.fd, &ev);
}

void Engine::Kill(Conn& c, const char* why) {
  if (c.state == State::kDead) return;
  if (c.state == State::kOpen) {
    --open_;
    r_->closed_early++;
    Fail("connection %u closed by the server during the run (%s)", c.id, why);
  } else {
    --pending_;
    r_->connect_failed++;
    Fail("connection %u failed to open (%s)", c.id, why);
  }
  c.state = State::kDead;
  if (c.fd >= 0) close(c.fd);
  c.fd = -1;
}

void Engine::Flush(Conn& c) {
  c.dirty = false;
  if (c.state == State::kDead) return;
  while (c.out_off < c.out.size()) {
    ssize_t n = send(c.fd, c.out.data() + c.out_off, c.out.size() - c.out_off, MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EAGAIN || errno == EINTR) break;
      Kill(c, strerror(errno));
      return;
    }
    c.out_off += static_cast<size_t>(n);
  }
  if (c.out_off == c.out.size()) {
    c.out.clear();
    c.out_off = 0;
  }
  Watch(c);
}

void Engine::Send(Conn& c, uint64_t ts) {
  AppendFrameHeader(&c.out, kBinary, payload_.size(), c.mask);
  size_t body = c.out.size();
  c.out += payload_;
  auto* p = reinterpret_cast<uint8_t*>(c.out.data() + body);
  uint64_t seq = c.next_tx++;
  std::memcpy(p + 4, &c.id, 4);
  std::memcpy(p + 8, &seq, 8);
  std::memcpy(p + 16, &ts, 8);
  ApplyMask(p, payload_.size(), c.mask);
  r_->sent++;
  if (!c.dirty) {
    c.dirty = true;
    dirty_.push_back(&c);
  }
}

bool Engine::OnHandshake(Conn& c) {
  size_t end = c.in.find("\r\n\r\n");
  if (end == std::string::npos) return c.in.size() < 16384;
  if (c.in.compare(0, 12, "HTTP/1.1 101") != 0) {
    std::string line = c.in.substr(0, c.in.find("\r\n"));
    Fail("connection %u: upgrade refused: %s", c.id, line.c_str());
    return false;
  }
  c.in.erase(0, end + 4);
  if (opt_.hello.empty()) {
    Opened(c);
  } else {
    c.state = State::kHello;
    Queue(c, kText, opt_.hello.data(), opt_.hello.size());
  }
  return true;
}

namespace {

// The payload of connection `id`'s ping: its own bytes, none of them zero.
std::string PingPayload(uint32_t id, int size) {
  std::string p(static_cast<size_t>(size), '\0');
  for (size_t i = 0; i < p.size(); ++i)
    p[i] = static_cast<char>('a' + (id + i) % 26);
  return p;
}

}  // namespace

void Engine::Opened(Conn& c) {
  c.state = State::kOpen;
  --pending_;
  ++open_;
  r_->connected++;
  if (opt_.ping_payload >= 0) {
    const std::string p = PingPayload(c.id, opt_.ping_payload);
    Queue(c, kPing, p.data(), p.size());
    c.pong_due = true;
  }
  if (sending_ && opt_.rate <= 0) {
    for (int i = 0; i < opt_.inflight; ++i)
      Send(c, NowNs());
  }
}

void Engine::Queue(Conn& c, uint8_t opcode, const void* data, size_t len) {
  AppendFrameHeader(&c.out, opcode, len, c.mask);
  const size_t at = c.out.size();
  c.out.append(static_cast<const char*>(data), len);
  ApplyMask(reinterpret_cast<uint8_t*>(c.out.data() + at), len, c.mask);
  if (!c.dirty) {
    c.dirty = true;
    dirty_.push_back(&c);
  }
}

void Engine::OnMessage(Conn& c, const uint8_t* p, size_t len, uint64_t now) {
  uint32_t magic = 0, id = 0;
  uint64_t seq = 0, ts = 0;
  if (len == payload_.size()) {
    std::memcpy(&magic, p, 4);
    std::memcpy(&id, p + 4, 4);
    std::memcpy(&seq, p + 8, 8);
    std::memcpy(&ts, p + 16, 8);
  }
  if (magic != kMagic || memcmp(p + kHeaderBytes, payload_.data() + kHeaderBytes,
                                payload_.size() - kHeaderBytes) != 0) {
    r_->corrupt++;
    Fail("connection %u received a message that is not one of ours (%zu bytes)", c.id, len);
    return;
  }
  r_->received++;
  if (id != c.id) {
    r_->misrouted++;
    Fail("connection %u received seq %lu that was sent on connection %u", c.id,
         static_cast<unsigned long>(seq), id);
    return;
  }
  if (seq >= c.next_tx) {
    r_->duplicate++;
    Fail("connection %u received seq %lu that was never sent", c.id,
         static_cast<unsigned long>(seq));
    return;
  }
  if (seq < c.next_rx) {
    if (c.gaps.erase(seq) == 1) {
      r_->reordered++;
      Fail("connection %u received seq %lu after seq %lu (out of order)", c.id,
           static_cast<unsigned long>(seq), static_cast<unsigned long>(c.next_rx - 1));
    } else {
      r_->duplicate++;
      Fail("connection %u received seq %lu twice", c.id, static_cast<unsigned long>(seq));
    }
    return;
  }
  if (seq > c.next_rx) {
    Fail("connection %u expected seq %lu, got seq %lu", c.id, static_cast<unsigned long>(c.next_rx),
         static_cast<unsigned long>(seq));
    for (uint64_t s = c.next_rx; s < seq; ++s) {
      if (c.gaps.size() < kMaxGaps) {
        c.gaps.insert(s);
      } else {
        c.gap_overflow++;
      }
    }
  }
  c.next_rx = seq + 1;
  if (now >= measure_start_ && now < measure_end_) {
    r_->measured++;
    r_->latency.Record(now > ts ? now - ts : 0);
  }
  if (sending_ && opt_.rate <= 0) Send(c, NowNs());
}

void Engine::OnPong(Conn& c, const uint8_t* p, size_t len) {
  if (opt_.ping_payload < 0) return;  // unasked for: allowed, and nothing to check
  const std::string want = PingPayload(c.id, opt_.ping_payload);
  if (!c.pong_due || std::string_view(reinterpret_cast<const char*>(p), len) != want) {
    r_->corrupt++;
    Fail("connection %u: a pong that is not its ping's (%zu bytes)", c.id, len);
    return;
  }
  c.pong_due = false;
  r_->pongs++;
}

void Engine::OnReadable(Conn& c, uint64_t now) {
  char buf[65536];
  while (true) {
    ssize_t n = recv(c.fd, buf, sizeof(buf), 0);
    if (n == 0) return Kill(c, "end of stream");
    if (n < 0) {
      if (errno == EAGAIN || errno == EINTR) break;
      return Kill(c, strerror(errno));
    }
    c.in.append(buf, static_cast<size_t>(n));
    if (static_cast<size_t>(n) < sizeof(buf)) break;
  }
  if (c.state == State::kHandshake && !OnHandshake(c)) return Kill(c, "bad handshake");
  if (c.state != State::kOpen && c.state != State::kHello) return;
  size_t pos = 0;
  while (true) {
    Frame f;
    auto* base = reinterpret_cast<uint8_t*>(c.in.data()) + pos;
    size_t avail = c.in.size() - pos;
    if (!ParseFrameHeader(base, avail, &f) || avail < f.header_len + f.payload_len) break;
    const uint8_t* p = base + f.header_len;
    size_t len = static_cast<size_t>(f.payload_len);
    pos += f.header_len + len;
    if (f.opcode == kPing) {
      Queue(c, kPong, p, len);
    } else if (f.opcode == kPong) {
      OnPong(c, p, len);
    } else if (f.opcode == kClose) {
      c.in.clear();
      return Kill(c, "close frame");
    } else if (c.state == State::kHello && (f.opcode == kBinary || f.opcode == kText)) {
      Opened(c);  // the answer to --hello
    } else if (f.opcode == kBinary || f.opcode == kText) {
      if (!f.fin) {
        r_->corrupt++;
        Fail("connection %u: a fragmented reply, not expected for %d bytes", c.id, opt_.size);
      }
      OnMessage(c, p, len, now);
    }
  }
  c.in.erase(0, pos);
}

}  // namespace hfbench::detail
