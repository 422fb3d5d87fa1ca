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
#include <vector>

#include "../common/ws.h"

namespace hfbench {

void LoadResult::Merge(const LoadResult& o) {
  connected += o.connected;
  connect_failed += o.connect_failed;
  closed_early += o.closed_early;
  sent += o.sent;
  received += o.received;
  measured += o.measured;
  window_ns = std::max(window_ns, o.window_ns);
  missing += o.missing;
  reordered += o.reordered;
  misrouted += o.misrouted;
  duplicate += o.duplicate;
  corrupt += o.corrupt;
  pongs += o.pongs;
  latency.Merge(o.latency);
  if (first_error[0] == 0) std::memcpy(first_error, o.first_error, sizeof(first_error));
}

namespace detail {

void Engine::PollNs(uint64_t timeout_ns) {
  epoll_event events[512];
  const timespec timeout{static_cast<time_t>(timeout_ns / 1000000000u),
                         static_cast<long>(timeout_ns % 1000000000u)};
  int n = epoll_pwait2(ep_, events, 512, &timeout, nullptr);
  uint64_t now = NowNs();
  for (int i = 0; i < n; ++i) {
    Conn& c = *static_cast<Conn*>(events[i].data.ptr);
    if (c.state == State::kDead) continue;
    if (c.state == State::kConnecting) {
      int err = 0;
      socklen_t len = sizeof(err);
      getsockopt(c.fd, SOL_SOCKET, SO_ERROR, &err, &len);
      if (err != 0) {
        Kill(c, strerror(err));
        continue;
      }
      c.state = State::kHandshake;
      c.out = UpgradeRequest(opt_.host, opt_.port, opt_.path, "dGhlIHNhbXBsZSBub25jZQ==");
      c.out_off = 0;
      Flush(c);
      continue;
    }
    if (events[i].events & EPOLLIN) OnReadable(c, now);
    if (c.state != State::kDead && (events[i].events & EPOLLOUT)) Flush(c);
    if (c.state != State::kDead && (events[i].events & (EPOLLERR | EPOLLHUP)) &&
        !(events[i].events & EPOLLIN)) {
      Kill(c, "socket error");
    }
  }
  for (Conn* c : dirty_) {
    if (c->dirty) Flush(*c);
  }
  dirty_.clear();
}

void Engine::Run() {
  payload_.assign(static_cast<size_t>(opt_.size), '\0');
  std::memcpy(payload_.data(), &kMagic, 4);
  for (size_t i = kHeaderBytes; i < payload_.size(); ++i) {
    payload_[i] = static_cast<char>('a' + i % 26);
  }
  ep_ = epoll_create1(EPOLL_CLOEXEC);
  conns_.resize(static_cast<size_t>(opt_.connections));
  for (size_t i = 0; i < conns_.size(); ++i)
    conns_[i].id = opt_.first_id + static_cast<uint32_t>(i);

  // Open every connection, a bounded number at a time, so the listen queue never overflows.
  size_t next = 0;
  uint64_t deadline = NowNs() + static_cast<uint64_t>(opt_.connect_timeout_s * 1e9);
  while (next < conns_.size() || pending_ > 0) {
    while (next < conns_.size() && pending_ < opt_.max_pending) {
      Conn& c = conns_[next++];
      if (!StartConnect(c)) {
        ++pending_;
        Kill(c, strerror(errno));
      }
    }
    if (NowNs() > deadline) break;
    Poll(20);
  }
  for (Conn& c : conns_) {
    if (c.state == State::kConnecting || c.state == State::kHandshake || c.state == State::kHello) {
      Kill(c, "timed out");
    }
  }
  if (!opt_.ready_file.empty()) {
    FILE* f = fopen(opt_.ready_file.c_str(), "w");
    if (f != nullptr) fclose(f);
  }

  uint64_t start = NowNs();
  measure_start_ = start + static_cast<uint64_t>(opt_.warmup_s * 1e9);
  measure_end_ = measure_start_ + static_cast<uint64_t>(opt_.duration_s * 1e9);
  if (opt_.idle) {
    measure_start_ = start;
    measure_end_ = start + static_cast<uint64_t>(opt_.duration_s * 1e9);
  }
  sending_ = !opt_.idle;
  std::vector<Conn*> live;
  for (Conn& c : conns_) {
    if (c.state == State::kOpen) live.push_back(&c);
  }
  if (sending_ && opt_.rate <= 0) {
    for (Conn* c : live) {
      for (int i = 0; i < opt_.inflight; ++i)
        Send(*c, NowNs());
    }
  }
  double interval_ns = opt_.rate > 0 ? 1e9 / opt_.rate : 0;
  uint64_t scheduled = 0;
  while (true) {
    uint64_t now = NowNs();
    if (now >= measure_end_) break;
    if (opt_.rate > 0 && !live.empty()) {
      // Open loop: message k is due at start + k * interval and carries that time, so a late
      // send is charged to the server, not forgotten.
      uint64_t due = static_cast<uint64_t>(static_cast<double>(now - start) / interval_ns) + 1;
      while (scheduled < due) {
        Conn* c = live[scheduled % live.size()];
        if (c->state == State::kOpen) {
          Send(*c, start + static_cast<uint64_t>(static_cast<double>(scheduled) * interval_ns));
        }
        ++scheduled;
      }
      // Sleep only until the next message is due.
      const uint64_t due_at =
          start + static_cast<uint64_t>(static_cast<double>(scheduled) * interval_ns);
      const uint64_t after = NowNs();
      PollNs(due_at > after ? std::min<uint64_t>(due_at - after, 1000000u) : 0);
    } else {
      Poll(opt_.idle ? 100 : 10);
    }
  }
  r_->window_ns = opt_.idle ? 0 : measure_end_ - measure_start_;

  // Stop sending and wait for what is still in flight.
  sending_ = false;
  uint64_t drain_end = NowNs() + static_cast<uint64_t>(opt_.drain_s * 1e9);
  while (NowNs() < drain_end) {
    bool outstanding = false;
    for (Conn* c : live) {
      if (c->state == State::kOpen && (c->next_rx < c->next_tx || !c->gaps.empty())) {
        outstanding = true;
        break;
      }
    }
    if (!outstanding) break;
    Poll(10);
  }
  for (Conn& c : conns_) {
    if (c.pong_due && c.state == State::kOpen) {
      if (r_->first_error[0] == 0) Fail("connection %u: its ping never answered", c.id);
      r_->missing++;
    }
    uint64_t lost = c.gaps.size() + c.gap_overflow + (c.next_tx - c.next_rx);
    if (lost > 0) {
      if (r_->missing == 0 && r_->first_error[0] == 0) {
        Fail("connection %u: %lu message(s) never echoed", c.id, static_cast<unsigned long>(lost));
      }
      r_->missing += lost;
    }
    if (c.fd >= 0) close(c.fd);
  }
  close(ep_);
}

}  // namespace detail

void RunLoad(const LoadOptions& opt, LoadResult* out) {
  detail::Engine e(opt, out);
  e.Run();
}

}  // namespace hfbench
