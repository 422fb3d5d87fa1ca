// hf-floor: the raw epoll WebSocket echo server, the floor of this machine. One thread.
#include <unistd.h>

#include <atomic>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "../common/echo_server.h"

namespace {
std::atomic<bool> g_stop{false};
void OnSignal(int) {
  g_stop = true;
}
}  // namespace

int main(int argc, char** argv) {
  const char* host = "127.0.0.1";
  int port = 9000;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (std::strcmp(argv[i], "--host") == 0) host = argv[i + 1];
    if (std::strcmp(argv[i], "--port") == 0) port = std::atoi(argv[i + 1]);
  }
  int fd = hfbench::ListenTcp(host, port, 4096);
  if (fd < 0) {
    std::fprintf(stderr, "hf-floor: cannot listen on %s:%d\n", host, port);
    return 1;
  }
  std::signal(SIGTERM, OnSignal);
  std::signal(SIGINT, OnSignal);
  std::fprintf(stderr, "hf-floor: listening on %s:%d\n", host, hfbench::BoundPort(fd));
  hfbench::RunEchoServer(fd, hfbench::Fault::kNone, &g_stop);
  close(fd);
  return 0;
}
