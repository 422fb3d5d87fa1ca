// hf-fanout: many WebSocket subscribers to one channel, and a publisher at a fixed rate. See
// bench/README.md.
//
// Subscriber connections are spread over worker processes (each process may open only so many
// files) and source addresses. Once every one is open, the parent publishes record k at
// start + k / rate with PUBLISH <channel> (Redis, as a holdfast service replies to a channel);
// each record carries k and that scheduled time, so latency is charged from when it was due.
// Every subscriber must get every record, in order, once: anything else fails the run (exit 1,
// no figures). Prints one JSON line: deliveries per second and delivery latency.
#include <arpa/inet.h>
#include <hiredis/hiredis.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "../common/histogram.h"
#include "../common/net.h"
#include "../common/self_test.h"
#include "../common/sequence.h"
#include "../common/ws.h"

namespace {

using hfbench::NowNs;

struct Options {
  std::string host = "127.0.0.1";
  int port = 8080;
  std::string path = "/fanout";
  int subscribers = 1000;
  int procs = 1;
  double rate = 10;
  double duration_s = 10, warmup_s = 2;
  double drain_s = 3;  // after the last record, for it to reach everyone
  std::string redis = "127.0.0.1:6379";
  std::string http;  // HOST:PORT/PATH: publish with HTTP POST (nchan) instead of Redis
  // HOST:PORT of Centrifugo's HTTP API: subscribers speak its JSON protocol (connect, then
  // subscribe to `channel`) and records are published through POST /api/publish.
  std::string centrifugo;
  std::string channel = "holdfast:channel:bench";
  std::string src_base = "127.0.0.2";
  int src_count = 8;
  size_t size = 64;
  // PATH: PATH.start is made just before the first record is published and PATH.end once the
  // drain is over, before the subscribers close, so a caller can take the server's CPU over the
  // deliveries alone, without connecting and closing.
  std::string window_file;
};

// Creates an empty file at `path`; false when it cannot.
bool Touch(const std::string& path) {
  FILE* f = std::fopen(path.c_str(), "w");
  return f != nullptr && std::fclose(f) == 0;
}

struct Payload {
  uint64_t seq;
  uint64_t due_ns;
};

// What one process saw; sent to the parent through a pipe as raw bytes.
struct Result {
  uint64_t connected = 0, connect_failed = 0, closed_early = 0;
  uint64_t received = 0, measured = 0, missing = 0, reordered = 0, duplicate = 0, corrupt = 0;
  hfbench::Histogram latency;
  char first_error[256] = {};
};

struct Conn {
  int fd = -1;
  bool open = false;        // upgraded
  bool subscribed = false;  // Centrifugo: the subscribe command answered
  std::string in;
  hfbench::Sequence records;  // the order of the records received
};

constexpr char kKey[] = "ZmFub3V0ZmFub3V0ZmFubw==";
const uint8_t kMask[4] = {0x5a, 0x17, 0xc3, 0x8e};

// Records go to Centrifugo as JSON: the payload's bytes in hex, as {"h":"..."}.
std::string ToHex(const std::string& bytes) {
  static const char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char b : bytes) {
    out += kDigits[b >> 4];
    out += kDigits[b & 15];
  }
  return out;
}

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

// Every record is its Payload followed by this byte up to --size.
constexpr char kFill = 'f';

bool Filled(const uint8_t* p, size_t len) {
  for (size_t i = sizeof(Payload); i < len; ++i) {
    if (p[i] != kFill) return false;
  }
  return true;
}

void OnRecord(const Options& o, Conn& c, const uint8_t* p, size_t len, uint64_t now,
              uint64_t measure_from, uint64_t measure_to, Result& r) {
  if (len != o.size || !Filled(p, len)) {
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

// Publishes records: PUBLISH to a Redis channel (holdfast's services), or HTTP POST on one
// kept-alive connection (nchan's publisher endpoint, Centrifugo's HTTP API).
class Publisher {
 public:
  explicit Publisher(const Options& o) : o_(o) {
    const std::string& where = !o.centrifugo.empty() ? o.centrifugo + "/api/publish"
                               : o.http.empty()      ? o.redis
                                                     : o.http;
    const size_t slash = where.find('/');
    const std::string hostport = where.substr(0, slash);
    const size_t colon = hostport.rfind(':');
    const std::string host = hostport.substr(0, colon);
    const int port = std::atoi(hostport.c_str() + colon + 1);
    if (o.http.empty() && o.centrifugo.empty()) {
      redis_ = redisConnect(host.c_str(), port);
      ok_ = redis_ != nullptr && !redis_->err;
      return;
    }
    path_ = slash == std::string::npos ? "/" : where.substr(slash);
    fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in dst{};
    dst.sin_family = AF_INET;
    dst.sin_port = htons(static_cast<uint16_t>(port));
    inet_pton(AF_INET, host.c_str(), &dst.sin_addr);
    ok_ = connect(fd_, reinterpret_cast<sockaddr*>(&dst), sizeof dst) == 0;
  }
  ~Publisher() {
    if (redis_ != nullptr) redisFree(redis_);
    if (fd_ >= 0) close(fd_);
  }
  bool ok() const { return ok_; }

  bool Publish(const std::string& payload) {
    if (redis_ != nullptr) {
      auto* r =
          static_cast<redisReply*>(redisCommand(redis_, "PUBLISH %b %b", o_.channel.data(),
                                                o_.channel.size(), payload.data(), payload.size()));
      if (r == nullptr) return false;
      freeReplyObject(r);
      return true;
    }
    const bool json = !o_.centrifugo.empty();
    const std::string body =
        json ? "{\"channel\":\"" + o_.channel + "\",\"data\":{\"h\":\"" + ToHex(payload) + "\"}}"
             : payload;
    const std::string req =
        "POST " + path_ +
        " HTTP/1.1\r\nHost: bench\r\nContent-Length: " + std::to_string(body.size()) +
        "\r\nContent-Type: " +
        (json ? "application/json\r\nX-API-Key: bench" : "application/octet-stream") + "\r\n\r\n" +
        body;
    if (send(fd_, req.data(), req.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(req.size()))
      return false;
    // One response: its head, then Content-Length bytes of body.
    std::string in;
    char buf[4096];
    size_t need = std::string::npos;
    while (need == std::string::npos || in.size() < need) {
      const ssize_t n = recv(fd_, buf, sizeof buf, 0);
      if (n <= 0) return false;
      in.append(buf, static_cast<size_t>(n));
      const size_t end = in.find("\r\n\r\n");
      if (need == std::string::npos && end != std::string::npos) {
        const size_t cl = in.find("Content-Length: ");
        need =
            end + 4 + (cl != std::string::npos && cl < end ? std::atoi(in.c_str() + cl + 16) : 0);
      }
    }
    return in.compare(0, 10, "HTTP/1.1 2") == 0;
  }

 private:
  const Options& o_;
  redisContext* redis_ = nullptr;
  int fd_ = -1;
  std::string path_;
  bool ok_ = false;
};

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

// One process's subscribers. Tells the parent on `ready` once all are open; then reads from
// `stop` the measuring window (two u64), and later how many records were published (one u64),
// which ends the run; then writes its Result to `out`.
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

bool Parse(int argc, char** argv, Options* o) {
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string a = argv[i];
    const char* v = argv[i + 1];
    if (a == "--host")
      o->host = v;
    else if (a == "--port")
      o->port = std::atoi(v);
    else if (a == "--path")
      o->path = v;
    else if (a == "--subscribers")
      o->subscribers = std::atoi(v);
    else if (a == "--procs")
      o->procs = std::atoi(v);
    else if (a == "--rate")
      o->rate = std::atof(v);
    else if (a == "--duration")
      o->duration_s = std::atof(v);
    else if (a == "--warmup")
      o->warmup_s = std::atof(v);
    else if (a == "--drain")
      o->drain_s = std::atof(v);
    else if (a == "--http")
      o->http = v;
    else if (a == "--centrifugo")
      o->centrifugo = v;
    else if (a == "--redis")
      o->redis = v;
    else if (a == "--channel")
      o->channel = v;
    else if (a == "--src-base")
      o->src_base = v;
    else if (a == "--src-count")
      o->src_count = std::atoi(v);
    else if (a == "--size")
      o->size = static_cast<size_t>(std::atoi(v));
    else if (a == "--window-file")
      o->window_file = v;
    else
      return false;
  }
  return argc % 2 == 1 && o->subscribers > 0 && o->procs > 0 && o->procs <= 32 && o->rate > 0 &&
         o->duration_s > 0 && o->size >= sizeof(Payload) && o->src_count > 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc == 2 && std::strcmp(argv[1], "--self-test") == 0) return hfbench::SelfTest(argv[0]);
  Options o;
  if (!Parse(argc, argv, &o)) {
    std::fputs(
        "usage: hf-fanout [--host H] [--port P] [--path P] [--subscribers N] [--procs K]\n"
        "                 [--rate R] [--duration S] [--warmup S] [--drain S] [--redis HOST:PORT]\n"
        "                 [--channel C] [--http HOST:PORT/PATH] [--centrifugo HOST:PORT]\n"
        "                 [--size B] [--src-base IP] [--src-count N] [--window-file PATH]\n"
        "       hf-fanout --self-test\n"
        "N subscribers over K processes; R records/s PUBLISHed to C once all are open.\n"
        "Prints one JSON line; exits 1 when any record was lost, repeated, reordered or\n"
        "damaged. --self-test checks that faulty servers are caught, then exits.\n",
        stderr);
    return 2;
  }
  struct Child {
    pid_t pid;
    int ready, stop, out;
  };
  std::vector<Child> children;
  for (int p = 0; p < o.procs; ++p) {
    const int first = p * (o.subscribers / o.procs) + std::min(p, o.subscribers % o.procs);
    const int count = o.subscribers / o.procs + (p < o.subscribers % o.procs ? 1 : 0);
    int ready[2], stop[2], out[2];
    if (pipe(ready) != 0 || pipe(stop) != 0 || pipe(out) != 0) return 2;
    const pid_t pid = fork();
    if (pid == 0) {
      close(ready[0]);
      close(stop[1]);
      close(out[0]);
      RunSubscribers(o, first, count, ready[1], stop[0], out[1]);
      _exit(0);
    }
    close(ready[1]);
    close(stop[0]);
    close(out[1]);
    children.push_back({pid, ready[0], stop[1], out[0]});
  }
  bool all_ready = true;
  for (auto& c : children) {
    char byte;
    if (read(c.ready, &byte, 1) != 1) all_ready = false;
  }
  // Publish on schedule.
  Publisher publisher(o);
  if (!publisher.ok()) {
    std::fprintf(stderr, "hf-fanout: cannot connect to the publisher at %s\n",
                 !o.centrifugo.empty() ? o.centrifugo.c_str()
                 : o.http.empty()      ? o.redis.c_str()
                                       : o.http.c_str());
    all_ready = false;
  }
  uint64_t published = 0;
  uint64_t from = 0, to = 0;
  if (all_ready) {
    const uint64_t start = NowNs() + 100000000;
    from = start + static_cast<uint64_t>(o.warmup_s * 1e9);
    to = from + static_cast<uint64_t>(o.duration_s * 1e9);
    const uint64_t window[2] = {from, to};
    for (auto& c : children) {
      if (write(c.stop, window, sizeof window) != sizeof window) all_ready = false;
    }
    std::string payload(o.size, kFill);
    const double interval = 1e9 / o.rate;
    if (!o.window_file.empty() && !Touch(o.window_file + ".start")) all_ready = false;
    for (uint64_t k = 0;; ++k) {
      const uint64_t due = start + static_cast<uint64_t>(static_cast<double>(k) * interval);
      if (due >= to) break;
      for (uint64_t now = NowNs(); now < due; now = NowNs()) {
        if (due - now > 300000) usleep(static_cast<useconds_t>((due - now - 200000) / 1000));
      }
      const Payload pl{k, due};
      std::memcpy(payload.data(), &pl, sizeof pl);
      if (!publisher.Publish(payload)) break;
      ++published;
    }
    usleep(static_cast<useconds_t>(o.drain_s * 1e6));  // the last records' way through
    if (!o.window_file.empty() && !Touch(o.window_file + ".end")) all_ready = false;
  }
  auto merged = std::make_unique<Result>();
  bool complete = all_ready;
  for (auto& c : children) {
    if (write(c.stop, &published, sizeof published) != sizeof published) complete = false;
    close(c.stop);
  }
  for (auto& c : children) {
    auto r = std::make_unique<Result>();
    size_t got = 0;
    while (got < sizeof(Result)) {
      const ssize_t n = read(c.out, reinterpret_cast<char*>(r.get()) + got, sizeof(Result) - got);
      if (n <= 0) break;
      got += static_cast<size_t>(n);
    }
    if (got == sizeof(Result)) {
      Result& m = *merged;
      m.connected += r->connected;
      m.connect_failed += r->connect_failed;
      m.closed_early += r->closed_early;
      m.received += r->received;
      m.measured += r->measured;
      m.missing += r->missing;
      m.reordered += r->reordered;
      m.duplicate += r->duplicate;
      m.corrupt += r->corrupt;
      m.latency.Merge(r->latency);
      if (m.first_error[0] == 0) std::memcpy(m.first_error, r->first_error, sizeof m.first_error);
    } else {
      complete = false;
    }
    close(c.out);
    close(c.ready);
    int status = 0;
    waitpid(c.pid, &status, 0);
  }
  const Result& m = *merged;
  const uint64_t failures =
      m.connect_failed + m.closed_early + m.missing + m.reordered + m.duplicate + m.corrupt;
  const bool ok = complete && failures == 0 && m.measured > 0 &&
                  m.connected == static_cast<uint64_t>(o.subscribers);
  std::printf(
      "{\"ok\":%s,\"subscribers\":%d,\"procs\":%d,\"rate\":%.0f,\"size\":%zu,"
      "\"duration_s\":%.3f,\"warmup_s\":%.3f,\"published\":%lu,\"connected\":%lu,"
      "\"received\":%lu,\"missing\":%lu,\"reordered\":%lu,\"duplicate\":%lu,\"corrupt\":%lu,"
      "\"connect_failed\":%lu,\"closed_early\":%lu",
      ok ? "true" : "false", o.subscribers, o.procs, o.rate, o.size, o.duration_s, o.warmup_s,
      static_cast<unsigned long>(published), static_cast<unsigned long>(m.connected),
      static_cast<unsigned long>(m.received), static_cast<unsigned long>(m.missing),
      static_cast<unsigned long>(m.reordered), static_cast<unsigned long>(m.duplicate),
      static_cast<unsigned long>(m.corrupt), static_cast<unsigned long>(m.connect_failed),
      static_cast<unsigned long>(m.closed_early));
  if (ok) {
    auto us = [](uint64_t ns) { return static_cast<double>(ns) / 1000.0; };
    std::printf(
        ",\"deliveries\":%lu,\"deliveries_per_s\":%.0f,\"p50_us\":%.1f,\"p99_us\":%.1f,"
        "\"p999_us\":%.1f,\"max_us\":%.1f",
        static_cast<unsigned long>(m.measured), static_cast<double>(m.measured) / o.duration_s,
        us(m.latency.Quantile(0.5)), us(m.latency.Quantile(0.99)), us(m.latency.Quantile(0.999)),
        us(m.latency.max()));
  }
  std::printf("}\n");
  if (!ok) {
    std::fprintf(stderr,
                 "hf-fanout: FAILED: %lu missing, %lu reordered, %lu repeated, %lu corrupt, "
                 "%lu connections failed, %lu closed early%s; first problem: %s\n",
                 static_cast<unsigned long>(m.missing), static_cast<unsigned long>(m.reordered),
                 static_cast<unsigned long>(m.duplicate), static_cast<unsigned long>(m.corrupt),
                 static_cast<unsigned long>(m.connect_failed),
                 static_cast<unsigned long>(m.closed_early),
                 complete ? "" : ", a worker process or the publisher failed", m.first_error);
    return 1;
  }
  return 0;
}
