// hf-churn: upgrades per second. Each of N slots loops: connect, upgrade (optionally with an
// Authorization header), send one message and check its echo, close with the WebSocket closing
// handshake, then start over. The socket is dropped with a reset after the server's close frame,
// so no TIME_WAIT piles up on the client's ports. Any refused upgrade, wrong echo or early close
// fails the run (exit 1, no figures). Prints one JSON line.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "../common/flags.h"
#include "../common/histogram.h"
#include "../common/self_test.h"
#include "../common/ws.h"

namespace {

using hfbench::NowNs;

struct Options {
  std::string host = "127.0.0.1";
  int port = 8080;
  std::string path = "/echo";
  std::string header;  // one extra request header line, e.g. "Authorization: Bearer ..."
  int slots = 64;
  double duration_s = 10, warmup_s = 1;
  double timeout_s = 5;  // for each connection's upgrade, echo and close
  std::string src_base = "127.0.0.2";
  int src_count = 16;
};

enum class State { kConnecting, kUpgrading, kEchoing, kClosing };

struct Slot {
  int fd = -1;
  State state = State::kConnecting;
  std::string in, out;
  std::string message;
  uint64_t started = 0;  // when this connection's connect began
  uint64_t cycles = 0;
};

struct Totals {
  uint64_t upgrades = 0, measured = 0, failures = 0;
  hfbench::Histogram latency;  // connect to echo received
  std::string first_error;
};

const uint8_t kMask[4] = {0x11, 0x22, 0x33, 0x44};

class Churn {
 public:
  explicit Churn(const Options& o) : o_(o), slots_(static_cast<size_t>(o.slots)) {
    ep_ = epoll_create1(EPOLL_CLOEXEC);
    request_ = hfbench::UpgradeRequest(o.host, o.port, o.path, "Y2h1cm5jaHVybmNodXJuYw==",
                                       o.header.empty() ? "" : o.header + "\r\n");
  }

  int Run() {
    const uint64_t start = NowNs();
    measure_from_ = start + static_cast<uint64_t>(o_.warmup_s * 1e9);
    measure_to_ = measure_from_ + static_cast<uint64_t>(o_.duration_s * 1e9);
    for (size_t i = 0; i < slots_.size(); ++i)
      Start(i);
    std::vector<epoll_event> events(256);
    while (NowNs() < measure_to_ && t_.failures == 0) {
      const int n = epoll_wait(ep_, events.data(), static_cast<int>(events.size()), 50);
      for (int e = 0; e < n; ++e)
        Step(events[static_cast<size_t>(e)].data.u32, events[static_cast<size_t>(e)].events);
      FailStuck();
    }
    for (Slot& s : slots_)
      if (s.fd >= 0) close(s.fd);
    const bool ok = t_.failures == 0 && t_.measured > 0;
    std::printf(
        "{\"ok\":%s,\"slots\":%d,\"duration_s\":%.3f,\"warmup_s\":%.3f,\"upgrades\":%lu,"
        "\"failures\":%lu",
        ok ? "true" : "false", o_.slots, o_.duration_s, o_.warmup_s,
        static_cast<unsigned long>(t_.upgrades), static_cast<unsigned long>(t_.failures));
    if (ok) {
      auto us = [](uint64_t ns) { return static_cast<double>(ns) / 1000.0; };
      std::printf(
          ",\"measured\":%lu,\"upgrades_per_s\":%.0f,\"p50_us\":%.1f,\"p99_us\":%.1f,"
          "\"max_us\":%.1f",
          static_cast<unsigned long>(t_.measured), static_cast<double>(t_.measured) / o_.duration_s,
          us(t_.latency.Quantile(0.5)), us(t_.latency.Quantile(0.99)), us(t_.latency.max()));
    }
    std::printf("}\n");
    if (!ok) {
      std::fprintf(stderr, "hf-churn: FAILED: %lu failures; first: %s\n",
                   static_cast<unsigned long>(t_.failures), t_.first_error.c_str());
      return 1;
    }
    return 0;
  }

 private:
  void Fail(Slot& s, const std::string& why) {
    if (t_.first_error.empty()) t_.first_error = why;
    ++t_.failures;
    Drop(s, false);
  }

  // Fails a connection that has waited longer than --timeout since its connect began: an upgrade,
  // echo or close the server never answered, which would otherwise only make the run slower.
  void FailStuck() {
    const uint64_t now = NowNs();
    const auto limit = static_cast<uint64_t>(o_.timeout_s * 1e9);
    for (Slot& s : slots_) {
      if (s.fd >= 0 && now - s.started > limit) Fail(s, "no answer within the timeout");
    }
  }

  void Drop(Slot& s, bool reset) {
    if (s.fd < 0) return;
    if (reset) {
      const linger l{1, 0};
      setsockopt(s.fd, SOL_SOCKET, SO_LINGER, &l, sizeof l);
    }
    close(s.fd);
    s.fd = -1;
  }

  void Start(size_t i) {
    Slot& s = slots_[i];
    s.in.clear();
    s.out = request_;
    s.state = State::kConnecting;
    s.started = NowNs();
    s.message = "churn " + std::to_string(i) + " " + std::to_string(s.cycles++);
    s.fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    int one = 1;
    setsockopt(s.fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    setsockopt(s.fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof one);
    sockaddr_in src{}, dst{};
    src.sin_family = dst.sin_family = AF_INET;
    inet_pton(AF_INET, o_.src_base.c_str(), &src.sin_addr);
    src.sin_addr.s_addr =
        htonl(ntohl(src.sin_addr.s_addr) +
              static_cast<uint32_t>((i + s.cycles) % static_cast<size_t>(o_.src_count)));
    dst.sin_port = htons(static_cast<uint16_t>(o_.port));
    inet_pton(AF_INET, o_.host.c_str(), &dst.sin_addr);
    if (bind(s.fd, reinterpret_cast<sockaddr*>(&src), sizeof src) != 0 ||
        (connect(s.fd, reinterpret_cast<sockaddr*>(&dst), sizeof dst) != 0 &&
         errno != EINPROGRESS)) {
      Fail(s, std::string("connect: ") + std::strerror(errno));
      return;
    }
    epoll_event ev{};
    ev.events = EPOLLIN | EPOLLOUT;
    ev.data.u32 = static_cast<uint32_t>(i);
    epoll_ctl(ep_, EPOLL_CTL_ADD, s.fd, &ev);
  }

  bool Flush(Slot& s) {
    while (!s.out.empty()) {
      const ssize_t n = send(s.fd, s.out.data(), s.out.size(), MSG_NOSIGNAL);
      if (n < 0) return errno == EAGAIN || errno == EINTR;
      s.out.erase(0, static_cast<size_t>(n));
    }
    return true;
  }

  void Step(uint32_t i, uint32_t events) {
    Slot& s = slots_[i];
    if (s.fd < 0) return;
    if (s.state == State::kConnecting && (events & EPOLLOUT)) {
      int err = 0;
      socklen_t len = sizeof err;
      getsockopt(s.fd, SOL_SOCKET, SO_ERROR, &err, &len);
      if (err != 0) return Fail(s, std::string("connect: ") + std::strerror(err));
      s.state = State::kUpgrading;
      epoll_event ev{};
      ev.events = EPOLLIN;
      ev.data.u32 = i;
      epoll_ctl(ep_, EPOLL_CTL_MOD, s.fd, &ev);
    }
    if (!Flush(s)) return Fail(s, "send failed");
    if (!(events & (EPOLLIN | EPOLLHUP | EPOLLERR))) return;
    char buf[4096];
    const ssize_t n = recv(s.fd, buf, sizeof buf, 0);
    if (n <= 0) {
      if (n < 0 && errno == EAGAIN) return;
      return Fail(s, "the server closed the connection early");
    }
    s.in.append(buf, static_cast<size_t>(n));
    if (s.state == State::kUpgrading) {
      const size_t end = s.in.find("\r\n\r\n");
      if (end == std::string::npos) return;
      if (s.in.compare(0, 12, "HTTP/1.1 101") != 0)
        return Fail(s, "upgrade refused: " + s.in.substr(0, s.in.find("\r\n")));
      s.in.erase(0, end + 4);
      s.state = State::kEchoing;
      hfbench::AppendFrameHeader(&s.out, hfbench::kText, s.message.size(), kMask);
      std::string body = s.message;
      hfbench::ApplyMask(reinterpret_cast<uint8_t*>(body.data()), body.size(), kMask);
      s.out += body;
      if (!Flush(s)) return Fail(s, "send failed");
    }
    hfbench::Frame f;
    const auto* b = reinterpret_cast<const uint8_t*>(s.in.data());
    if (!hfbench::ParseFrameHeader(b, s.in.size(), &f) ||
        s.in.size() < f.header_len + f.payload_len)
      return;
    const std::string payload = s.in.substr(f.header_len, static_cast<size_t>(f.payload_len));
    s.in.erase(0, f.header_len + static_cast<size_t>(f.payload_len));
    const bool data = f.opcode < 8;  // text, binary or continuation; 8 and on are control frames
    if (data && (s.state != State::kEchoing || f.opcode != hfbench::kText || payload != s.message))
      return Fail(s, "a message that is not this connection's echo: '" + payload + "'");
    if (s.state == State::kEchoing) {
      if (f.opcode == hfbench::kClose) return Fail(s, "closed by the server before the echo");
      if (!data) return;  // a ping: not answered, as the connection closes within moments
      const uint64_t now = NowNs();
      ++t_.upgrades;
      if (s.started >= measure_from_ && now < measure_to_) {
        ++t_.measured;
        t_.latency.Record(now - s.started);
      }
      s.state = State::kClosing;
      const std::string code("\x03\xe8", 2);  // 1000
      hfbench::AppendFrameHeader(&s.out, hfbench::kClose, code.size(), kMask);
      std::string body = code;
      hfbench::ApplyMask(reinterpret_cast<uint8_t*>(body.data()), body.size(), kMask);
      s.out += body;
      if (!Flush(s)) return Fail(s, "send failed");
      return;
    }
    if (s.state == State::kClosing && f.opcode == hfbench::kClose) {
      Drop(s, true);
      Start(i);
    }
  }

  const Options& o_;
  std::vector<Slot> slots_;
  std::string request_;
  int ep_ = -1;
  uint64_t measure_from_ = 0, measure_to_ = 0;
  Totals t_;
};

bool Parse(int argc, char** argv, Options* o) {
  const bool read = hfbench::Flags("hf-churn")
                        .Text("--host", &o->host)
                        .Int("--port", &o->port)
                        .Text("--path", &o->path)
                        .Text("--header", &o->header)
                        .Int("--slots", &o->slots)
                        .Real("--duration", &o->duration_s)
                        .Real("--warmup", &o->warmup_s)
                        .Real("--timeout", &o->timeout_s)
                        .Text("--src-base", &o->src_base)
                        .Int("--src-count", &o->src_count)
                        .Parse(argc, argv);
  return read && o->slots > 0 && o->slots <= 10000 && o->duration_s > 0 && o->timeout_s > 0 &&
         o->src_count > 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc == 2 && std::strcmp(argv[1], "--self-test") == 0) return hfbench::SelfTest(argv[0]);
  Options o;
  if (!Parse(argc, argv, &o)) {
    std::fputs(
        "usage: hf-churn [--host H] [--port P] [--path P] [--header \"Name: value\"]\n"
        "                [--slots N] [--duration S] [--warmup S] [--timeout S] [--src-base IP]\n"
        "                [--src-count N]\n"
        "       hf-churn --self-test\n",
        stderr);
    return 2;
  }
  return Churn(o).Run();
}
