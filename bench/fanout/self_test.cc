// hf-fanout --self-test: subscribers of the fan-out floor's echo server, fed through a stand-in
// for Redis, once as it should be and once per fault. The correct run must pass, and each faulty
// one fail, naming what one subscriber lost, got late, got twice or got damaged.
#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <string>
#include <string_view>
#include <vector>

#include "../common/procs.h"
#include "../common/self_test.h"

namespace hfbench {
namespace {

int RunCase(const char* self, const SelfTestCase& c, std::string* out) {
  int feed[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, feed) != 0) return -1;
  int code = -1;
  if (fcntl(feed[0], F_SETFL, O_NONBLOCK) == 0) {
    // Redis as the records' publisher sees it: each PUBLISH goes to the server's feed as the
    // message Redis would push to a subscriber.
    ServerThread redis([&feed](int listen_fd, const std::atomic<bool>* stop) {
      ServeResp(listen_fd, stop,
                [&feed](int, const std::vector<std::string_view>& command, std::string* reply) {
                  if (command.size() != 3 || command[0] != "PUBLISH") {
                    reply->append("+OK\r\n");
                    return true;
                  }
                  const std::string push = RespMessage(command[1], command[2]);
                  reply->append(":1\r\n");
                  return WriteAll(feed[1], push.data(), push.size());
                });
    });
    FaultyServer server(c.fault, feed[0]);
    if (redis.ok() && server.ok()) {
      code = RunSelf(self, {"--port",        std::to_string(server.port()),
                            "--path",        "/",
                            "--subscribers", "4",
                            "--procs",       "2",
                            "--rate",        "200",
                            "--duration",    "0.3",
                            "--warmup",      "0.05",
                            "--drain",       "0.3",
                            "--redis",       "127.0.0.1:" + std::to_string(redis.port()),
                            "--src-count",   "2"},
                     out);
    }
  }
  close(feed[0]);
  close(feed[1]);
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
