// hf-floor: the raw epoll WebSocket echo server, the floor of this machine. One thread.
// With --feed-redis HOST:PORT it also subscribes to a Redis channel (--feed-channel, by default
// holdfast:channel:bench) and sends each message published there to every connection: the
// floor of fan-out, with the least work a server can do per delivery.
#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "../common/echo_server.h"
#include "../common/flags.h"
#include "../common/net.h"

namespace {
std::atomic<bool> g_stop{false};
void OnSignal(int) {
  g_stop = true;
}

// A non-blocking socket to Redis at host:port on which SUBSCRIBE `channel` has been sent, or -1.
int Subscribe(const std::string& address, const std::string& channel) {
  const size_t colon = address.rfind(':');
  if (colon == std::string::npos) return -1;
  const int fd = hfbench::ConnectFrom("127.0.0.1", 1, 0, address.substr(0, colon),
                                      std::atoi(address.c_str() + colon + 1), true);
  if (fd < 0) return -1;
  const std::string cmd =
      "*2\r\n$9\r\nSUBSCRIBE\r\n$" + std::to_string(channel.size()) + "\r\n" + channel + "\r\n";
  if (send(fd, cmd.data(), cmd.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(cmd.size())) {
    close(fd);
    return -1;
  }
  fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
  return fd;
}
}  // namespace

int main(int argc, char** argv) {
  std::string host = "127.0.0.1";
  int port = 9000;
  std::string feed_redis;
  std::string feed_channel = "holdfast:channel:bench";
  if (!hfbench::Flags("hf-floor")
           .Text("--host", &host)
           .Int("--port", &port)
           .Text("--feed-redis", &feed_redis)
           .Text("--feed-channel", &feed_channel)
           .Parse(argc, argv)) {
    std::fputs(
        "usage: hf-floor [--host H] [--port P] [--feed-redis HOST:PORT [--feed-channel C]]\n",
        stderr);
    return 2;
  }
  int fd = hfbench::ListenTcp(host.c_str(), port, 4096);
  if (fd < 0) {
    std::fprintf(stderr, "hf-floor: cannot listen on %s:%d\n", host.c_str(), port);
    return 1;
  }
  int feed = -1;
  if (!feed_redis.empty()) {
    feed = Subscribe(feed_redis, feed_channel);
    if (feed < 0) {
      std::fprintf(stderr, "hf-floor: cannot subscribe at %s\n", feed_redis.c_str());
      return 1;
    }
  }
  std::signal(SIGTERM, OnSignal);
  std::signal(SIGINT, OnSignal);
  std::fprintf(stderr, "hf-floor: listening on %s:%d\n", host.c_str(), hfbench::BoundPort(fd));
  hfbench::RunEchoServer(fd, hfbench::Fault::kNone, &g_stop, feed);
  close(fd);
  if (feed >= 0) close(feed);
  return 0;
}
