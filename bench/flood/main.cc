// hf-flood: floods a WebSocket route with small frames from a few connections, as fast as the
// server reads them, and discards whatever comes back. It measures no latency; it is the bad
// neighbour in the flood scenario (bench/scenarios/60-flood.sh), where hf-load measures a
// well-behaved client beside it.
//
// The frames are built once into one buffer and written again and again, so the flooder costs
// little CPU of its own: the load lands on the server.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "../common/flags.h"
#include "../common/net.h"
#include "../common/ws.h"

namespace {

struct Options {
  std::string host = "127.0.0.1";
  std::string src = "127.0.0.200";
  int port = 8080;
  std::string path = "/echo";
  int connections = 1;
  double duration_s = 10;
  int size = 32;
};

struct Flooder {
  int fd = -1;
  size_t offset = 0;  // into the frame buffer, so a partial write resumes mid-frame
  uint64_t bytes_out = 0;
  uint64_t bytes_in = 0;
  bool closed = false;
};

bool Parse(int argc, char** argv, Options* o) {
  const bool read = hfbench::Flags("hf-flood")
                        .Text("--host", &o->host)
                        .Text("--src", &o->src)
                        .Int("--port", &o->port)
                        .Text("--path", &o->path)
                        .Int("--connections", &o->connections)
                        .Real("--duration", &o->duration_s)
                        .Int("--size", &o->size)
                        .Parse(argc, argv);
  return read && o->connections > 0 && o->connections <= 64 && o->size > 0 && o->size <= 65536 &&
         o->duration_s > 0 && o->duration_s <= 3600 && o->port > 0 && o->port < 65536;
}

// A blocking connect and upgrade; the socket is non-blocking afterwards. -1 on any failure.
int Connect(const Options& o) {
  const int fd = hfbench::ConnectFrom(o.src, 1, 0, o.host, o.port, true);
  if (fd < 0) return -1;
  const std::string req =
      hfbench::UpgradeRequest(o.host, o.port, o.path, "Zmxvb2RmbG9vZGZsb28hIQ==");
  std::string head;
  char buf[4096];
  bool ok = send(fd, req.data(), req.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(req.size());
  while (ok && head.find("\r\n\r\n") == std::string::npos && head.size() < 16384) {
    const ssize_t n = recv(fd, buf, sizeof(buf), 0);
    if (n <= 0) break;
    head.append(buf, static_cast<size_t>(n));
  }
  ok = ok && head.compare(0, 12, "HTTP/1.1 101") == 0 &&
       fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) == 0;
  if (!ok) {
    close(fd);
    return -1;
  }
  return fd;
}

// About 64 KiB of identical masked binary frames, a whole number of them.
std::string FrameBuffer(int size, size_t* frame_len) {
  const uint8_t mask[4] = {0x5a, 0xa5, 0x3c, 0xc3};
  std::string frame;
  hfbench::AppendFrameHeader(&frame, hfbench::kBinary, static_cast<uint64_t>(size), mask);
  std::string payload(static_cast<size_t>(size), 'f');
  hfbench::ApplyMask(reinterpret_cast<uint8_t*>(payload.data()), payload.size(), mask);
  frame += payload;
  *frame_len = frame.size();
  std::string out;
  while (out.size() + frame.size() <= 65536 || out.empty())
    out += frame;
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  if (!Parse(argc, argv, &o)) {
    std::fputs(
        "usage: hf-flood [--host H] [--port P] [--path P] [--src IP] [--connections N]\n"
        "                [--duration S] [--size B]\n"
        "Writes binary frames of B bytes as fast as the server reads them on N connections for\n"
        "S seconds, reads and discards every answer, then prints one JSON line.\n",
        stderr);
    return 2;
  }
  size_t frame_len = 0;
  const std::string frames = FrameBuffer(o.size, &frame_len);
  std::vector<Flooder> flooders(static_cast<size_t>(o.connections));
  std::vector<pollfd> polls;
  for (auto& f : flooders) {
    f.fd = Connect(o);
    if (f.fd < 0) {
      std::fprintf(stderr, "hf-flood: could not connect and upgrade to %s:%d%s\n", o.host.c_str(),
                   o.port, o.path.c_str());
      return 1;
    }
    polls.push_back({f.fd, POLLIN | POLLOUT, 0});
  }
  const uint64_t start = hfbench::NowNs();
  const uint64_t end = start + static_cast<uint64_t>(o.duration_s * 1e9);
  char sink[65536];
  size_t open = flooders.size();
  while (open > 0 && hfbench::NowNs() < end) {
    if (poll(polls.data(), polls.size(), 100) < 0 && errno != EINTR) break;
    for (size_t i = 0; i < flooders.size(); ++i) {
      Flooder& f = flooders[i];
      if (f.closed) continue;
      const short ev = polls[i].revents;
      if (ev & (POLLIN | POLLHUP | POLLERR)) {
        const ssize_t n = recv(f.fd, sink, sizeof(sink), 0);
        if (n > 0) f.bytes_in += static_cast<uint64_t>(n);
        if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) f.closed = true;
      }
      if (!f.closed && (ev & POLLOUT)) {
        const ssize_t n =
            send(f.fd, frames.data() + f.offset, frames.size() - f.offset, MSG_NOSIGNAL);
        if (n > 0) {
          f.bytes_out += static_cast<uint64_t>(n);
          f.offset = (f.offset + static_cast<size_t>(n)) % frames.size();
        } else if (n < 0 && errno != EAGAIN && errno != EINTR) {
          f.closed = true;
        }
      }
      if (f.closed) {
        polls[i].events = 0;
        --open;
      }
    }
  }
  const double secs = static_cast<double>(hfbench::NowNs() - start) / 1e9;
  uint64_t out = 0, in = 0, closed = 0;
  for (auto& f : flooders) {
    out += f.bytes_out;
    in += f.bytes_in;
    closed += f.closed ? 1 : 0;
    close(f.fd);
  }
  std::printf(
      "{\"connections\":%d,\"size\":%d,\"seconds\":%.3f,\"frames_sent\":%lu,"
      "\"frames_per_s\":%.0f,\"bytes_received\":%lu,\"closed_by_server\":%lu}\n",
      o.connections, o.size, secs, static_cast<unsigned long>(out / frame_len),
      static_cast<double>(out / frame_len) / secs, static_cast<unsigned long>(in),
      static_cast<unsigned long>(closed));
  return 0;
}
