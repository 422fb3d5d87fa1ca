// hf-bus-direct --self-test: the Redis round trip against a stand-in for Redis and the echo
// service, which answers every XADD and publishes its `data` to its `replyto` channel, once as it
// should and once per fault at the 10th message. The correct run must pass and each faulty one
// fail, naming what one connection lost, got late, got twice, got damaged or got for another.
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "../common/procs.h"
#include "../common/self_test.h"

namespace hfbench {
namespace {

// Appends `s` as a RESP bulk string.
void AppendBulk(std::string& out, std::string_view s) {
  out.append("$").append(std::to_string(s.size())).append("\r\n").append(s).append("\r\n");
}

// Redis and hf-bus-echo in one: the subscribing client gets, for each XADD, the entry's `data` on
// its `replyto` channel, with `fault` at the 10th.
class StandIn {
 public:
  StandIn(int listen_fd, Fault fault) : listen_fd_(listen_fd), fault_(fault) {}

  void Run(const std::atomic<bool>* stop) {
    std::vector<pollfd> fds{{listen_fd_, POLLIN, 0}};
    std::vector<std::string> in(1);
    bool open = true;  // until a client goes or a write fails: the run is over
    while (open && !stop->load()) {
      if (poll(fds.data(), fds.size(), 50) <= 0) continue;
      if (fds[0].revents & POLLIN) {
        const int c = accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
        if (c >= 0) {
          fds.push_back({c, POLLIN, 0});
          in.emplace_back();
        }
      }
      for (size_t i = 1; i < fds.size() && open; ++i) {
        if (!(fds[i].revents & (POLLIN | POLLHUP))) continue;
        char buf[65536];
        const ssize_t n = recv(fds[i].fd, buf, sizeof buf, 0);
        if (n > 0) in[i].append(buf, static_cast<size_t>(n));
        open = n > 0 && Serve(fds[i].fd, in[i]);
      }
    }
    for (size_t i = 1; i < fds.size(); ++i)
      close(fds[i].fd);
  }

 private:
  // Answers every whole command in `in`; false when a write failed.
  bool Serve(int fd, std::string& in) {
    std::vector<std::string_view> parts;
    std::string out;
    size_t pos = 0;
    while (ParseRespArray(in, pos, parts)) {
      if (parts.size() == 2 && parts[0] == "SUBSCRIBE") {
        subscriber_ = fd;
        out.append("*3\r\n");
        AppendBulk(out, "subscribe");
        AppendBulk(out, parts[1]);
        out.append(":").append(std::to_string(++subs_)).append("\r\n");
      } else if (parts.size() > 2 && parts[0] == "XADD") {
        AppendBulk(out, std::to_string(++added_).insert(0, "0-"));
        if (!Echo(Field(parts, "replyto"), Field(parts, "data"))) return false;
      } else {
        out += "+OK\r\n";
      }
    }
    in.erase(0, pos);
    return WriteAll(fd, out.data(), out.size());
  }

  // The value after `name` in an XADD's field list.
  static std::string_view Field(const std::vector<std::string_view>& parts, std::string_view name) {
    for (size_t i = 0; i + 1 < parts.size(); ++i) {
      if (parts[i] == name) return parts[i + 1];
    }
    return {};
  }

  bool Echo(std::string_view channel, std::string_view data) {
    std::string push = RespMessage(channel, data);
    if (added_ == 10) {
      switch (fault_) {
        case Fault::kDrop:
          return true;
        case Fault::kDuplicate:
          push += push;
          break;
        case Fault::kCorrupt:
          push[push.size() - 3] ^= 1;  // the data's last byte, before its CRLF
          break;
        case Fault::kMisroute:
          push = RespMessage(last_channel_, data);
          break;
        case Fault::kReorder:
          held_ = push;
          held_channel_ = channel;
          return true;
        default:
          break;
      }
    }
    if (!held_.empty() && channel == held_channel_) {
      push += held_;  // after the next message of the same connection
      held_.clear();
    }
    last_channel_ = channel;
    return subscriber_ < 0 || WriteAll(subscriber_, push.data(), push.size());
  }

  int listen_fd_;
  Fault fault_;
  int subscriber_ = -1;
  uint64_t subs_ = 0, added_ = 0;
  std::string last_channel_, held_, held_channel_;
};

}  // namespace

int SelfTest(const char* self) {
  const std::vector<SelfTestCase> cases = {
      {"every reply right", Fault::kNone, 0, "\"ok\":true"},
      {"one reply never sent", Fault::kDrop, 1, "1 missing"},
      {"one reply after the next", Fault::kReorder, 1, "1 reordered"},
      {"one reply twice", Fault::kDuplicate, 1, "1 repeated"},
      {"one reply changed", Fault::kCorrupt, 1, "1 corrupt"},
      {"one reply to another connection", Fault::kMisroute, 1, "1 corrupt"},
  };
  return RunSelfTests("hf-bus-direct", cases, [self](const SelfTestCase& c, std::string* out) {
    const int fd = ListenTcp("127.0.0.1", 0, 16);
    if (fd < 0) return -1;
    StandIn redis(fd, c.fault);
    std::atomic<bool> stop{false};
    std::thread server([&] { redis.Run(&stop); });
    const int code = RunSelf(self,
                             {"redis", "127.0.0.1:" + std::to_string(BoundPort(fd)), "bench-stream",
                              "1000", "0.3", "0.05", "64"},
                             out);
    stop = true;
    server.join();
    close(fd);
    return code;
  });
}

}  // namespace hfbench
