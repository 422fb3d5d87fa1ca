#include "users.h"

#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <functional>
#include <queue>
#include <vector>

#include "../common/net.h"
#include "../common/ws.h"

namespace hfbench {

void VuResult::Merge(const VuResult& o) {
  sent += o.sent;
  received += o.received;
  lost += o.lost;
  wrong += o.wrong;
  ws_errors += o.ws_errors;
  connections_ok += o.connections_ok;
  connections += o.connections;
  cut_off += o.cut_off;
  checks_passed += o.checks_passed;
  checks_failed += o.checks_failed;
  connect_ns.Merge(o.connect_ns);
  reply_ns.Merge(o.reply_ns);
  session_ns.Merge(o.session_ns);
  if (first_problem[0] == 0) std::memcpy(first_problem, o.first_problem, sizeof(first_problem));
}

namespace {

constexpr char kKey[] = "dmlydHVhbHVzZXJzdmlydA==";
constexpr uint64_t kCloseWaitNs = 5000000000ull;  // for the server's answer to our close
constexpr int kNoClose = 1006;                    // what a connection without a close handshake got

enum class Phase { kWaiting, kConnecting, kUpgrading, kOpen, kClosing, kFinished };
enum class Timer { kNone, kStart, kReply, kNext, kClose, kCloseWait };

struct User {
  int fd = -1;
  uint32_t vu = 0;  // 1-based, as k6 counts users
  int conn = 0;     // this user's connection number, from 0
  Phase phase = Phase::kWaiting;
  Timer timer = Timer::kNone;
  uint64_t timer_at = 0;
  uint32_t timer_gen = 0;  // timers of an older generation are stale
  bool want_out = false;
  uint32_t epoch = 0;  // counts connections, so that events for an earlier socket are ignored
  // This connection's progress and findings.
  int seq = 0;  // messages sent
  int got = 0;  // replies that were the message sent
  int bad = 0;  // replies that were not
  int errors = 0;
  bool pending = false;
  bool opened = false;
  int close_code = kNoClose;
  uint64_t conn_start = 0;
  uint64_t sent_at = 0;
  uint8_t pending_type = 0;
  std::string expect;
  std::string problem;
  std::string out, in;
  size_t out_off = 0;
  uint8_t mask[4] = {};
};

struct Due {
  uint64_t at;
  uint32_t index;
  uint32_t gen;
  bool operator>(const Due& o) const { return at > o.at; }
};

class Users {
 public:
  Users(const VuOptions& o, VuResult* r) : o_(o), r_(r), users_(static_cast<size_t>(o.vus_here)) {
    static const char kFiller[] = "abcdefghijklmnopqrstuvwxyz0123456789";
    for (int i = 0; i < o.size; ++i) {
      filler_ += kFiller[i % 36];
      binary_ += static_cast<char>((i * 37 + 11) & 0xff);
    }
  }

  void Run() {
    ep_ = epoll_create1(EPOLL_CLOEXEC);
    start_ = NowNs();
    stop_starting_ = start_ + static_cast<uint64_t>(o_.max_duration_s * 1e9);
    cut_off_at_ = stop_starting_ + static_cast<uint64_t>(o_.grace_s * 1e9);
    for (size_t i = 0; i < users_.size(); ++i) {
      User& u = users_[i];
      u.vu = static_cast<uint32_t>(o_.first_vu + static_cast<int>(i) + 1);
      double offset = o_.vus > 0 ? (u.vu - 1) * o_.ramp_s / o_.vus : 0;
      Arm(u, Timer::kStart, start_ + static_cast<uint64_t>(offset * 1e9));
    }
    while (finished_ < users_.size()) {
      uint64_t now = NowNs();
      if (now >= cut_off_at_) break;
      uint64_t wake = std::min(cut_off_at_, due_.empty() ? cut_off_at_ : due_.top().at);
      Poll(wake > now ? wake - now : 0);
      FireTimers(NowNs());
    }
    for (User& u : users_) {
      if (u.phase == Phase::kFinished) continue;
      if (u.phase != Phase::kWaiting) r_->cut_off++;
      if (u.fd >= 0) close(u.fd);
      u.fd = -1;
    }
    close(ep_);
  }

 private:
  size_t Index(const User& u) const { return static_cast<size_t>(&u - users_.data()); }

  uint64_t Tag(const User& u) const { return uint64_t{u.epoch} << 32 | Index(u); }

  void Arm(User& u, Timer t, uint64_t at) {
    u.timer = t;
    u.timer_at = at;
    ++u.timer_gen;
    due_.push(Due{at, static_cast<uint32_t>(Index(u)), u.timer_gen});
  }
  void Disarm(User& u) {
    u.timer = Timer::kNone;
    ++u.timer_gen;
  }

  void Problem(User& u, const char* fmt, ...) __attribute__((format(printf, 3, 4))) {
    if (!u.problem.empty()) return;
    char buf[200];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    u.problem = buf;
  }

  void Poll(uint64_t timeout_ns) {
    epoll_event events[512];
    const timespec timeout{static_cast<time_t>(timeout_ns / 1000000000u),
                           static_cast<long>(timeout_ns % 1000000000u)};
    int n = epoll_pwait2(ep_, events, 512, &timeout, nullptr);
    for (int i = 0; i < n; ++i) {
      User& u = users_[events[i].data.u64 & 0xffffffffu];
      const uint32_t epoch = static_cast<uint32_t>(events[i].data.u64 >> 32);
      if (u.fd < 0 || u.epoch != epoch) continue;
      if (u.phase == Phase::kConnecting) {
        OnConnected(u);
        continue;
      }
      if (events[i].events & (EPOLLIN | EPOLLERR | EPOLLHUP)) OnReadable(u);
      if (u.fd >= 0 && u.epoch == epoch && (events[i].events & EPOLLOUT)) Flush(u);
    }
  }

  void FireTimers(uint64_t now) {
    while (!due_.empty() && due_.top().at <= now) {
      Due d = due_.top();
      due_.pop();
      User& u = users_[d.index];
      if (d.gen != u.timer_gen || u.timer == Timer::kNone) continue;
      Timer t = u.timer;
      u.timer = Timer::kNone;
      switch (t) {
        case Timer::kStart:
          Connect(u);
          break;
        case Timer::kReply:
          Problem(u, "no reply to message %d within %d ms", u.seq - 1, o_.reply_timeout_ms);
          StartClose(u);
          break;
        case Timer::kNext:
          SendNext(u);
          break;
        case Timer::kClose:
          StartClose(u);
          break;
        case Timer::kCloseWait:
          Problem(u, "the server did not answer the close within %llu s",
                  static_cast<unsigned long long>(kCloseWaitNs / 1000000000u));
          Finish(u);
          break;
        case Timer::kNone:
          break;
      }
    }
  }

  void Connect(User& u) {
    if (NowNs() >= stop_starting_) {  // as k6 starts no iteration after maxDuration
      u.phase = Phase::kFinished;
      ++finished_;
      return;
    }
    u.seq = u.got = u.bad = u.errors = 0;
    u.pending = u.opened = false;
    u.close_code = kNoClose;
    u.problem.clear();
    u.out.clear();
    u.in.clear();
    u.out_off = 0;
    u.conn_start = NowNs();
    uint32_t seed = u.vu * 2654435761u + static_cast<uint32_t>(u.conn) * 40503u;
    for (int i = 0; i < 4; ++i)
      u.mask[i] = static_cast<uint8_t>(seed >> (8 * i));
    u.phase = Phase::kConnecting;
    ++u.epoch;
    u.fd = ConnectFrom(o_.src_base, o_.src_count, u.vu, o_.host, o_.port);
    if (u.fd < 0) {
      u.errors++;
      Problem(u, "connect: %s", std::strerror(errno));
      return Finish(u);
    }
    epoll_event ev{};
    ev.events = EPOLLOUT;
    ev.data.u64 = Tag(u);
    epoll_ctl(ep_, EPOLL_CTL_ADD, u.fd, &ev);
    u.want_out = true;
  }

  void OnConnected(User& u) {
    int err = 0;
    socklen_t len = sizeof(err);
    getsockopt(u.fd, SOL_SOCKET, SO_ERROR, &err, &len);
    if (err != 0) {
      u.errors++;
      Problem(u, "connect: %s", std::strerror(err));
      return Finish(u);
    }
    u.phase = Phase::kUpgrading;
    u.out = UpgradeRequest(o_.host, o_.port, o_.path, kKey);
    Flush(u);
  }

  void Watch(User& u) {
    bool want = u.out_off < u.out.size();
    if (want == u.want_out) return;
    u.want_out = want;
    epoll_event ev{};
    ev.events = EPOLLIN | (want ? static_cast<uint32_t>(EPOLLOUT) : 0u);
    ev.data.u64 = Tag(u);
    epoll_ctl(ep_, EPOLL_CTL_MOD, u.fd, &ev);
  }

  // Writes what is queued. A failed write drops the rest; the socket's error then shows as a
  // readable event, which ends the connection (so that this never ends one under its caller).
  void Flush(User& u) {
    while (u.out_off < u.out.size()) {
      ssize_t n = send(u.fd, u.out.data() + u.out_off, u.out.size() - u.out_off, MSG_NOSIGNAL);
      if (n < 0) {
        if (errno == EAGAIN || errno == EINTR) break;
        u.out_off = u.out.size();
        break;
      }
      u.out_off += static_cast<size_t>(n);
    }
    if (u.out_off == u.out.size()) {
      u.out.clear();
      u.out_off = 0;
    }
    Watch(u);
  }

  void Queue(User& u, uint8_t opcode, const char* data, size_t len) {
    AppendFrameHeader(&u.out, opcode, len, u.mask);
    size_t at = u.out.size();
    u.out.append(data, len);
    ApplyMask(reinterpret_cast<uint8_t*>(u.out.data() + at), len, u.mask);
    Flush(u);
  }

  // Message `seq` of this connection: even ones are text naming the user, the connection and the
  // sequence; odd ones binary with the three as big-endian words at the front.
  void SendNext(User& u) {
    int seq = u.seq++;
    if (seq % 2 == 0) {
      char head[64];
      int n = std::snprintf(head, sizeof(head), "vus %u %d %d ", u.vu, u.conn, seq);
      u.expect.assign(head, static_cast<size_t>(n));
      u.expect.append(filler_, 0, static_cast<size_t>(o_.size) - u.expect.size());
      u.pending_type = kText;
    } else {
      u.expect = binary_;
      const uint32_t words[3] = {u.vu, static_cast<uint32_t>(u.conn), static_cast<uint32_t>(seq)};
      for (int w = 0; w < 3; ++w) {
        for (int b = 0; b < 4; ++b)
          u.expect[static_cast<size_t>(w * 4 + b)] = static_cast<char>(words[w] >> (24 - 8 * b));
      }
      u.pending_type = kBinary;
    }
    u.pending = true;
    u.sent_at = NowNs();
    Arm(u, Timer::kReply, u.sent_at + static_cast<uint64_t>(o_.reply_timeout_ms) * 1000000u);
    Queue(u, u.pending_type, u.expect.data(), u.expect.size());
  }

  void StartClose(User& u) {
    if (u.phase != Phase::kOpen) return;
    const char code[2] = {static_cast<char>(1000 >> 8), static_cast<char>(1000 & 0xff)};
    u.phase = Phase::kClosing;
    Arm(u, Timer::kCloseWait, NowNs() + kCloseWaitNs);
    Queue(u, kClose, code, sizeof(code));
  }

  // The socket ended or failed before the close handshake completed.
  void Dropped(User& u, const char* why) {
    if (u.phase == Phase::kClosing && u.close_code != kNoClose) return Finish(u);
    u.errors++;
    Problem(u, "%s: %s", u.phase == Phase::kUpgrading ? "upgrade" : "connection dropped", why);
    Finish(u);
  }

  void OnReadable(User& u) {
    const uint32_t epoch = u.epoch;
    char buf[16384];
    const char* ended = nullptr;  // why the stream ended, once what came before it is read
    while (ended == nullptr) {
      ssize_t n = recv(u.fd, buf, sizeof(buf), 0);
      if (n == 0) {
        ended = "end of stream";
      } else if (n < 0) {
        if (errno == EAGAIN || errno == EINTR) break;
        ended = std::strerror(errno);
      } else {
        u.in.append(buf, static_cast<size_t>(n));
      }
    }
    Consume(u);
    if (ended != nullptr && u.epoch == epoch && u.fd >= 0) Dropped(u, ended);
  }

  // Handles the upgrade response and then every whole frame that has arrived.
  void Consume(User& u) {
    const uint32_t epoch = u.epoch;
    if (u.phase == Phase::kUpgrading && !OnUpgrade(u)) return;
    size_t pos = 0;
    while (u.epoch == epoch && u.fd >= 0 &&
           (u.phase == Phase::kOpen || u.phase == Phase::kClosing)) {
      Frame f;
      auto* base = reinterpret_cast<uint8_t*>(u.in.data()) + pos;
      size_t avail = u.in.size() - pos;
      if (!ParseFrameHeader(base, avail, &f) || avail < f.header_len + f.payload_len) break;
      pos += f.header_len + f.payload_len;
      OnFrame(u, f, reinterpret_cast<const char*>(base + f.header_len),
              static_cast<size_t>(f.payload_len));
    }
    if (u.epoch == epoch && u.fd >= 0) u.in.erase(0, pos);
  }

  bool OnUpgrade(User& u) {
    size_t end = u.in.find("\r\n\r\n");
    if (end == std::string::npos) {
      if (u.in.size() < 16384) return false;
      u.errors++;
      Problem(u, "upgrade: a response head over 16 KiB");
      Finish(u);
      return false;
    }
    std::string_view head(u.in.data(), end + 2);
    if (head.substr(0, 12) != "HTTP/1.1 101" ||
        HeaderValue(head, "Sec-WebSocket-Accept") != AcceptKey(kKey)) {
      u.errors++;
      Problem(u, "upgrade refused: %.*s", static_cast<int>(head.find("\r\n")), head.data());
      Finish(u);
      return false;
    }
    u.in.erase(0, end + 4);
    u.phase = Phase::kOpen;
    u.opened = true;
    r_->connect_ns.Record(NowNs() - u.conn_start);
    SendNext(u);
    return true;
  }

  void OnFrame(User& u, const Frame& f, const char* p, size_t len) {
    if (f.masked) {
      u.bad++;
      Problem(u, "a masked frame from the server");
      return StartClose(u);
    }
    switch (f.opcode) {
      case kPing:
        return Queue(u, kPong, p, len);
      case kPong:
        return;
      case kClose:
        u.close_code =
            len >= 2 ? (static_cast<uint8_t>(p[0]) << 8) | static_cast<uint8_t>(p[1]) : 1005;
        if (u.phase == Phase::kOpen) {  // the server closed first: answer, then end
          Queue(u, kClose, p, len >= 2 ? 2 : 0);
          Problem(u, "closed by the server with %d", u.close_code);
        }
        return Finish(u);
      default:
        break;
    }
    if (u.phase == Phase::kClosing) return;  // as k6 drops messages after close()
    bool same = u.pending && f.fin && f.opcode == u.pending_type && len == u.expect.size() &&
                std::memcmp(p, u.expect.data(), len) == 0;
    if (!same) {
      u.bad++;
      if (u.pending) {
        Problem(u, "reply %d is not the message sent", u.got);
      } else {
        Problem(u, "a reply too many after %d", u.got);
      }
      u.pending = false;
      return StartClose(u);
    }
    u.pending = false;
    u.got++;
    uint64_t now = NowNs();
    r_->reply_ns.Record(now - u.sent_at);
    // After the last reply the connection stays open one more interval, so that a reply too many
    // is still seen.
    Arm(u, u.got == o_.messages ? Timer::kClose : Timer::kNext,
        now + static_cast<uint64_t>(o_.interval_ms) * 1000000u);
  }

  // Tallies the connection that just ended and starts the user's next one.
  void Finish(User& u) {
    Disarm(u);
    if (u.fd >= 0) close(u.fd);
    u.fd = -1;
    u.want_out = false;
    uint64_t missing = u.pending ? 1 : 0;
    r_->sent += static_cast<uint64_t>(u.seq);
    r_->received += static_cast<uint64_t>(u.got);
    r_->lost += missing;
    r_->wrong += static_cast<uint64_t>(u.bad);
    r_->ws_errors += static_cast<uint64_t>(u.errors);
    r_->connections++;
    const bool checks[4] = {u.opened, u.bad == 0 && missing == 0, u.got == o_.messages,
                            u.close_code == 1000};
    bool ok = u.problem.empty();
    for (bool c : checks) {
      (c ? r_->checks_passed : r_->checks_failed)++;
      ok = ok && c;
    }
    if (ok) {
      r_->connections_ok++;
      r_->session_ns.Record(NowNs() - u.conn_start);
    } else {
      const std::string why =
          u.problem.empty() ? "closed with " + std::to_string(u.close_code) : u.problem;
      if (warnings_++ < o_.max_warnings) {
        std::fprintf(stderr, "vu %u connection %d: %s (%d of %d replies)\n", u.vu, u.conn,
                     why.c_str(), u.got, o_.messages);
      }
      if (r_->first_problem[0] == 0) {
        std::snprintf(r_->first_problem, sizeof(r_->first_problem), "vu %u connection %d: %s", u.vu,
                      u.conn, why.c_str());
      }
    }
    if (++u.conn < o_.connections) {
      u.phase = Phase::kWaiting;
      return Connect(u);
    }
    u.phase = Phase::kFinished;
    ++finished_;
  }

  const VuOptions& o_;
  VuResult* r_;
  std::vector<User> users_;
  std::priority_queue<Due, std::vector<Due>, std::greater<Due>> due_;
  std::string filler_, binary_;
  int ep_ = -1;
  size_t finished_ = 0;
  int warnings_ = 0;
  uint64_t start_ = 0, stop_starting_ = 0, cut_off_at_ = 0;
};

}  // namespace

void RunUsers(const VuOptions& opt, VuResult* out) {
  Users users(opt, out);
  users.Run();
}

}  // namespace hfbench
