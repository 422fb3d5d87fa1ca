#include "subscribers.h"

#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "../common/net.h"
#include "../common/sequence.h"
#include "../common/ws.h"

namespace hfbench::fanout {
namespace {

struct Conn {
  int fd = -1;
  bool open = false;        // upgraded
  bool subscribed = false;  // Centrifugo: the subscribe command answered
  std::string in;
  hfbench::Sequence records;  // the order of the records received
};

constexpr char kKey[] = "ZmFub3V0ZmFub3V0ZmFubw==";
const uint8_t kMask[4] = {0x5a, 0x17, 0xc3, 0x8e};

bool FromHex(std::string_view hex, std::string* out) {
  auto digit = [](char ch) {
    if (ch >= '0' && ch <= '9') return ch - '0';
    if (ch >= 'a' && ch <= 'f') return ch - 'a' + 10;
    return -1;
  };
  if (hex.size() % 2 != 0) return false;
  out->clear();
  for (size_t i = 0; i < hex.size(); i += 2) {
    const int hi = digit(hex[i]), lo = digit(hex[i + 1]);
    if (hi < 0 || lo < 0) return false;
    *out += static_cast<char>(hi << 4 | lo);
  }
  return true;
}

// A masked text frame from a subscriber; best effort, as these are small and rare.
void SendText(Conn& c, const std::string& text) {
  std::string frame;
  hfbench::AppendFrameHeader(&frame, hfbench::kText, text.size(), kMask);
  const size_t at = frame.size();
  frame += text;
  hfbench::ApplyMask(reinterpret_cast<uint8_t*>(frame.data() + at), text.size(), kMask);
  (void)send(c.fd, frame.data(), frame.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
}

void Note(Result& r, const char* what) {
  if (r.first_error[0] == 0) std::snprintf(r.first_error, sizeof r.first_error, "%s", what);
}

int Connect(const Options& o, int index) {
  const int fd = hfbench::ConnectFrom(o.src_base, o.src_count, static_cast<uint32_t>(index), o.host,
                                      o.port, true);
  if (fd < 0) return -1;
  const std::string req = hfbench::UpgradeRequest(o.host, o.port, o.path, kKey);
  if (send(fd, req.data(), req.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(req.size())) {
    close(fd);
    return -1;
  }
  return fd;
}

// Reads what is there; false when the connection ended.
bool ReadSome(Conn& c) {
  char buf[65536];
  for (;;) {
    const ssize_t n = recv(c.fd, buf, sizeof buf, MSG_DONTWAIT);
    if (n > 0) {
      c.in.append(buf, static_cast<size_t>(n));
      if (static_cast<size_t>(n) < sizeof buf) return true;
      continue;
    }
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) return true;
    return false;
  }
}

void OnRecord(const Options& o, Conn& c, const uint8_t* p, size_t len, uint64_t now,
              uint64_t measure_from, uint64_t measure_to, Result& r) {
  const std::string_view record(reinterpret_cast<const char*>(p), len);
  if (len != o.size || record.find_first_not_of(kFill, sizeof(Payload)) != record.npos) {
    ++r.corrupt;
    Note(r, "a record of the wrong size or content");
    return;
  }
  Payload pl;
  std::memcpy(&pl, p, sizeof pl);
  ++r.received;
  switch (c.records.Take(pl.seq)) {
    case hfbench::Sequence::Verdict::kRepeat:
      ++r.duplicate;
      Note(r, "a record delivered twice");
      return;
    case hfbench::Sequence::Verdict::kLate:
      ++r.reordered;
      Note(r, "a record delivered after a later one");
      return;
    case hfbench::Sequence::Verdict::kInOrder:
      if (c.records.skipped() > 0) Note(r, "a record missing where it was due (lost, or late)");
      break;
  }
  if (pl.due_ns >= measure_from && pl.due_ns < measure_to) {
    ++r.measured;
    r.latency.Record(now - pl.due_ns);
  }
}

// One text frame of Centrifugo's JSON protocol: replies and pushes, one per line. An empty
// object is the server's ping, answered with one.
void OnCentrifugo(const Options& o, Conn& c, std::string_view text, uint64_t now, uint64_t from,
                  uint64_t to, Result& r, int* opening) {
  std::string record;
  while (!text.empty()) {
    const size_t nl = text.find('\n');
    const std::string_view line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
    if (line == "{}") {
      SendText(c, "{}");
    } else if (line.find("\"error\"") != std::string_view::npos) {
      ++r.corrupt;
      Note(r, "Centrifugo answered a command with an error");
    } else if (line.rfind("{\"id\":2,", 0) == 0 && !c.subscribed) {
      c.subscribed = true;
      --*opening;
    } else if (line.find("\"push\"") != std::string_view::npos) {
      const size_t at = line.find("\"h\":\"");
      const size_t end = at == std::string_view::npos ? at : line.find('"', at + 5);
      if (end == std::string_view::npos || !FromHex(line.substr(at + 5, end - at - 5), &record)) {
        ++r.corrupt;
        Note(r, "a push without a record");
        continue;
      }
      OnRecord(o, c, reinterpret_cast<const uint8_t*>(record.data()), record.size(), now, from, to,
               r);
    }
  }
}

// Parses whole frames out of c.in.
bool Drain(const Options& o, Conn& c, uint64_t now, uint64_t from, uint64_t to, Result& r,
           int* opening) {
  size_t off = 0;
  for (;;) {
    hfbench::Frame f;
    const auto* b = reinterpret_cast<const uint8_t*>(c.in.data()) + off;
    if (!hfbench::ParseFrameHeader(b, c.in.size() - off, &f)) break;
    if (c.in.size() - off < f.header_len + f.payload_len) break;
    const uint8_t* payload = b + f.header_len;
    if (f.opcode == hfbench::kClose) return false;
    if (!o.centrifugo.empty() && f.opcode == hfbench::kText) {
      OnCentrifugo(o, c,
                   std::string_view(reinterpret_cast<const char*>(payload),
                                    static_cast<size_t>(f.payload_len)),
                   now, from, to, r, opening);
    } else if (f.opcode == hfbench::kText || f.opcode == hfbench::kBinary) {
      OnRecord(o, c, payload, static_cast<size_t>(f.payload_len), now, from, to, r);
    }
    off += f.header_len + static_cast<size_t>(f.payload_len);
  }
  c.in.erase(0, off);
  return true;
}

}  // namespace

void RunSubscribers(const Options& o, int first, int count, int ready, int stop, int out) {
  auto r = std::make_unique<Result>();
  std::vector<Conn> conns(static_cast<size_t>(count));
  const int ep = epoll_create1(EPOLL_CLOEXEC);
  int opening = 0;
  for (int i = 0; i < count; ++i) {
    Conn& c = conns[static_cast<size_t>(i)];
    c.fd = Connect(o, first + i);
    if (c.fd < 0) {
      ++r->connect_failed;
      Note(*r, "a subscriber could not connect");
      continue;
    }
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.u32 = static_cast<uint32_t>(i);
    epoll_ctl(ep, EPOLL_CTL_ADD, c.fd, &ev);
    ++opening;
  }
  epoll_event stop_ev{};
  stop_ev.events = EPOLLIN;
  stop_ev.data.u32 = UINT32_MAX;
  epoll_ctl(ep, EPOLL_CTL_ADD, stop, &stop_ev);
  // The parent sends the measuring window once everyone is subscribed.
  uint64_t window[2] = {UINT64_MAX, UINT64_MAX};
  bool told = false, stopping = false;
  std::vector<epoll_event> events(1024);
  while (!stopping) {
    if (!told && opening == 0) {
      const char byte = 1;
      if (write(ready, &byte, 1) != 1) break;
      told = true;
    }
    const int n = epoll_wait(ep, events.data(), static_cast<int>(events.size()), 100);
    for (int e = 0; e < n; ++e) {
      const uint32_t i = events[static_cast<size_t>(e)].data.u32;
      if (i == UINT32_MAX) {
        if (window[0] == UINT64_MAX) {
          if (read(stop, window, sizeof window) != sizeof window) stopping = true;
        } else {
          stopping = true;  // the count of records published is there to read
        }
        continue;
      }
      Conn& c = conns[i];
      if (c.fd < 0) continue;
      const bool alive = ReadSome(c);
      // Read per connection: a record can arrive while earlier ones in this batch are handled.
      const uint64_t now = NowNs();
      if (!c.open) {
        const size_t end = c.in.find("\r\n\r\n");
        if (end != std::string::npos) {
          if (c.in.compare(0, 12, "HTTP/1.1 101") != 0) {
            ++r->connect_failed;
            Note(*r, "an upgrade was refused");
            close(c.fd);
            c.fd = -1;
            --opening;
            continue;
          }
          c.open = true;
          ++r->connected;
          c.in.erase(0, end + 4);
          if (o.centrifugo.empty()) {
            --opening;
          } else {  // anonymous connect, then the subscription; counted as open once answered
            SendText(c, "{\"id\":1,\"connect\":{}}\n{\"id\":2,\"subscribe\":{\"channel\":\"" +
                            o.channel + "\"}}");
          }
        }
      }
      if (c.open && !Drain(o, c, now, window[0], window[1], *r, &opening)) {
        ++r->closed_early;
        Note(*r, "the server closed a subscriber");
        close(c.fd);
        c.fd = -1;
        continue;
      }
      if (!alive) {
        if (c.open) {
          ++r->closed_early;
          Note(*r, "a subscriber's connection ended");
        } else {
          ++r->connect_failed;
          --opening;
        }
        close(c.fd);
        c.fd = -1;
      }
    }
  }
  // Whatever a subscriber did not get of the records published is missing.
  uint64_t published = 0;
  if (read(stop, &published, sizeof published) != sizeof published) {
    published = 0;
    Note(*r, "the publisher ended without a count");
    ++r->missing;
  }
  for (Conn& c : conns) {
    const uint64_t next = c.records.next();
    if (c.open && next < published) {
      r->missing += published - next;
      Note(*r, "a subscriber missed records at the end");
    }
    if (next > published) {
      ++r->corrupt;
      Note(*r, "a record that was never published");
    }
    if (c.records.missing() > 0) {
      r->missing += c.records.missing();
      Note(*r, "a subscriber missed records");
    }
    if (c.fd >= 0) close(c.fd);
  }
  if (write(out, r.get(), sizeof(Result)) != sizeof(Result)) _exit(3);
}

}  // namespace hfbench::fanout
