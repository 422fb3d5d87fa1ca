// hf-fanout --self-test: subscribers of the fan-out floor's echo server, fed through a stand-in
// for Redis, once as it should be and once per fault. The correct run must pass, and each faulty
// one fail, naming what one subscriber lost, got late, got twice or got damaged.
#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "../common/procs.h"
#include "../common/self_test.h"

namespace hfbench {
namespace {

// Stands in for Redis: answers every PUBLISH that arrives on `listen_fd` and hands its payload
// on to `feed` as the message Redis would push to a subscriber, until *stop.
void RelayPublishes(int listen_fd, int feed, const std::atomic<bool>* stop) {
  int client = -1;
  std::string in;
  std::vector<std::string_view> parts;
  while (!stop->load()) {
    pollfd p{client < 0 ? listen_fd : client, POLLIN, 0};
    if (poll(&p, 1, 50) <= 0) continue;
    if (client < 0) {
      client = accept4(listen_fd, nullptr, nullptr, SOCK_CLOEXEC);
      continue;
    }
    char buf[65536];
    const ssize_t n = recv(client, buf, sizeof buf, 0);
    if (n <= 0) {
      close(client);
      client = -1;
      continue;
    }
    in.append(buf, static_cast<size_t>(n));
    size_t pos = 0;
    while (ParseRespArray(in, pos, parts)) {
      if (parts.size() != 3 || parts[0] != "PUBLISH") continue;
      const std::string push = RespMessage(parts[1], parts[2]);
      if (!WriteAll(feed, push.data(), push.size()) || !WriteAll(client, ":1\r\n", 4)) return;
    }
    in.erase(0, pos);
  }
  if (client >= 0) close(client);
}

int RunCase(const char* self, const SelfTestCase& c, std::string* out) {
  int feed[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, feed) != 0) return -1;
  const int redis = ListenTcp("127.0.0.1", 0, 16);
  int code = -1;
  {
    std::atomic<bool> stop{false};
    std::thread relay(RelayPublishes, redis, feed[1], &stop);
    if (redis >= 0 && fcntl(feed[0], F_SETFL, O_NONBLOCK) == 0) {
      FaultyServer server(c.fault, feed[0]);
      if (server.ok()) {
        code = RunSelf(self, {"--port",        std::to_string(server.port()),
                              "--path",        "/",
                              "--subscribers", "4",
                              "--procs",       "2",
                              "--rate",        "200",
                              "--duration",    "0.3",
                              "--warmup",      "0.05",
                              "--drain",       "0.3",
                              "--redis",       "127.0.0.1:" + std::to_string(BoundPort(redis)),
                              "--src-count",   "2"},
                       out);
      }
    }
    stop = true;
    relay.join();
  }
  close(feed[0]);
  close(feed[1]);
  if (redis >= 0) close(redis);
  return code;
}

}  // namespace

int SelfTest(const char* self) {
  const std::vector<SelfTestCase> cases = {
      {"every record to every subscriber", Fault::kNone, 0, "\"ok\":true"},
      {"one record not delivered", Fault::kDrop, 1, "1 missing"},
      {"one record after the next", Fault::kReorder, 1, "1 reordered"},
      {"one record twice", Fault::kDuplicate, 1, "1 repeated"},
      {"one record changed", Fault::kCorrupt, 1, "1 corrupt"},
  };
  return RunSelfTests("hf-fanout", cases, [self](const SelfTestCase& c, std::string* out) {
    return RunCase(self, c, out);
  });
}

}  // namespace hfbench
