// hf-bus-direct --self-test: the Redis round trip against a stand-in for Redis and the echo
// service, which answers every XADD and publishes its `data` to its `replyto` channel, once as it
// should and once per fault at the 10th message. The correct run must pass and each faulty one
// fail, naming what one connection lost, got late, got twice, got damaged or got for another.
#include <atomic>
#include <string>
#include <string_view>
#include <vector>

#include "../common/procs.h"
#include "../common/self_test.h"

namespace hfbench {
namespace {

// Redis and hf-bus-echo in one: the subscribing client gets, for each XADD, the entry's `data` on
// its `replyto` channel, with `fault` at the 10th.
class StandIn {
 public:
  explicit StandIn(Fault fault) : fault_(fault) {}

  // A RespHandler.
  bool Handle(int client, const std::vector<std::string_view>& command, std::string* reply) {
    if (command.size() == 2 && command[0] == "SUBSCRIBE") {
      subscriber_ = client;
      reply->append("*3\r\n");
      AppendRespBulk(*reply, "subscribe");
      AppendRespBulk(*reply, command[1]);
      reply->append(":").append(std::to_string(++subs_)).append("\r\n");
      return true;
    }
    if (command.size() > 2 && command[0] == "XADD") {
      AppendRespBulk(*reply, std::to_string(++added_).insert(0, "0-"));
      return Echo(Field(command, "replyto"), Field(command, "data"));
    }
    reply->append("+OK\r\n");
    return true;
  }

 private:
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
    StandIn stand_in(c.fault);
    ServerThread redis([&stand_in](int listen_fd, const std::atomic<bool>* stop) {
      ServeResp(listen_fd, stop, [&stand_in](int client, const auto& command, std::string* reply) {
        return stand_in.Handle(client, command, reply);
      });
    });
    if (!redis.ok()) return -1;
    return RunSelf(self,
                   {"redis", "127.0.0.1:" + std::to_string(redis.port()), "bench-stream", "1000",
                    "0.3", "0.05", "64"},
                   out);
  });
}

}  // namespace hfbench
