#include "echo_server.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "ws.h"

namespace hfbench {
namespace {

struct Conn {
  int fd = -1;
  bool upgraded = false;
  bool want_out = false;
  bool closing = false;
  std::string in;
  std::string out;
  std::string held;  // a frame kept back by the reorder fault
};

// The fault at one message for connection c: true when the message is still to go to it.
bool ApplyFault(Fault fault, Conn& c, std::string& frame) {
  switch (fault) {
    case Fault::kDrop:
      return false;
    case Fault::kDuplicate:
      c.out += frame;
      return true;
    case Fault::kCorrupt:
      frame.back() ^= 1;  // the payload's last byte, or the header's when it is empty
      return true;
    case Fault::kReorder:
      c.held = std::move(frame);  // goes after the connection's next message
      return false;
    default:
      return true;
  }
}

struct Server {
  int ep = -1;
  int feed = -1;
  std::string feed_in;
  Fault fault = Fault::kNone;
  uint64_t data_messages = 0;
  uint64_t fed = 0;  // records read from the feed
  bool fault_done = false;
  std::unordered_map<int, Conn> conns;

  void Watch(Conn& c) {
    bool want = !c.out.empty();
    if (want == c.want_out) return;
    c.want_out = want;
    epoll_event ev{};
    ev.events = EPOLLIN | (want ? static_cast<uint32_t>(EPOLLOUT) : 0u);
    ev.data.fd = c.fd;
    epoll_ctl(ep, EPOLL_CTL_MOD, c.fd, &ev);
  }

  void Close(Conn& c) {
    epoll_ctl(ep, EPOLL_CTL_DEL, c.fd, nullptr);
    close(c.fd);
    conns.erase(c.fd);
  }

  bool Flush(Conn& c) {
    while (!c.out.empty()) {
      ssize_t n = send(c.fd, c.out.data(), c.out.size(), MSG_NOSIGNAL);
      if (n < 0) {
        if (errno == EAGAIN || errno == EINTR) break;
        return false;
      }
      c.out.erase(0, static_cast<size_t>(n));
    }
    Watch(c);
    return !(c.closing && c.out.empty());
  }

  bool Handshake(Conn& c) {
    size_t end = c.in.find("\r\n\r\n");
    if (end == std::string::npos) return c.in.size() < 8192;
    std::string_view head(c.in.data(), end + 2);
    std::string_view key = HeaderValue(head, "Sec-WebSocket-Key");
    if (key.empty()) return false;
    c.out += "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n";
    c.out += "Sec-WebSocket-Accept: " + AcceptKey(key) + "\r\n\r\n";
    c.in.erase(0, end + 4);
    c.upgraded = true;
    return true;
  }

  // Gives c one message, the fault hitting it when `hit`, and after it a message the reorder
  // fault held back.
  void Deliver(Conn& c, std::string frame, bool hit) {
    if (hit) {
      fault_done = true;
      if (!ApplyFault(fault, c, frame)) return;
    }
    c.out += frame;
    if (!c.held.empty()) {
      c.out += c.held;
      c.held.clear();
    }
  }

  // Where the echo of the current data message goes, after the fault (if any) has had its say.
  void EchoData(Conn& c, std::string frame) {
    ++data_messages;
    const bool hit = fault != Fault::kNone && !fault_done && data_messages >= 10;
    if (hit && fault == Fault::kMisroute) {
      for (auto& [fd, other] : conns) {
        if (fd != c.fd && other.upgraded) {
          fault_done = true;
          other.out += frame;
          Flush(other);
          return;
        }
      }
    }
    Deliver(c, std::move(frame), hit && fault != Fault::kMisroute);
  }

  bool Frames(Conn& c) {
    size_t pos = 0;
    while (true) {
      Frame f;
      auto* base = reinterpret_cast<uint8_t*>(c.in.data()) + pos;
      size_t avail = c.in.size() - pos;
      if (!ParseFrameHeader(base, avail, &f)) break;
      if (!f.masked) return false;
      if (avail < f.header_len + f.payload_len) break;
      uint8_t* payload = base + f.header_len;
      size_t plen = static_cast<size_t>(f.payload_len);
      ApplyMask(payload, plen, f.mask);
      std::string frame;
      uint8_t op = f.opcode == kPing ? uint8_t{kPong} : f.opcode;
      AppendFrameHeader(&frame, op, plen, nullptr);
      frame[0] = static_cast<char>((f.fin ? 0x80 : 0) | op);
      frame.append(reinterpret_cast<char*>(payload), plen);
      pos += f.header_len + plen;
      if (f.opcode == kClose) {
        c.out += frame;
        c.closing = true;
        break;
      }
      if (f.opcode == kPong) continue;
      if (f.opcode == kPing && !fault_done &&
          (fault == Fault::kDropPong || fault == Fault::kCorruptPong)) {
        fault_done = true;
        if (fault == Fault::kDropPong) continue;
        frame.back() ^= 1;  // the payload's last byte, or the header's when it is empty
      }
      if (f.opcode == kText || f.opcode == kBinary || f.opcode == kCont) {
        EchoData(c, std::move(frame));
      } else {
        c.out += frame;
      }
    }
    c.in.erase(0, pos);
    return true;
  }

  // Gives c one batch of fed records, the fault hitting the one at `at` (none when `at` is past
  // the end).
  void FeedWithFault(Conn& c, std::string_view frames, const std::vector<size_t>& ends, size_t at) {
    size_t begin = 0;
    for (size_t i = 0; i < ends.size(); begin = ends[i++])
      Deliver(c, std::string(frames.substr(begin, ends[i] - begin)), i == at);
  }

  // Reads the feed; the payload of each message read becomes a text frame, and every upgraded
  // connection gets all of them in one write. False when the feed has closed.
  bool Feed() {
    char buf[65536];
    while (true) {
      ssize_t n = recv(feed, buf, sizeof(buf), 0);
      if (n == 0) return false;
      if (n < 0) {
        if (errno == EAGAIN || errno == EINTR) break;
        return false;
      }
      feed_in.append(buf, static_cast<size_t>(n));
    }
    std::string frames;
    std::vector<size_t> ends;  // where each record's frame ends in `frames`
    std::vector<std::string_view> parts;
    size_t pos = 0;
    while (ParseRespArray(feed_in, pos, parts)) {
      if (parts.size() != 3 || parts[0] != "message") continue;
      AppendFrameHeader(&frames, kText, parts[2].size(), nullptr);
      frames.append(parts[2]);
      ends.push_back(frames.size());
    }
    feed_in.erase(0, pos);
    if (frames.empty()) return true;
    // The batch's index of the 10th record fed, while the fault is still to come.
    size_t fault_at =
        fault == Fault::kNone || fault == Fault::kMisroute || fault_done || fed + ends.size() < 10
            ? ends.size()
            : (fed >= 9 ? 0 : 9 - fed);
    fed += ends.size();
    std::vector<int> dead;
    for (auto& [fd, c] : conns) {
      if (!c.upgraded || c.closing) continue;
      if (fault_at < ends.size() || !c.held.empty()) {
        FeedWithFault(c, frames, ends, fault_at);
        fault_at = ends.size();  // at one connection only
      } else {
        c.out += frames;
      }
      if (!Flush(c)) dead.push_back(fd);
    }
    for (int fd : dead)
      Close(conns[fd]);
    return true;
  }

  bool Readable(Conn& c) {
    char buf[65536];
    while (true) {
      ssize_t n = recv(c.fd, buf, sizeof(buf), 0);
      if (n == 0) return false;
      if (n < 0) {
        if (errno == EAGAIN || errno == EINTR) break;
        return false;
      }
      c.in.append(buf, static_cast<size_t>(n));
      if (static_cast<size_t>(n) < sizeof(buf)) break;
    }
    if (!c.upgraded && !Handshake(c)) return false;
    if (c.upgraded && !Frames(c)) return false;
    return Flush(c);
  }
};

}  // namespace

int ListenTcp(const char* host, int port, int backlog) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(static_cast<uint16_t>(port));
  if (inet_pton(AF_INET, host, &sa.sin_addr) != 1 ||
      bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof(sa)) != 0 || listen(fd, backlog) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

int BoundPort(int fd) {
  sockaddr_in sa{};
  socklen_t len = sizeof(sa);
  if (getsockname(fd, reinterpret_cast<sockaddr*>(&sa), &len) != 0) return -1;
  return ntohs(sa.sin_port);
}

bool ParseRespArray(std::string_view buf, size_t& pos, std::vector<std::string_view>& parts) {
  size_t p = pos;
  auto line = [&](std::string_view& out) {
    const size_t end = buf.find("\r\n", p);
    if (end == std::string_view::npos) return false;
    out = buf.substr(p, end - p);
    p = end + 2;
    return true;
  };
  std::string_view head;
  if (!line(head) || head.size() < 2 || head[0] != '*') return false;
  const long n = std::strtol(std::string(head.substr(1)).c_str(), nullptr, 10);
  parts.clear();
  for (long i = 0; i < n; ++i) {
    std::string_view h;
    if (!line(h) || h.empty()) return false;
    if (h[0] == ':') {
      parts.push_back(h.substr(1));
      continue;
    }
    if (h[0] != '$') return false;
    const size_t len = std::strtoul(std::string(h.substr(1)).c_str(), nullptr, 10);
    if (buf.size() < p + len + 2) return false;
    parts.push_back(buf.substr(p, len));
    p += len + 2;
  }
  pos = p;
  return true;
}

void RunEchoServer(int listen_fd, Fault fault, const std::atomic<bool>* stop, int feed) {
  Server s;
  s.fault = fault;
  s.feed = feed;
  s.ep = epoll_create1(EPOLL_CLOEXEC);
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.fd = listen_fd;
  epoll_ctl(s.ep, EPOLL_CTL_ADD, listen_fd, &ev);
  if (feed >= 0) {
    ev.data.fd = feed;
    epoll_ctl(s.ep, EPOLL_CTL_ADD, feed, &ev);
  }
  epoll_event events[256];
  bool feeding = true;
  while (feeding && !stop->load(std::memory_order_relaxed)) {
    int n = epoll_wait(s.ep, events, 256, 50);
    for (int i = 0; i < n; ++i) {
      int fd = events[i].data.fd;
      if (fd == feed) {
        feeding = s.Feed();
        continue;
      }
      if (fd == listen_fd) {
        while (true) {
          int c = accept4(listen_fd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
          if (c < 0) break;
          int one = 1;
          setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
          Conn& conn = s.conns[c];
          conn.fd = c;
          epoll_event cev{};
          cev.events = EPOLLIN;
          cev.data.fd = c;
          epoll_ctl(s.ep, EPOLL_CTL_ADD, c, &cev);
        }
        continue;
      }
      auto it = s.conns.find(fd);
      if (it == s.conns.end()) continue;
      Conn& c = it->second;
      bool ok = true;
      if (events[i].events & (EPOLLERR | EPOLLHUP)) ok = false;
      if (ok && (events[i].events & EPOLLOUT)) ok = s.Flush(c);
      if (ok && (events[i].events & EPOLLIN)) ok = s.Readable(c);
      if (!ok) s.Close(c);
    }
  }
  for (auto& [fd, c] : s.conns)
    close(fd);
  close(s.ep);
}

}  // namespace hfbench
